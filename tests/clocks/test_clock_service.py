"""Clocks on stored referrals, walked through time with the clock frozen."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from tests.conftest import SYSTEM, london, low_risk, referral_data, store
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.investigations import services as investigations
from vigil.people import services as people
from vigil.risk import services as risk
from vigil.safeguarding import services as safeguarding

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def clock(referral, kind: str, cycle: int = 1) -> Clock:
    return Clock.objects.get(referral=referral, kind=kind, cycle=cycle)


def view(referral, kind: str, as_of: datetime) -> dict:
    return next(c for c in clocks.referral_clocks(referral, as_of=as_of) if c["kind"] == kind)


@pytest.fixture
def staff(make_user):
    officer = make_user("investigator", "XF")
    officer.email = "officer@example.test"
    officer.team = "North team"
    officer.save()
    people_by_role = {"investigator": officer}
    for role in ("supervisor", "unit_head", "child_protection_lead"):
        user = make_user(role, "XF")
        user.email = f"{role}@example.test"
        user.save()
        people_by_role[role] = user
    return people_by_role


def test_a_low_risk_referral_left_untouched_escalates_at_30_45_and_60_days(staff):
    received = london(2026, 1, 5, 9, 0)
    referral, _ = store(low_risk(received), as_of=received + timedelta(hours=1))
    assert referral.grade == "low"
    supervisor = staff["supervisor"]
    expected = {29: 0, 30: 1, 44: 1, 45: 2, 59: 2, 60: 3}
    sent_before = 0
    for day, level in expected.items():
        moment = received + timedelta(days=day, minutes=1)
        with time_machine.travel(moment, tick=False):
            state = view(referral, "enforcement_action", moment)
            assert state["escalation_level"] == level, day
            breach_view = clocks.breaches(supervisor, as_of=moment)
            on_view = [i for i in breach_view["items"] if i["clock"] == "enforcement_action"]
            assert bool(on_view) == (day >= 30), day
            if on_view:
                assert on_view[0]["escalation_level"] == level
            first = clocks.sweep(actor=SYSTEM, as_of=moment)
            again = clocks.sweep(actor=SYSTEM, as_of=moment)
            assert again["notifications"] == 0 and again["emailed"] == 0
            sent_before += first["notifications"]
    notes = Notification.objects.filter(clock__kind="enforcement_action")
    assert sorted((n.level, n.recipient.role) for n in notes) == [
        (1, "supervisor"),
        (2, "unit_head"),
        (3, "child_protection_lead"),
    ]
    # Every notification was e-mailed once; no names, only the reference.
    enforcement_mail = [m for m in mail.outbox if "enforcement action" in m.subject]
    assert len(enforcement_mail) == 3
    assert "Lee" not in enforcement_mail[0].body and "NCA-2020-0001" in enforcement_mail[0].body


def test_the_sweep_command_twice_sends_each_notification_once(staff, capsys):
    received = london(2026, 1, 5, 9, 0)
    store(low_risk(received), as_of=received)
    call_command("escalate", "--as-of", "2026-03-10")
    first = Notification.objects.count()
    call_command("escalate", "--as-of", "2026-03-10")
    assert first > 0 and Notification.objects.count() == first
    assert "0 new notifications" in capsys.readouterr().out.splitlines()[-1]


def test_a_higher_grade_brings_the_enforcement_due_time_forward(staff):
    received = london(2026, 1, 5, 9, 0)
    referral, _ = store(low_risk(received), as_of=received)
    assert clock(referral, "enforcement_action").due_at == london(2026, 2, 4, 9, 0)
    people.add_household_member(
        staff["investigator"], referral, age=8, source="visit", as_of=received + timedelta(days=2)
    )
    referral.refresh_from_db()
    assert referral.grade == "high"
    assert clock(referral, "enforcement_action").due_at == london(2026, 1, 12, 9, 0)


def test_a_lower_grade_never_undoes_a_breach(staff):
    received = london(2026, 1, 5, 9, 0)
    referral, _ = store(low_risk(received), as_of=received)
    risk.propose_override(
        staff["investigator"],
        referral,
        "high",
        "Intelligence of access to children.",
        as_of=received + timedelta(hours=2),
    )
    high_due = clock(referral, "enforcement_action").due_at
    assert high_due == london(2026, 1, 12, 9, 0)
    # Ten days in, the referral is overdue; a downgrade then approved does not move the due time.
    later = received + timedelta(days=10)
    override = risk.propose_override(
        staff["supervisor"], referral, "low", "The intelligence was wrong.", as_of=later
    )
    risk.decide_override(staff["unit_head"], override, approve=True, reason="Agreed.", as_of=later)
    referral.refresh_from_db()
    assert referral.grade == "low"
    assert clock(referral, "enforcement_action").due_at == high_due


def test_a_lower_grade_before_the_due_time_moves_it_later(staff):
    received = london(2026, 1, 5, 9, 0)
    referral, _ = store(low_risk(received), as_of=received)
    risk.propose_override(
        staff["investigator"], referral, "medium", "Concern about associates.", as_of=received
    )
    assert clock(referral, "enforcement_action").due_at == london(2026, 1, 19, 9, 0)
    override = risk.propose_override(
        staff["investigator"],
        referral,
        "low",
        "Associates checked.",
        as_of=received + timedelta(days=1),
    )
    risk.decide_override(
        staff["supervisor"],
        override,
        approve=True,
        reason="Agreed.",
        as_of=received + timedelta(days=1),
    )
    assert clock(referral, "enforcement_action").due_at == london(2026, 2, 4, 9, 0)


def test_a_late_action_meets_the_clock_and_keeps_the_breach_on_record(staff):
    received = london(2026, 1, 5, 9, 0)
    referral, _ = store(low_risk(received), as_of=received)
    arrested = received + timedelta(days=33)
    investigations.record_action(
        staff["investigator"],
        referral,
        "arrest",
        occurred_at=arrested,
        as_of=received + timedelta(days=35),
    )
    state = view(referral, "enforcement_action", received + timedelta(days=40))
    assert (state["state"], state["met_at"]) == ("met_late", arrested.astimezone(UTC).isoformat())
    assert state["overdue_by_seconds"] == 3 * 24 * 3600
    assert not clock(referral, "enforcement_action").is_open


def test_an_action_cannot_be_dated_in_the_future_or_before_receipt(staff):
    received = london(2026, 1, 5, 9, 0)
    referral, _ = store(low_risk(received), as_of=received)
    with pytest.raises(investigations.RecordError, match="future"):
        investigations.record_action(
            staff["investigator"],
            referral,
            "arrest",
            occurred_at=received + timedelta(days=2),
            as_of=received + timedelta(days=1),
        )
    with pytest.raises(investigations.RecordError, match="before the referral"):
        investigations.record_action(
            staff["investigator"],
            referral,
            "arrest",
            occurred_at=received - timedelta(days=1),
            as_of=received + timedelta(days=1),
        )


def test_a_child_at_home_starts_a_social_care_clock_from_when_it_was_learned_over_a_weekend(staff):
    received = london(2026, 11, 25, 10, 0)  # a Wednesday
    referral, _ = store(low_risk(received, household_established=False), as_of=received)
    learned = london(2026, 11, 27, 16, 0)  # Friday afternoon
    people.add_household_member(
        staff["investigator"],
        referral,
        age=6,
        source="neighbour",
        learned_at=learned,
        as_of=learned + timedelta(hours=1),
    )
    social = clock(referral, "social_care_referral")
    assert (social.started_at, social.due_at) == (learned, london(2026, 11, 30, 16, 0))
    safeguarding.share_with_social_care(
        staff["investigator"],
        referral,
        authority="Exampleshire Children's Services",
        method="portal",
        what_was_shared="Suspect lives with a six-year-old.",
        shared_at=london(2026, 11, 30, 11, 0),
        as_of=london(2026, 11, 30, 12, 0),
    )
    assert clock(referral, "social_care_referral").met_at == london(2026, 11, 30, 11, 0)
    strategy = clock(referral, "strategy_discussion")
    assert strategy.due_at == london(2026, 12, 1, 11, 0)


def test_an_imported_fact_is_known_from_receipt_so_an_old_referral_gets_its_old_clocks(staff):
    received = london(2026, 12, 24, 15, 0)  # Christmas Eve
    data = low_risk(received, household_established=False)
    data["subjects"].append(
        {"ref": "h1", "role": "household_member", "age": 9, "lives_with": ["s1"]}
    )
    referral, _ = store(data, as_of=london(2027, 3, 1, 9, 0))  # imported months later
    social = clock(referral, "social_care_referral")
    assert social.started_at == received
    assert social.due_at == london(2026, 12, 29, 15, 0)  # after Christmas and Boxing Day
    assert view(referral, "social_care_referral", london(2027, 3, 1, 9, 0))["escalation_level"] == 3


def test_a_very_high_referral_received_three_days_before_import_is_overdue_at_import(staff):
    received = london(2026, 3, 2, 9, 0)
    imported = received + timedelta(days=3)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=imported)
    assert referral.grade == "very_high"
    assert risk.current_assessment(referral).assessed_at == received
    # Graded as of receipt, so the 24-hour clocks ran from receipt and were breached by import.
    for kind in ("allocation", "enforcement_action"):
        state = view(referral, kind, imported)
        assert datetime.fromisoformat(state["started_at"]) == received, kind
        assert datetime.fromisoformat(state["due_at"]) == received + timedelta(hours=24), kind
        assert (state["state"], state["overdue_by_seconds"]) == ("overdue", 2 * 24 * 3600), kind
    # The grade did not exist until the import, so the duty to grade was met late, not on time.
    graded = view(referral, "risk_assessment", imported)
    assert (graded["state"], datetime.fromisoformat(graded["met_at"])) == ("met_late", imported)
    overdue = clocks.worklist(staff["supervisor"], as_of=imported, scope="force")
    assert {i["clock"] for i in overdue["items"] if i["state"] == "overdue"} >= {
        "allocation",
        "enforcement_action",
    }


def test_works_with_children_starts_a_lado_clock(staff):
    received = london(2026, 6, 1, 9, 0)
    referral, _ = store(
        low_risk(received, works_with_children=True, occupation="Teacher"), as_of=received
    )
    lado = clock(referral, "lado_referral")
    assert lado.due_at == london(2026, 6, 2, 9, 0)
    safeguarding.refer_to_lado(
        staff["investigator"],
        referral,
        authority="Exampleshire",
        referred_at=london(2026, 6, 1, 15, 0),
        as_of=london(2026, 6, 1, 16, 0),
    )
    assert clock(referral, "lado_referral").met_at == london(2026, 6, 1, 15, 0)


def test_allocation_and_review_clocks(staff):
    received = london(2026, 6, 1, 9, 0)
    referral, _ = store(low_risk(received), as_of=received)
    assert clock(referral, "allocation").due_at == london(2026, 6, 4, 9, 0)  # 3 working days
    investigations.allocate(
        staff["supervisor"],
        referral,
        staff["investigator"],
        allocated_at=london(2026, 6, 2, 10, 0),
        as_of=london(2026, 6, 2, 10, 5),
    )
    assert clock(referral, "allocation").met_at == london(2026, 6, 2, 10, 0)
    assert clock(referral, "enforcement_action").owner == staff["investigator"]
    review_at = london(2026, 6, 20, 9, 0)
    investigations.record_review(
        staff["supervisor"], referral, reviewed_at=review_at, as_of=review_at
    )
    assert clock(referral, "supervisor_review").met_at == review_at
    assert clock(referral, "supervisor_review", cycle=2).due_at == london(2026, 7, 18, 9, 0)


def test_a_provisional_grade_puts_a_clock_on_the_missing_facts(staff):
    received = london(2026, 6, 1, 9, 0)
    referral, _ = store(low_risk(received, household_established=False), as_of=received)
    assert referral.grade_provisional
    assert clock(referral, "establish_facts").due_at == london(2026, 6, 2, 9, 0)
    settled = london(2026, 6, 3, 9, 0)
    people.correct_person(
        staff["investigator"],
        referral,
        "s1",
        changes={"household_established": True},
        source="visit",
        learned_at=settled,
        as_of=settled,
    )
    assert clock(referral, "establish_facts").met_at == settled
    assert clock(referral, "risk_assessment").met_at == settled


def test_worklists_put_overdue_first_then_grade_then_due(staff):
    received = london(2026, 1, 5, 9, 0)
    low, _ = store(low_risk(received) | {"source_reference": "LOW"}, as_of=received)
    high_data = low_risk(received + timedelta(days=20)) | {"source_reference": "HIGH"}
    high_data["indicators"] = ["grooming"]
    high, _ = store(high_data, as_of=received + timedelta(days=20))
    for referral in (low, high):
        investigations.allocate(
            staff["supervisor"],
            referral,
            staff["investigator"],
            as_of=received + timedelta(days=21),
        )
    as_of = received + timedelta(days=31)
    mine = clocks.worklist(staff["investigator"], as_of=as_of, scope="mine")
    first = mine["items"][0]
    assert (first["source_reference"], first["clock"], first["state"]) == (
        "HIGH",
        "enforcement_action",
        "overdue",
    )
    overdue = [i for i in mine["items"] if i["state"] == "overdue"]
    assert ("LOW", "enforcement_action") in [(i["source_reference"], i["clock"]) for i in overdue]
    ranks = [clocks.GRADE_RANK[i["grade"]] for i in overdue]
    assert ranks == sorted(ranks, reverse=True)  # low-risk breaches listed with the rest
    assert mine["counts"]["overdue"] == len(overdue)
    team = clocks.worklist(staff["investigator"], as_of=as_of, scope="team")
    assert {i["source_reference"] for i in team["items"]} == {"LOW", "HIGH"}
    states = [i["state"] for i in mine["items"]]
    assert states == sorted(states, key=clocks.STATE_ORDER.get)


def test_the_worker_lock_stops_two_sweeps_overlapping():
    from vigil.clocks.models import JobLock

    JobLock.objects.create(
        name="escalation sweep", holder="elsewhere", acquired_at=datetime.now(UTC)
    )
    with pytest.raises(clocks.JobBusy):
        clocks.run_job("escalation sweep", as_of=datetime.now(UTC), work=lambda: {})

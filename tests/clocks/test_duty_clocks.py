"""The duties after a strategy discussion and a release, on stored referrals: the initial child
protection conference, agreed actions, reviews of release under investigation and reminders
before bail lapses; on the referral's clock list, the worklists, the page, the API and the CLI."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import SYSTEM, london, low_risk, store
from vigil.clocks import rules
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.investigations import services as investigations
from vigil.referrals.changes import RecordError
from vigil.safeguarding import services as safeguarding

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 3, 2, 9, 0)
ATTENDEES = [{"agency": "police", "name": "DS Example"}, {"agency": "social care"}]

# A release to a hostel: no household is known there, so a supervisor accepts the risk.
HOSTEL_RISK = "No household known at the hostel; staff confirm no children."


@pytest.fixture
def referral(forces):
    return store(low_risk(RECEIVED), as_of=RECEIVED + timedelta(hours=1))[0]


@pytest.fixture
def officer(make_user):
    return make_user("safeguarding_officer", "XF")


def at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def shown(referral, kind: str, as_of) -> list[dict]:
    return [c for c in clocks.referral_clocks(referral, as_of=as_of) if c["kind"] == kind]


def held_discussion(officer, referral, held_at, *, conference: bool):
    discussion = safeguarding.request_strategy_discussion(
        officer, referral, requested_at=held_at - timedelta(hours=2), as_of=held_at
    )
    return safeguarding.record_strategy_discussion_held(
        officer,
        discussion,
        held_at=held_at,
        attendees=ATTENDEES,
        decisions="Section 47 enquiries.",
        child_protection_conference=conference,
        as_of=held_at,
    )


def test_a_discussion_is_held_now_unless_told_when_and_never_before_it_was_requested(
    referral, officer
):
    requested = london(2026, 4, 2, 10, 0)
    discussion = safeguarding.request_strategy_discussion(
        officer, referral, requested_at=requested, as_of=requested
    )
    with pytest.raises(RecordError, match="cannot be held before it was requested"):
        safeguarding.record_strategy_discussion_held(
            officer,
            discussion,
            held_at=requested - timedelta(hours=1),
            attendees=ATTENDEES,
            decisions="Section 47 enquiries.",
            as_of=requested,
        )
    later = requested + timedelta(hours=3)
    held = safeguarding.record_strategy_discussion_held(
        officer, discussion, attendees=ATTENDEES, decisions="Section 47 enquiries.", as_of=later
    )
    assert held.held_at == later


# The initial child protection conference ------------------------------------------------------


def test_a_discussion_deciding_on_a_conference_puts_it_due_in_15_working_days_met_when_held(
    referral, officer
):
    held_at = london(2026, 4, 2, 10, 0)  # the Thursday before Easter
    discussion = held_discussion(officer, referral, held_at, conference=True)
    (clock,) = shown(referral, "child_protection_conference", held_at)
    # Good Friday and Easter Monday do not count.
    assert at(clock["due_at"]) == london(2026, 4, 27, 10, 0)
    assert clock["text"] == "Initial child protection conference"
    assert clock["cycle"] == discussion.pk and clock["state"] == "due"
    assert "15 working days of the strategy discussion that decided on one" in clock["rule"]

    conference_at = london(2026, 4, 20, 14, 0)
    safeguarding.record_child_protection_conference(
        officer,
        discussion,
        held_at=conference_at,
        outcome="Child protection plan",
        as_of=conference_at,
    )
    (clock,) = shown(referral, "child_protection_conference", conference_at)
    assert clock["state"] == "met" and at(clock["met_at"]) == conference_at
    detail = safeguarding.safeguarding_detail(referral)["strategy_discussions"][0]
    assert detail["conference_outcome"] == "Child protection plan"


def test_a_discussion_that_decided_on_no_conference_owes_none_and_takes_none(referral, officer):
    held_at = london(2026, 4, 2, 10, 0)
    discussion = held_discussion(officer, referral, held_at, conference=False)
    assert not shown(referral, "child_protection_conference", held_at)
    with pytest.raises(RecordError, match="did not decide on a child protection conference"):
        safeguarding.record_child_protection_conference(officer, discussion, as_of=held_at)


def test_a_conference_cannot_be_recorded_before_the_discussion_is_held(referral, officer):
    at = london(2026, 4, 2, 10, 0)
    discussion = safeguarding.request_strategy_discussion(officer, referral, as_of=at)
    with pytest.raises(RecordError, match="held first"):
        safeguarding.record_child_protection_conference(officer, discussion, as_of=at)


# Actions agreed at a strategy discussion ------------------------------------------------------


def test_each_agreed_action_has_its_own_clock_with_its_owner_met_when_done(
    referral, officer, make_user
):
    held_at = london(2026, 4, 14, 10, 0)
    discussion = held_discussion(officer, referral, held_at, conference=False)
    colleague = make_user("investigator", "XF")
    school = safeguarding.agree_strategy_action(
        officer,
        discussion,
        action="Speak to the school's safeguarding lead",
        owner="DC Example, police",
        owner_username=colleague.username,
        due_on=date(2026, 4, 17),
        as_of=held_at,
    )
    visit = safeguarding.agree_strategy_action(
        officer,
        discussion,
        action="Home visit",
        owner="Exampleshire children's services",
        due_on=date(2026, 4, 28),
        as_of=held_at,
    )
    listed = {c["cycle"]: c for c in shown(referral, "strategy_action", held_at)}
    assert set(listed) == {school.pk, visit.pk}
    assert at(listed[school.pk]["due_at"]) == london(2026, 4, 18, 0, 0)
    assert at(listed[visit.pk]["due_at"]) == london(2026, 4, 29, 0, 0)
    assert listed[visit.pk]["text"] == (
        "Strategy discussion action by Exampleshire children's services: Home visit"
    )
    # On the force's worklist, each with its owner and action.
    supervisor = make_user("supervisor", "XF")
    later = london(2026, 4, 20, 9, 0)
    duties = {
        item["clock_text"]: item
        for item in clocks.worklist(supervisor, as_of=later, scope="force")["items"]
        if item["clock"] == "strategy_action"
    }
    school_duty = (
        "Strategy discussion action by DC Example, police: Speak to the school's safeguarding lead"
    )
    assert duties[school_duty]["state"] == "overdue"
    # The action with a Vigil user is on that user's own list and reaches them; the other is
    # the referral's owner's (nobody's yet).
    assert duties[school_duty]["owner"] == colleague.username
    mine = clocks.worklist(colleague, as_of=later, scope="mine")["items"]
    assert [item["clock_text"] for item in mine] == [school_duty]
    assert (
        Clock.objects.get(referral=referral, cycle=visit.pk, kind="strategy_action").owner is None
    )
    clocks.sweep(actor=SYSTEM, as_of=later)
    told = Notification.objects.filter(clock__kind="strategy_action", recipient=colleague)
    assert told.count() == 1 and "strategy discussion action overdue" in told.get().subject

    safeguarding.record_strategy_action_done(officer, school, note="Spoken to", as_of=later)
    listed = {c["cycle"]: c for c in shown(referral, "strategy_action", later)}
    assert listed[school.pk]["state"] == "met_late"
    assert listed[visit.pk]["state"] == "due"
    with pytest.raises(RecordError, match="already recorded as done"):
        safeguarding.record_strategy_action_done(officer, school, as_of=later)


def test_an_action_needs_a_held_discussion_a_date_after_it_and_an_owner_of_the_force(
    referral, officer, make_user
):
    at = london(2026, 4, 14, 10, 0)
    requested = safeguarding.request_strategy_discussion(officer, referral, as_of=at)
    with pytest.raises(RecordError, match="held first"):
        safeguarding.agree_strategy_action(
            officer, requested, action="x", owner="y", due_on=date(2026, 4, 20), as_of=at
        )
    discussion = held_discussion(officer, referral, at, conference=False)
    with pytest.raises(RecordError, match="before the strategy discussion"):
        safeguarding.agree_strategy_action(
            officer, discussion, action="x", owner="y", due_on=date(2026, 4, 13), as_of=at
        )
    elsewhere = make_user("investigator", "YF")
    with pytest.raises(RecordError, match="active user of the referral's force"):
        safeguarding.agree_strategy_action(
            officer,
            discussion,
            action="x",
            owner="y",
            owner_username=elsewhere.username,
            due_on=date(2026, 4, 20),
            as_of=at,
        )


# Release under investigation and bail ---------------------------------------------------------


def test_a_release_under_investigation_is_reviewed_every_3_months_until_bail_supersedes_it(
    referral, make_user
):
    supervisor = make_user("supervisor", "XF")
    released = london(2026, 3, 31, 18, 0)
    release = dict(
        address="A hostel",
        postcode="ZZ9 9ZZ",
        accepted_risk=HOSTEL_RISK,
    )
    investigations.record_release(
        supervisor,
        referral,
        kind="released_under_investigation",
        released_at=released,
        as_of=released,
        **release,
    )
    (first,) = shown(referral, "rui_review", released)
    assert at(first["due_at"]) == london(2026, 6, 30, 18, 0)  # no 31 June

    reviewed = london(2026, 6, 25, 11, 0)
    investigations.record_rui_review(
        supervisor, referral, decision="remains", notes="Devices at the lab.", as_of=reviewed
    )
    first, second = shown(referral, "rui_review", reviewed)
    assert first["state"] == "met" and at(first["met_at"]) == reviewed
    assert at(second["started_at"]) == reviewed
    assert at(second["due_at"]) == london(2026, 9, 25, 11, 0)

    # Bail supersedes it: the review cycle ends, and the bail has its reminder.
    bailed = london(2026, 7, 1, 12, 0)
    back = london(2026, 8, 3, 10, 0)  # a Monday
    investigations.record_release(
        supervisor,
        referral,
        kind="pre_charge_bail",
        released_at=bailed,
        return_at=back,
        as_of=bailed,
        **release,
    )
    assert [c["state"] for c in shown(referral, "rui_review", bailed)] == ["met", "met"]
    with pytest.raises(RecordError, match="not released under investigation"):
        investigations.record_rui_review(supervisor, referral, decision="remains", as_of=bailed)
    (reminder,) = shown(referral, "bail_reminder", bailed)
    assert at(reminder["due_at"]) == london(2026, 7, 30, 10, 0)  # the Thursday before
    assert reminder["text"] == "Bail reminder before bail returns on 03 August 2026 10:00"
    (bail_return,) = shown(referral, "bail_return", bailed)
    assert at(bail_return["due_at"]) == back

    answered = london(2026, 7, 29, 10, 0)
    investigations.record_action(
        supervisor, referral, "bail_answered", occurred_at=answered, as_of=answered
    )
    (reminder,) = shown(referral, "bail_reminder", answered)
    assert reminder["state"] == "met"


def test_bail_extended_as_a_new_release_meets_the_old_reminder_and_starts_a_new_one(
    referral, make_user
):
    supervisor = make_user("supervisor", "XF")
    released = london(2026, 4, 1, 18, 0)
    release = dict(
        kind="pre_charge_bail", address="A hostel", postcode="ZZ9 9ZZ", accepted_risk=HOSTEL_RISK
    )
    investigations.record_release(
        supervisor,
        referral,
        released_at=released,
        return_at=london(2026, 5, 1, 10, 0),
        as_of=released,
        **release,
    )
    extended = london(2026, 4, 28, 12, 0)  # before the reminder falls due on the 29th
    investigations.record_release(
        supervisor,
        referral,
        released_at=extended,
        return_at=london(2026, 6, 1, 10, 0),
        as_of=extended,
        **release,
    )
    old, new = sorted(shown(referral, "bail_reminder", extended), key=lambda c: c["cycle"])
    assert at(old["met_at"]) == extended and old["state"] == "met"
    assert new["state"] == "due" and at(new["due_at"]) == london(2026, 5, 28, 10, 0)


def test_a_review_is_refused_when_the_suspect_was_never_released_under_investigation(
    referral, make_user
):
    with pytest.raises(RecordError, match="not released under investigation"):
        investigations.record_rui_review(
            make_user("supervisor", "XF"), referral, decision="remains", as_of=RECEIVED
        )
    with pytest.raises(RecordError, match="decision must be one of"):
        investigations.record_rui_review(
            make_user("supervisor", "XF"), referral, decision="maybe", as_of=RECEIVED
        )


# A closed referral ----------------------------------------------------------------------------


def test_a_closed_referral_owes_nothing_more_and_keeps_what_was_met(referral, officer, make_user):
    supervisor = make_user("supervisor", "XF")
    held_at = london(2026, 4, 14, 10, 0)
    discussion = held_discussion(officer, referral, held_at, conference=True)
    done = safeguarding.agree_strategy_action(
        officer, discussion, action="One", owner="A", due_on=date(2026, 4, 20), as_of=held_at
    )
    safeguarding.agree_strategy_action(
        officer, discussion, action="Two", owner="B", due_on=date(2026, 4, 20), as_of=held_at
    )
    investigations.record_release(
        supervisor,
        referral,
        kind="released_under_investigation",
        address="A hostel",
        postcode="ZZ9 9ZZ",
        accepted_risk=HOSTEL_RISK,
        as_of=held_at,
    )
    safeguarding.record_strategy_action_done(officer, done, as_of=held_at)
    closing = held_at + timedelta(days=1)
    # The conference and the action still due are safeguarding: a supervisor says why.
    with pytest.raises(RecordError, match="strategy action; child protection conference"):
        investigations.close(
            make_user("investigator", "XF"),
            referral,
            outcome="15",
            rationale="Evidential difficulties.",
            as_of=closing,
        )
    investigations.close(
        supervisor,
        referral,
        outcome="15",
        rationale="Evidential difficulties.",
        outstanding_reason="Social care hold the plan; police part done.",
        as_of=closing,
    )
    left = Clock.objects.filter(
        referral=referral,
        kind__in=["child_protection_conference", "strategy_action", "rui_review"],
    )
    assert not left.filter(is_open=True).exists()
    assert set(left.filter(met_at__isnull=False).values_list("cycle", flat=True)) == {done.pk}
    assert set(left.filter(cancelled_at__isnull=False).values_list("cancel_reason", flat=True)) == {
        "the referral was closed"
    }


# The page, the API and the CLI ----------------------------------------------------------------


def test_the_page_records_a_conference_decided_and_an_agreed_action(client, forces, make_user):
    now = timezone.now()
    received = now - timedelta(days=5)
    referral = store(low_risk(received), as_of=received)[0]
    officer = make_user("safeguarding_officer", "XF")
    client.force_login(officer)
    due_on = timezone.localdate() + timedelta(days=10)
    discussion = safeguarding.request_strategy_discussion(
        officer, referral, requested_at=now - timedelta(hours=2), as_of=now
    )
    page = client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()
    assert "It decided on an initial child protection conference" in page
    client.post(
        reverse("safeguarding:strategy-held", args=[referral.pk]),
        {
            "item": discussion.pk,
            "held_at": f"{timezone.localtime(now - timedelta(hours=1)):%Y-%m-%d %H:%M}",
            "police": "DS Example",
            "social_care": "SW Example",
            "decisions": "ICPC",
            "child_protection_conference": ["false", "true"],
        },
    )
    discussion.refresh_from_db()
    assert discussion.child_protection_conference is True
    response = client.post(
        reverse("safeguarding:strategy-actions", args=[referral.pk]),
        {"item": discussion.pk, "action": "Visit", "owner": "DC Example", "due_on": str(due_on)},
        follow=True,
    )
    page = response.content.decode()
    assert "Agreed action recorded." in page
    assert 'data-testid="strategy-actions"' in page and "DC Example" in page
    assert "Not yet held" in page
    assert discussion.actions.get().due_on == due_on


def test_the_api_and_the_cli_record_an_action_and_its_completion(client, forces, make_user, capsys):
    received = timezone.now() - timedelta(days=5)
    referral = store(low_risk(received) | {"source_reference": "NCA-ACT"}, as_of=received)[0]
    officer = make_user("safeguarding_officer", "XF")
    held_at = received + timedelta(days=1)
    discussion = held_discussion(officer, referral, held_at, conference=False)
    client.force_login(officer)
    response = client.post(
        f"/api/v1/strategy-discussions/{discussion.pk}/actions",
        json.dumps({"action": "Visit", "owner": "DC Example", "due_on": f"{held_at:%Y-%m-%d}"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    bad = client.post(
        f"/api/v1/strategy-discussions/{discussion.pk}/actions",
        json.dumps({"action": "Visit", "owner": "DC Example", "due_on": "someday"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    action = discussion.actions.get()
    call_command("record", "strategy-action-done", str(action.pk), "--note", "Seen", "--json")
    answer = json.loads(capsys.readouterr().out)
    assert answer["referral_id"] == referral.pk
    action.refresh_from_db()
    assert action.done_at is not None and action.done_note == "Seen"
    (clock,) = shown(referral, "strategy_action", timezone.now())
    assert clock["state"] in {"met", "met_late"}
    assert at(clock["due_at"]) == rules.end_of_day(action.due_on)


def test_the_page_offers_a_supervisor_the_review_of_a_release_under_investigation(
    client, forces, make_user
):
    received = timezone.now() - timedelta(days=5)
    referral = store(low_risk(received), as_of=received)[0]
    supervisor = make_user("supervisor", "XF")
    page_url = reverse("site:referral-detail", args=[referral.pk])
    client.force_login(supervisor)
    assert 'data-testid="rui-review-form"' not in client.get(page_url).content.decode()
    investigations.record_release(
        supervisor,
        referral,
        kind="released_under_investigation",
        address="A hostel",
        postcode="ZZ9 9ZZ",
        accepted_risk=HOSTEL_RISK,
        released_at=received + timedelta(days=1),
        as_of=timezone.now(),
    )
    assert 'data-testid="rui-review-form"' in client.get(page_url).content.decode()
    response = client.post(
        reverse("investigations:rui-reviews", args=[referral.pk]),
        {"decision": "remains", "notes": "Awaiting the lab."},
        follow=True,
    )
    page = response.content.decode()
    assert "Review of the release under investigation recorded." in page
    assert "Release under investigation reviewed: remains released under investigation" in page
    cycles = shown(referral, "rui_review", timezone.now())
    assert [c["state"] for c in cycles] == ["met", "due"]


def test_the_cli_records_a_conference_decided_an_agreed_action_and_an_rui_review(forces, capsys):
    received = timezone.now() - timedelta(days=5)
    referral = store(low_risk(received) | {"source_reference": "NCA-CLI-D"}, as_of=received)[0]
    call_command("record", "strategy-discussions", "NCA-CLI-D")
    discussion = referral.strategy_discussions.get()
    call_command(
        "record",
        "strategy-held",
        str(discussion.pk),
        "--held-at",
        discussion.requested_at.isoformat(),
        "--police",
        "DS Example",
        "--social-care",
        "SW Example",
        "--decisions",
        "ICPC",
        "--child-protection-conference",
        "true",
    )
    due_on = timezone.localdate() + timedelta(days=7)
    call_command(
        "record",
        "strategy-actions",
        str(discussion.pk),
        "--action",
        "Visit",
        "--owner",
        "DC Example, police",
        "--due-on",
        str(due_on),
    )
    now = timezone.now()
    assert [c["state"] for c in shown(referral, "child_protection_conference", now)] == ["due"]
    (action,) = shown(referral, "strategy_action", now)
    assert action["text"] == "Strategy discussion action by DC Example, police: Visit"
    with pytest.raises(CommandError, match="not released under investigation"):
        call_command("record", "rui-reviews", "NCA-CLI-D", "--decision", "remains")


def test_an_action_owner_of_the_old_force_is_not_its_owner_after_a_transfer(
    referral, officer, make_user
):
    held_at = london(2026, 4, 14, 10, 0)
    discussion = held_discussion(officer, referral, held_at, conference=False)
    colleague = make_user("investigator", "XF")
    safeguarding.agree_strategy_action(
        officer,
        discussion,
        action="Visit",
        owner="DC Example",
        owner_username=colleague.username,
        due_on=date(2026, 4, 20),
        as_of=held_at,
    )
    assert Clock.objects.get(referral=referral, kind="strategy_action").owner == colleague
    investigations.transfer(
        make_user("supervisor", "XF"), referral, "YF", reason="Moved to Sampleton.", as_of=held_at
    )
    # Offered, not yet accepted: still the old force's, and its user's.
    assert Clock.objects.get(referral=referral, kind="strategy_action").owner == colleague
    investigations.accept_transfer(make_user("supervisor", "YF"), referral, as_of=held_at)
    moved = Clock.objects.get(referral=referral, kind="strategy_action")
    assert moved.owner is None and moved.force.code == "YF"

"""The investigation: no lost updates, bail checks, closure rules, transfers, safeguarding."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404

from tests.conftest import SYSTEM, london, low_risk, store
from vigil.audit.models import AuditEvent
from vigil.clocks.models import Clock
from vigil.intake.research import add_research
from vigil.investigations import services as investigations
from vigil.people import services as people
from vigil.referrals.changes import Conflict
from vigil.referrals.models import Referral
from vigil.safeguarding import services as safeguarding

RECEIVED = london(2026, 6, 1, 9, 0)
LATER = RECEIVED + timedelta(days=2)


@pytest.fixture
def staff(make_user):
    return {
        role: make_user(role, "XF")
        for role in ("investigator", "supervisor", "unit_head", "safeguarding_officer")
    }


def with_child_at_home() -> dict:
    data = low_risk(RECEIVED, household_established=True)
    data["subjects"][0]["address"] = {
        "line1": "1 High Street",
        "town": "Exampleton",
        "postcode": "XX1 1XX",
    }
    data["subjects"].append(
        {
            "ref": "h1",
            "role": "household_member",
            "first_name": "Sky",
            "age": 15,
            "lives_with": ["s1"],
        }
    )
    return data


@pytest.mark.django_db
def test_two_supervisors_allocating_at_once_the_second_is_told_and_decides_again(staff, make_user):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    seen = referral.version
    other = make_user("supervisor", "XF", username="sup2")
    officer2 = make_user("investigator", "XF", username="inv2")
    investigations.allocate(
        staff["supervisor"], referral, staff["investigator"], expected_version=seen, as_of=LATER
    )
    with pytest.raises(
        Conflict, match=r"changed since you opened it \(Referral allocated by supervisor-xf"
    ):
        investigations.allocate(
            other,
            Referral.objects.get(pk=referral.pk),
            officer2,
            expected_version=seen,
            as_of=LATER,
        )
    referral.refresh_from_db()
    assert referral.owner == staff["investigator"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_lose_an_update(make_user, forces):
    """Two threads, each with its own database connection, change one referral at once."""
    supervisor = make_user("supervisor", "XF")
    officers = [make_user("investigator", "XF", username=f"inv{n}") for n in range(2)]
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    seen = referral.version
    barrier = threading.Barrier(2)
    outcomes = []

    def allocate(officer):
        try:
            barrier.wait(timeout=10)
            investigations.allocate(
                supervisor,
                Referral.objects.get(pk=referral.pk),
                officer,
                expected_version=seen,
                as_of=LATER,
            )
            outcomes.append("allocated")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["allocated", "conflict"]
    referral.refresh_from_db()
    assert referral.allocations.count() == 1
    assert referral.version == seen + 1


@pytest.mark.django_db
def test_an_action_after_closure_is_refused(staff):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    investigations.close(
        staff["investigator"],
        referral,
        outcome="18",
        rationale="No suspect could be identified.",
        as_of=LATER,
    )
    with pytest.raises(Conflict, match="is closed"):
        investigations.record_action(staff["investigator"], referral, "search", as_of=LATER)


@pytest.mark.django_db
def test_bail_to_a_home_with_a_child_is_refused_without_a_supervisor_decision_and_plan(staff):
    referral, _ = store(with_child_at_home(), as_of=RECEIVED)
    arrest = RECEIVED + timedelta(days=1)
    investigations.record_action(
        staff["investigator"], referral, "arrest", occurred_at=arrest, as_of=arrest
    )
    release = dict(
        kind="pre_charge_bail",
        address="1 High Street, Exampleton",
        postcode="xx1 1xx",
        return_at=arrest + timedelta(days=28),
        released_at=arrest + timedelta(hours=6),
    )
    with pytest.raises(investigations.RecordError, match="a supervisor must record the release"):
        investigations.record_release(staff["investigator"], referral, as_of=LATER, **release)
    with pytest.raises(
        investigations.RecordError, match="record your decision and the safeguarding plan"
    ):
        investigations.record_release(staff["supervisor"], referral, as_of=LATER, **release)
    assert not referral.releases.exists()
    investigations.record_release(
        staff["supervisor"],
        referral,
        as_of=LATER,
        supervisor_decision="Bail with a condition not to reside at the address.",
        safeguarding_plan="Suspect to live with his brother; sister's school and social care told.",
        **release,
    )
    social = Clock.objects.get(referral=referral, kind="release_social_care")
    assert social.started_at == arrest + timedelta(hours=6)
    assert Clock.objects.get(referral=referral, kind="bail_return").due_at == arrest + timedelta(
        days=28
    )
    assert AuditEvent.objects.filter(action="release.recorded").count() == 1
    referral.refresh_from_db()
    assert referral.status == "post_enforcement"


@pytest.mark.django_db
def test_release_elsewhere_without_children_is_recorded_by_an_investigator(staff):
    referral, _ = store(with_child_at_home(), as_of=RECEIVED)
    # Research established the household there: the suspect's brother lives alone.
    add_research(
        SYSTEM,
        referral,
        source="Visit to the brother's home",
        learned_at=LATER,
        subjects=[
            {
                "ref": "r1",
                "role": "relative",
                "relation": "brother",
                "first_name": "Dan",
                "date_of_birth": "1968-01-01",
                "household_established": True,
                "addresses": [{"line1": "4 Other Road", "postcode": "YY9 9YY"}],
            }
        ],
        as_of=LATER,
    )
    investigations.record_release(
        staff["investigator"],
        referral,
        kind="released_under_investigation",
        address="4 Other Road, Sampleton",
        postcode="YY9 9YY",
        as_of=LATER,
    )
    assert not Clock.objects.filter(referral=referral, kind="release_social_care").exists()


@pytest.mark.django_db
def test_closure_is_refused_while_a_safeguarding_step_is_due(staff):
    referral, _ = store(with_child_at_home(), as_of=RECEIVED)
    with pytest.raises(
        investigations.RecordError, match=r"safeguarding is still due \(social care referral"
    ):
        investigations.close(
            staff["investigator"],
            referral,
            outcome="15",
            rationale="Evidential difficulties on the devices.",
            as_of=LATER,
        )
    with pytest.raises(investigations.RecordError, match="record why"):
        investigations.close(
            staff["supervisor"],
            referral,
            outcome="15",
            rationale="Evidential difficulties on the devices.",
            as_of=LATER,
        )
    investigations.close(
        staff["supervisor"],
        referral,
        outcome="15",
        rationale="Evidential difficulties on the devices.",
        outstanding_reason="Family moved abroad; social care in Spain told by the NCA.",
        as_of=LATER,
    )
    referral.refresh_from_db()
    assert referral.status == "closed"
    assert referral.outcome.outstanding_safeguarding_reason.startswith("Family moved")


@pytest.mark.django_db
def test_closure_follows_social_care_and_its_decision(staff):
    referral, _ = store(with_child_at_home(), as_of=RECEIVED)
    shared = safeguarding.share_with_social_care(
        staff["safeguarding_officer"],
        referral,
        authority="Exampleshire",
        method="mash",
        what_was_shared="Suspect lives with a 15-year-old sister.",
        children=["h1"],
        as_of=LATER,
    )
    safeguarding.request_strategy_discussion(staff["safeguarding_officer"], referral, as_of=LATER)
    with pytest.raises(investigations.RecordError, match="no social care decision recorded for h1"):
        investigations.close(
            staff["investigator"],
            referral,
            outcome="1",
            rationale="Charged with making indecent images.",
            as_of=LATER,
        )
    safeguarding.record_social_care_decision(
        staff["safeguarding_officer"],
        shared,
        decision="Child protection enquiry (section 47).",
        as_of=LATER,
    )
    investigations.close(
        staff["investigator"],
        referral,
        outcome="1",
        rationale="Charged with making indecent images.",
        as_of=LATER,
    )
    assert Referral.objects.get(pk=referral.pk).status == "closed"


@pytest.mark.django_db
def test_not_in_the_public_interest_needs_a_supervisor(staff):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    with pytest.raises(investigations.RecordError, match="needs a supervisor"):
        investigations.close(
            staff["investigator"],
            referral,
            outcome="21",
            rationale="Low level possession; suspect engaged with treatment.",
            as_of=LATER,
        )
    outcome = investigations.close(
        staff["supervisor"],
        referral,
        outcome="21",
        rationale="Low level possession; suspect engaged with treatment.",
        as_of=LATER,
    )
    assert outcome.not_in_public_interest


@pytest.mark.django_db
def test_each_safeguarding_record_meets_its_clock_and_is_audited(staff):
    data = with_child_at_home()
    data["subjects"][0]["works_with_children"] = True
    data["subjects"][0]["occupation"] = "Scout leader"
    referral, _ = store(data, as_of=RECEIVED)
    officer = staff["safeguarding_officer"]
    safeguarding.share_with_social_care(
        officer,
        referral,
        authority="Exampleshire",
        method="phone",
        what_was_shared="Household with a child.",
        as_of=LATER,
    )
    safeguarding.request_strategy_discussion(officer, referral, as_of=LATER)
    safeguarding.refer_to_lado(officer, referral, authority="Exampleshire", as_of=LATER)
    met = dict(Clock.objects.filter(referral=referral).values_list("kind", "met_at"))
    assert (
        met["social_care_referral"] == met["strategy_discussion"] == met["lado_referral"] == LATER
    )
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "social_care.shared",
        "strategy.requested",
        "lado.referred",
    }


@pytest.mark.django_db
def test_a_child_suspect_needs_a_welfare_plan_before_arrest(staff):
    referral, _ = store(low_risk(RECEIVED, date_of_birth="2010-05-05"), as_of=RECEIVED)
    with pytest.raises(
        investigations.RecordError,
        match="the suspect is a child: record the suspect's welfare plan",
    ):
        investigations.record_action(staff["investigator"], referral, "arrest", as_of=LATER)
    safeguarding.record_welfare_plan(
        staff["safeguarding_officer"],
        referral,
        reason="Suspect is 16",
        plan="Appropriate adult; social worker present.",
        as_of=LATER,
    )
    investigations.record_action(staff["investigator"], referral, "arrest", as_of=LATER)
    children = safeguarding.children_in_view(referral, as_of=LATER)
    assert any(child["relation"] == "suspect" for child in children)


@pytest.mark.django_db
def test_children_in_view_lists_household_access_victims_and_workplace(staff):
    data = with_child_at_home()
    data["subjects"][0]["works_with_children"] = True
    data["subjects"].append({"ref": "v1", "role": "victim", "age": 9})
    referral, _ = store(data, as_of=RECEIVED)
    people.add_access(
        staff["investigator"],
        referral,
        child_first_name="Rae",
        child_age=7,
        kind="regular_unsupervised",
        source="neighbour",
        as_of=LATER,
    )
    relations = {
        child["ref"]: child["relation"]
        for child in safeguarding.children_in_view(referral, as_of=LATER)
    }
    assert relations == {
        "h1": "household",
        "v1": "victim",
        "c1": "access",
        "workplace": "workplace",
    }


@pytest.mark.django_db
def test_standards_show_what_is_outstanding(staff):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    before = {s["code"]: s["met"] for s in investigations.standards(referral)}
    assert before["identity"] and before["household"] and not before["checks"]
    assert "family_tree" not in before  # low grade
    investigations.record_standard(
        staff["investigator"],
        referral,
        "checks",
        note="PNC, PND and social care checks done.",
        as_of=LATER,
    )
    assert {s["code"]: s["met"] for s in investigations.standards(referral)}["checks"]


@pytest.mark.django_db
def test_the_workflow_moves_with_what_is_recorded_and_by_hand_only_where_allowed(staff):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    assert referral.status == "graded"
    investigations.allocate(staff["supervisor"], referral, staff["investigator"], as_of=LATER)
    assert Referral.objects.get(pk=referral.pk).status == "allocated"
    with pytest.raises(investigations.RecordError, match="cannot move to 'closed' by hand"):
        investigations.move(staff["investigator"], referral, "closed", as_of=LATER)
    investigations.move(
        staff["investigator"], referral, "outcome_pending", reason="File to CPS", as_of=LATER
    )
    assert AuditEvent.objects.filter(action="status.changed").exists()


@pytest.mark.django_db
def test_another_force_cannot_transfer_or_close(staff, make_user):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    outsider = make_user("supervisor", "YF")
    with pytest.raises(Http404):
        investigations.transfer(outsider, referral, "YF", reason="Taking it over now.", as_of=LATER)

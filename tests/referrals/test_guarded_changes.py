"""Every change to a referral goes through the one guarded path.

The table below lists every state-changing service: every recording that any part declares
(found from the parts, not listed by hand, so a new one without a row here fails) and the few
changes that are not recordings. For each, the same properties are checked: the permission,
the visibility (another force, and a restricted referral for someone not named), one lock on
the referral's row taken before anything is written, the version raised by one, the refusal
on a closed referral, and the audit event written in the same transaction.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import referral_data, store
from vigil.accounts.models import Force
from vigil.audit.models import AuditEvent
from vigil.core.actors import SystemActor
from vigil.exhibits import services as exhibits
from vigil.exhibits.models import Exhibit
from vigil.intake import requests as data_requests
from vigil.intake import research
from vigil.investigations import retention
from vigil.investigations import services as investigations
from vigil.people import services as people
from vigil.referrals import services as referrals
from vigil.referrals.changes import Conflict, RecordError
from vigil.referrals.models import NamedAccess, Referral, Transfer
from vigil.risk import services as risk
from vigil.risk.models import Override, QualityCheck
from vigil.safeguarding import services as safeguarding

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("test")
RECORDING_MODULES = (
    referrals,
    people,
    research,
    risk,
    safeguarding,
    investigations,
    data_requests,
)


@dataclass
class Row:
    """One state-changing service: who may use it, and how to call it on a referral."""

    name: str
    role: str
    call: object  # call(actor, referral, world) -> None
    # A role of the same force that may not make this change.
    refused_role: str = "analyst"
    # Made to a closed referral (and refused on an open one).
    on_closed: bool = False
    # Sets the referral up for the change (by hand, not as a change: the version stays).
    prepare: object = None  # prepare(referral, world)
    notes: dict = field(default_factory=dict)


# A folder to triage: what is in it does not matter here.
TRIAGED = Path(__file__).parent


def _exhibit(referral, world):
    return Exhibit.objects.create(
        referral=referral,
        reference="EX/2",
        kind="storage",
        recorded_by_name="test",
        recorded_at=world["now"],
    )


def _now(world):
    return world["now"]


def _offered_to_xf(referral, world):
    """Held by a third force, which offers it to XF: XF's users are the ones who answer."""
    elsewhere, _ = Force.objects.get_or_create(code="ZF", defaults={"name": "Elsewhere Police"})
    Referral.objects.filter(pk=referral.pk).update(force=elsewhere)
    Transfer.objects.create(
        referral=referral,
        from_force=elsewhere,
        to_force=Force.objects.get(code="XF"),
        reason="The suspect lives in Exampleshire.",
        transferred_at=world["now"],
        recorded_by_name="test",
        recorded_at=world["now"],
    )


def _item(kind):
    def pick(referral, world):
        return world[kind]

    return pick


ROWS = [
    Row(
        "restriction",
        "supervisor",
        lambda a, r, w: referrals.restrict_referral(a, r, usernames=[], as_of=w["now"]),
    ),
    Row(
        "indicators",
        "assessor",
        lambda a, r, w: referrals.add_indicator(a, r, "sextortion", source="x", as_of=w["now"]),
    ),
    Row(
        "household-members",
        "assessor",
        lambda a, r, w: people.add_household_member(
            a, r, first_name="Pip", age=5, source="visit", as_of=w["now"]
        ),
    ),
    Row(
        "research",
        "assessor",
        lambda a, r, w: research.add_research(
            a,
            r,
            source="PNC",
            subjects=[{"ref": "r9", "role": "relative", "relation": "niece", "age": 6}],
            as_of=w["now"],
        ),
    ),
    Row(
        "identifiers",
        "assessor",
        lambda a, r, w: research.add_identifier(
            a, r, type="email", value="found@example.com", source="PNC", as_of=w["now"]
        ),
    ),
    Row(
        "addresses",
        "assessor",
        lambda a, r, w: research.add_address(
            a, r, line1="2 Found Road", postcode="XX3 3XX", source="roll", as_of=w["now"]
        ),
    ),
    Row(
        "people-found",
        "assessor",
        lambda a, r, w: research.add_person_found(
            a, r, role="associate", first_name="Kit", source="intelligence", as_of=w["now"]
        ),
    ),
    Row(
        "checks",
        "assessor",
        lambda a, r, w: research.add_check(a, r, system="pnd", result="No trace", as_of=w["now"]),
    ),
    Row(
        "access",
        "assessor",
        lambda a, r, w: people.add_access(
            a, r, kind="regular_unsupervised", child_age=7, source="visit", as_of=w["now"]
        ),
    ),
    Row(
        "history",
        "assessor",
        lambda a, r, w: people.add_history(a, r, type="violence", source="PNC", as_of=w["now"]),
    ),
    Row(
        "people",
        "assessor",
        lambda a, r, w: people.correct_person(
            a, r, "s1", changes={"occupation": "Baker"}, source="PNC", as_of=w["now"]
        ),
    ),
    Row(
        "overrides",
        "assessor",
        lambda a, r, w: risk.propose_override(
            a, r, "high", "The escalation was about another account.", as_of=w["now"]
        ),
    ),
    Row(
        "override-decision",
        "supervisor",
        lambda a, r, w: risk.decide_override(
            a, w["override"], approve=False, reason="Not agreed.", as_of=w["now"]
        ),
        refused_role="assessor",
    ),
    Row(
        "quality-check",
        "supervisor",
        lambda a, r, w: risk.record_quality_check(
            a, w["check"], outcome="agree", notes="", as_of=w["now"]
        ),
        refused_role="assessor",
    ),
    Row(
        "social-care-referrals",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.share_with_social_care(
            a, r, authority="Exampleshire", method="phone", what_was_shared="x", as_of=w["now"]
        ),
    ),
    Row(
        "strategy-discussions",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.request_strategy_discussion(a, r, as_of=w["now"]),
    ),
    Row(
        "lado-referrals",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.refer_to_lado(a, r, authority="Exampleshire", as_of=w["now"]),
    ),
    Row(
        "social-care-decision",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.record_social_care_decision(
            a, w["social_care"], decision="Assessment", as_of=w["now"]
        ),
    ),
    Row(
        "strategy-held",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.record_strategy_discussion_held(
            a,
            w["strategy"],
            held_at=w["now"],
            attendees=[{"agency": "police"}, {"agency": "social care"}],
            decisions="Section 47 enquiries.",
            as_of=w["now"],
        ),
    ),
    Row(
        "child-protection-conference",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.record_child_protection_conference(
            a, w["decided"], held_at=w["now"], outcome="Child protection plan", as_of=w["now"]
        ),
    ),
    Row(
        "strategy-actions",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.agree_strategy_action(
            a,
            w["decided"],
            action="Visit the school",
            owner="DC Jones, police",
            due_on=w["now"].date() + timedelta(days=7),
            as_of=w["now"],
        ),
    ),
    Row(
        "strategy-action-done",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.record_strategy_action_done(
            a, w["strategy_action"], note="Seen", as_of=w["now"]
        ),
    ),
    Row(
        "lado-outcome",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.record_lado_outcome(
            a, w["lado"], outcome="Suspended", as_of=w["now"]
        ),
    ),
    Row(
        "welfare-plans",
        "safeguarding_officer",
        lambda a, r, w: safeguarding.record_welfare_plan(
            a, r, reason="Self-harm", plan="Mental health team present", as_of=w["now"]
        ),
    ),
    Row(
        "allocation",
        "supervisor",
        lambda a, r, w: investigations.allocate(a, r, w["investigator"], as_of=w["now"]),
        refused_role="investigator",
    ),
    Row(
        "actions",
        "investigator",
        lambda a, r, w: investigations.record_action(a, r, "search", as_of=w["now"]),
        refused_role="assessor",
    ),
    Row(
        "reviews",
        "supervisor",
        lambda a, r, w: investigations.record_review(a, r, as_of=w["now"]),
        refused_role="investigator",
    ),
    Row(
        "releases",
        "supervisor",
        lambda a, r, w: investigations.record_release(
            a,
            r,
            kind="released_under_investigation",
            address="A hostel",
            postcode="ZZ9 9ZZ",
            supervisor_decision="Hostel checked: no children.",
            safeguarding_plan="Checked weekly.",
            accepted_risk="No household known at the hostel; staff confirm no children.",
            as_of=w["now"],
        ),
        refused_role="assessor",
    ),
    Row(
        "rui-reviews",
        "supervisor",
        lambda a, r, w: investigations.record_rui_review(
            a, r, decision="remains", notes="Awaiting the devices' examination.", as_of=w["now"]
        ),
        refused_role="investigator",
    ),
    Row(
        "transfer",
        "supervisor",
        lambda a, r, w: investigations.transfer(
            a, r, "YF", reason="The suspect lives in Sampleton.", as_of=w["now"]
        ),
        refused_role="investigator",
    ),
    Row(
        "accept-transfer",
        "supervisor",
        lambda a, r, w: investigations.accept_transfer(a, r, as_of=w["now"]),
        refused_role="investigator",
        prepare=_offered_to_xf,
    ),
    Row(
        "reject-transfer",
        "supervisor",
        lambda a, r, w: investigations.reject_transfer(
            a, r, reason="The suspect lives elsewhere now.", as_of=w["now"]
        ),
        refused_role="investigator",
        prepare=_offered_to_xf,
    ),
    Row(
        "standards",
        "investigator",
        lambda a, r, w: investigations.record_standard(
            a, r, "checks", note="PNC, PND, local", as_of=w["now"]
        ),
        refused_role="assessor",
    ),
    Row(
        "status",
        "investigator",
        lambda a, r, w: investigations.move(a, r, "outcome_pending", as_of=w["now"]),
        refused_role="assessor",
    ),
    Row(
        "flags",
        "investigator",
        lambda a, r, w: investigations.set_flags(a, r, ["firearms"], as_of=w["now"]),
        refused_role="assessor",
    ),
    Row(
        "outcome",
        "supervisor",
        lambda a, r, w: investigations.close(
            a,
            r,
            outcome="15",
            rationale="Evidential difficulties; no further action.",
            outstanding_reason="Social care were told by phone; recorded later.",
            as_of=w["now"],
        ),
        refused_role="assessor",
    ),
    Row(
        "reopening",
        "supervisor",
        lambda a, r, w: investigations.reopen(
            a, r, reason="New intelligence from the provider.", as_of=w["now"]
        ),
        refused_role="investigator",
        on_closed=True,
    ),
    Row(
        "data-requests",
        "investigator",
        lambda a, r, w: data_requests.add_request(
            a, r, provider="ExampleSocial", basis="production_order", asked="x", as_of=w["now"]
        ),
        refused_role="assessor",
    ),
    Row(
        "data-request-sent",
        "investigator",
        lambda a, r, w: data_requests.record_sent(a, w["unsent_request"], as_of=w["now"]),
        refused_role="assessor",
    ),
    Row(
        "data-request-acknowledged",
        "investigator",
        lambda a, r, w: data_requests.record_acknowledged(a, w["data_request"], as_of=w["now"]),
        refused_role="assessor",
    ),
    Row(
        "data-request-returned",
        "investigator",
        lambda a, r, w: data_requests.record_returned(
            a, w["data_request"], result="An email address", as_of=w["now"]
        ),
        refused_role="assessor",
    ),
    Row(
        "data-request-refused",
        "investigator",
        lambda a, r, w: data_requests.record_refused(
            a, w["data_request"], reason="No such account", as_of=w["now"]
        ),
        refused_role="assessor",
    ),
    # The changes that are not recordings.
    Row(
        "regrade",
        "assessor",
        lambda a, r, w: risk.regrade(a, r, as_of=w["turned_18"]),
    ),
    Row(
        "quality-sample",
        "supervisor",
        lambda a, r, w: risk.queue_quality_check(a, w["assessment"], as_of=w["now"]),
        refused_role="assessor",
    ),
    Row(
        "retention-deletion",
        "unit_head",
        lambda a, r, w: retention.delete_personal_data(
            a, r, reason="Reviewed: nothing further.", as_of=w["after_review"]
        ),
        refused_role="supervisor",
        on_closed=True,
    ),
    Row(
        "exhibit-added",
        "investigator",
        lambda a, r, w: exhibits.add_exhibit(a, r, "EX/1", kind="phone", as_of=w["now"]),
        refused_role="assessor",
    ),
    Row(
        "triage-started",
        "investigator",
        lambda a, r, w: exhibits.start_triage(a, f"#{w['exhibit'].pk}", TRIAGED, as_of=w["now"]),
        refused_role="assessor",
        prepare=lambda r, w: w.update(exhibit=_exhibit(r, w)),
    ),
]


def test_every_recording_has_a_row_in_the_table():
    declared = {entry.name for module in RECORDING_MODULES for entry in module.RECORDINGS}
    assert declared <= {row.name for row in ROWS}, declared - {row.name for row in ROWS}


@pytest.fixture
def world(make_user, forces):
    """A referral with one of everything a change may complete, and the people to make them."""
    received = timezone.now() - timedelta(days=40)
    data = referral_data(received_at=received.isoformat())
    # A household member who turns 18 tomorrow: the re-grade then has something to change.
    tomorrow = timezone.localdate() + timedelta(days=1)
    data["subjects"].append(
        {
            "ref": "c9",
            "role": "household_member",
            "first_name": "Ada",
            "date_of_birth": tomorrow.replace(year=tomorrow.year - 18).isoformat(),
            "lives_with": ["s1"],
        }
    )
    data["subjects"] = [s for s in data["subjects"] if s["ref"] not in {"c1", "c2", "v1"}]
    data["access"] = []
    referral, _ = store(data, as_of=received)
    now = timezone.now()
    supervisor = make_user("supervisor", "XF")
    assessor = make_user("assessor", "XF")
    world = {"now": now, "turned_18": now + timedelta(days=2), "investigator": None}
    world["investigator"] = make_user("investigator", "XF")
    world["override"] = risk.propose_override(
        assessor, referral, "high", "Lowering for the table test.", as_of=now
    )
    assessment = referral.assessments.get(is_current=True)
    assessment.assessed_by = assessor
    assessment.save(update_fields=["assessed_by"])
    world["assessment"] = assessment
    world["check"] = QualityCheck.objects.create(
        assessment=assessment, assessor=assessor, queued_at=now
    )
    world["social_care"] = safeguarding.share_with_social_care(
        supervisor, referral, authority="E", method="phone", what_was_shared="x", as_of=now
    )
    world["strategy"] = safeguarding.request_strategy_discussion(supervisor, referral, as_of=now)
    world["lado"] = safeguarding.refer_to_lado(supervisor, referral, authority="E", as_of=now)
    world["decided"] = safeguarding.request_strategy_discussion(supervisor, referral, as_of=now)
    safeguarding.record_strategy_discussion_held(
        supervisor,
        world["decided"],
        held_at=now,
        attendees=[{"agency": "police"}, {"agency": "social care"}],
        decisions="An initial child protection conference.",
        child_protection_conference=True,
        as_of=now,
    )
    world["strategy_action"] = safeguarding.agree_strategy_action(
        supervisor,
        world["decided"],
        action="See the child at school",
        owner="Exampleshire children's services",
        due_on=now.date() + timedelta(days=3),
        as_of=now,
    )
    investigations.record_release(
        supervisor,
        referral,
        kind="released_under_investigation",
        address="A hostel",
        postcode="ZZ9 9ZZ",
        released_at=now - timedelta(days=1),
        supervisor_decision="Hostel checked: no children.",
        safeguarding_plan="Checked weekly.",
        accepted_risk="No household known at the hostel; staff confirm no children.",
        as_of=now,
    )
    world["data_request"], world["unsent_request"] = (
        data_requests.add_request(
            supervisor, referral, provider="P", basis="other", asked="x", sent_at=sent, as_of=now
        )
        for sent in (now - timedelta(days=1), None)
    )
    world["referral"] = Referral.objects.get(pk=referral.pk)
    world["after_review"] = now + timedelta(days=365 * 40)
    return world


def _close(world, make_user):
    referral = world["referral"]
    investigations.close(
        make_user("supervisor", "XF"),
        referral,
        outcome="15",
        rationale="Closed for the table test.",
        outstanding_reason="Closed for the table test regardless.",
        as_of=world["now"],
    )
    referral.refresh_from_db()


def _ready(row, world, make_user):
    if row.on_closed:
        _close(world, make_user)
    if row.prepare:
        row.prepare(world["referral"], world)
    if row.name == "override-decision":
        # The lowering must still be current: nothing re-graded since it was proposed.
        assert Override.objects.get(pk=world["override"].pk).status == "pending"
    return world["referral"]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_wrong_role_another_force_and_someone_not_named_are_refused(row, world, make_user):
    referral = _ready(row, world, make_user)
    version = referral.version
    # A role without the permission: refused before any lookup.
    with pytest.raises(PermissionDenied):
        row.call(make_user(row.refused_role, "XF"), referral, world)
    # Another force's user with the permission: not found, as if it did not exist.
    with pytest.raises(Http404):
        row.call(make_user(row.role, "YF"), referral, world)
    # Restricted to others: not found for a user of the force who is not named.
    named = make_user("unit_head", "XF")
    Referral.objects.filter(pk=referral.pk).update(is_restricted=True)
    NamedAccess.objects.create(
        referral=referral, user=named, granted_by_name="test", granted_at=world["now"]
    )
    with pytest.raises(Http404):
        row.call(make_user(row.role, "XF", username=f"unnamed-{row.role}"), referral, world)
    assert Referral.objects.get(pk=referral.pk).version == version


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_a_change_locks_the_referral_raises_its_version_by_one_and_is_audited(
    row, world, make_user
):
    referral = _ready(row, world, make_user)
    version = Referral.objects.get(pk=referral.pk).version
    actor = make_user(row.role, "XF")
    with CaptureQueriesContext(connection) as captured:
        row.call(actor, referral, world)
    after = Referral.objects.get(pk=referral.pk).version
    assert after == version + 1
    event = AuditEvent.objects.get(referral_id=referral.pk, referral_version=after)
    assert event.actor_name == actor.username
    if connection.vendor == "postgresql":
        # The referral's row alone is locked, and before anything is written. (SQLite has no
        # row locks: its one writer at a time is the lock there.) The only other rows a change
        # may lock are the re-grade index's, after it, in id order (``lock_index_rows``).
        statements = [query["sql"] for query in captured.captured_queries]
        locks = [i for i, sql in enumerate(statements) if "FOR UPDATE" in sql]
        assert 'FOR UPDATE OF "intake_referral"' in statements[locks[0]]
        later = [statements[i] for i in locks[1:]]
        assert all(
            'FROM "risk_regradedue"' in sql and 'ORDER BY "risk_regradedue"."referral_id"' in sql
            for sql in later
        ), later
        written_before = [
            sql
            for sql in statements[: locks[0]]
            if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ]
        assert not written_before


OPEN_ROWS = [row for row in ROWS if not row.on_closed]
CLOSED_ROWS = [row for row in ROWS if row.on_closed]


@pytest.mark.parametrize("row", OPEN_ROWS, ids=[row.name for row in OPEN_ROWS])
def test_a_closed_referral_takes_no_change(row, world, make_user):
    _close(world, make_user)
    referral = world["referral"]
    if row.prepare:
        row.prepare(referral, world)
    version = referral.version
    with pytest.raises(Conflict, match="is closed"):
        row.call(make_user(row.role, "XF"), referral, world)
    assert Referral.objects.get(pk=referral.pk).version == version


@pytest.mark.parametrize("row", CLOSED_ROWS, ids=[row.name for row in CLOSED_ROWS])
def test_reopening_and_deletion_at_review_act_on_closed_referrals_only(row, world, make_user):
    referral = world["referral"]
    version = referral.version
    with pytest.raises(RecordError, match="closed"):
        row.call(make_user(row.role, "XF"), referral, world)
    assert Referral.objects.get(pk=referral.pk).version == version


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_audit_event_is_in_the_same_transaction(row, world, make_user, monkeypatch):
    referral = _ready(row, world, make_user)
    version = Referral.objects.get(pk=referral.pk).version
    events = AuditEvent.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("vigil.referrals.changes.record", broken)
    with pytest.raises(RuntimeError):
        row.call(make_user(row.role, "XF"), referral, world)
    assert Referral.objects.get(pk=referral.pk).version == version
    assert AuditEvent.objects.count() == events

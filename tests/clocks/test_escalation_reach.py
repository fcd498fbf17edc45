"""An escalation level that would reach nobody goes further up, and the breach says so."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import SYSTEM, london, low_risk, store
from vigil.audit.models import AuditEvent
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.investigations import services as investigations
from vigil.referrals.services import restrict_referral as restrict

pytestmark = pytest.mark.django_db

# A low-risk referral left untouched: enforcement action overdue (level 1) after 30 days, level 2
# after 45, level 3 after 60.
RECEIVED = london(2026, 1, 5, 9, 0)
LEVEL_1 = RECEIVED + timedelta(days=31)
LEVEL_2 = RECEIVED + timedelta(days=46)
LEVEL_3 = RECEIVED + timedelta(days=61)


@pytest.fixture
def people(make_user):
    """Make the force's people by role, each with an e-mail address."""

    def make(*roles: str) -> dict:
        made = {}
        for role in roles:
            user = make_user(role, "XF")
            user.email = f"{role}@example.test"
            user.save()
            made[role] = user
        return made

    return make


@pytest.fixture
def referral(forces):
    return store(low_risk(RECEIVED), as_of=RECEIVED)[0]


def enforcement(referral) -> Clock:
    return Clock.objects.get(referral=referral, kind="enforcement_action")


def told(referral) -> list[tuple[int, str]]:
    """(level, recipient's role) of every notification of the enforcement clock."""
    return sorted(
        (note.level, note.recipient.role)
        for note in Notification.objects.filter(clock=enforcement(referral))
    )


def breach(report: dict, referral) -> dict:
    return next(
        item
        for item in report["items"]
        if item["referral_id"] == referral.pk and item["clock"] == "enforcement_action"
    )


def test_with_no_supervisor_level_1_goes_to_the_unit_head_and_is_flagged(people, referral):
    staff = people("unit_head", "child_protection_lead")
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_1)
    assert told(referral) == [(1, "unit_head")]
    clock = enforcement(referral)
    assert clock.escalation_unreached == [{"level": 1, "sent_to_level": 2}]
    assert clock.escalation_reach == "passed_up"
    item = breach(clocks.breach_report(staff["unit_head"], as_of=LEVEL_1), referral)
    assert item["unreached"] == [
        {"level": 1, "sent_to_level": 2, "text": "level 1 reached nobody: sent to level 2"}
    ]
    assert item["reached_nobody"] is False
    note = Notification.objects.get(clock=clock)
    assert "Nobody at level 1 could be told, so it comes to you at level 2" in note.body
    # Later levels still reach their own people, each once.
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_2)
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_3)
    assert told(referral) == [(1, "unit_head"), (2, "unit_head"), (3, "child_protection_lead")]
    assert enforcement(referral).escalation_unreached == [{"level": 1, "sent_to_level": 2}]


def test_an_inactive_owner_and_no_supervisor_pass_level_1_up(people, referral):
    staff = people("investigator", "unit_head")
    investigations.allocate(
        SYSTEM, referral, staff["investigator"], as_of=RECEIVED + timedelta(hours=1)
    )
    staff["investigator"].is_active = False
    staff["investigator"].save()
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_1)
    assert told(referral) == [(1, "unit_head")]
    assert enforcement(referral).escalation_unreached == [{"level": 1, "sent_to_level": 2}]


def test_when_no_level_above_reaches_anyone_the_breach_reached_nobody_at_all(
    people, referral, client
):
    staff = people("supervisor")
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_1)
    assert told(referral) == [(1, "supervisor")]
    assert enforcement(referral).escalation_reach == "everyone"
    counts = clocks.sweep(actor=SYSTEM, as_of=LEVEL_2)
    assert counts["reached_nobody"] >= 1
    clock = enforcement(referral)
    assert clock.escalation_unreached == [{"level": 2, "sent_to_level": None}]
    assert clock.escalation_reach == "nobody"
    assert told(referral) == [(1, "supervisor")]

    report = clocks.breach_report(staff["supervisor"], as_of=LEVEL_2)
    nobody = [i for i in report["reached_nobody"] if i["clock"] == "enforcement_action"]
    assert [i["referral_id"] for i in nobody] == [referral.pk]
    assert nobody[0]["unreached"][0]["text"] == "level 2 reached nobody at all"
    assert breach(report, referral)["reached_nobody"] is True

    # The page says so at the top, before the table of breaches.
    client.force_login(staff["supervisor"])
    page = client.get(reverse("clocks:breaches"), {"as_of": LEVEL_2.isoformat()}).content.decode()
    assert 'data-testid="reached-nobody"' in page
    assert page.index('data-testid="reached-nobody"') < page.index('data-testid="breaches"')
    assert "Level 2 reached nobody at all" in page
    api = client.get("/api/v1/breaches", {"as_of": LEVEL_2.isoformat()}).json()
    assert referral.pk in [i["referral_id"] for i in api["reached_nobody"]]
    assert breach(api, referral)["unreached"] == [
        {"level": 2, "sent_to_level": None, "text": "level 2 reached nobody at all"}
    ]

    clocks.sweep(actor=SYSTEM, as_of=LEVEL_3)
    assert enforcement(referral).escalation_unreached == [
        {"level": 2, "sent_to_level": None},
        {"level": 3, "sent_to_level": None},
    ]


def test_a_restricted_referral_is_never_passed_up_to_people_not_named_on_it(people, referral):
    staff = people("investigator", "supervisor", "unit_head", "child_protection_lead")
    investigations.allocate(
        SYSTEM, referral, staff["investigator"], as_of=RECEIVED + timedelta(hours=1)
    )
    restrict(
        SYSTEM,
        referral,
        restricted=True,
        usernames=[staff["investigator"].username, staff["supervisor"].username],
        as_of=RECEIVED + timedelta(hours=2),
    )
    for moment in (LEVEL_1, LEVEL_2, LEVEL_3):
        clocks.sweep(actor=SYSTEM, as_of=moment)
    # The unit head and the force lead exist but are not named: they are never told.
    assert told(referral) == [(1, "investigator"), (1, "supervisor")]
    clock = enforcement(referral)
    assert clock.escalation_unreached == [
        {"level": 2, "sent_to_level": None},
        {"level": 3, "sent_to_level": None},
    ]
    assert clock.escalation_reach == "nobody"
    # The named supervisor sees it reached nobody; the unit head does not even see the breach.
    named_view = clocks.breach_report(staff["supervisor"], as_of=LEVEL_3)
    assert referral.pk in [i["referral_id"] for i in named_view["reached_nobody"]]
    head_view = clocks.breach_report(staff["unit_head"], as_of=LEVEL_3)
    assert referral.pk not in [i["referral_id"] for i in head_view["items"]]
    assert referral.pk not in [i["referral_id"] for i in head_view["reached_nobody"]]


def test_a_restricted_referral_naming_the_force_lead_passes_level_2_to_them(people, referral):
    staff = people("supervisor", "unit_head", "child_protection_lead")
    restrict(
        SYSTEM,
        referral,
        restricted=True,
        usernames=[staff["supervisor"].username, staff["child_protection_lead"].username],
        as_of=RECEIVED + timedelta(hours=2),
    )
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_2)
    assert told(referral) == [(1, "supervisor"), (2, "child_protection_lead")]
    assert enforcement(referral).escalation_unreached == [{"level": 2, "sent_to_level": 3}]
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_3)
    assert told(referral) == [
        (1, "supervisor"),
        (2, "child_protection_lead"),
        (3, "child_protection_lead"),
    ]


def test_passing_up_is_idempotent_and_audited(people, referral):
    people("unit_head")
    first = clocks.sweep(actor=SYSTEM, as_of=LEVEL_1)
    emails = len(mail.outbox)
    again = clocks.sweep(actor=SYSTEM, as_of=LEVEL_1)
    assert first["unreached_levels"] >= 1
    assert (again["notifications"], again["emailed"], again["unreached_levels"]) == (0, 0, 0)
    assert len(mail.outbox) == emails
    assert enforcement(referral).escalation_unreached == [{"level": 1, "sent_to_level": 2}]
    event = AuditEvent.objects.get(
        action="clock.escalated", object_id=str(enforcement(referral).pk)
    )
    assert event.after["unreached"] == [{"level": 1, "sent_to_level": 2}]


def test_a_breach_every_level_reached_is_not_flagged(people, referral):
    staff = people("supervisor", "unit_head", "child_protection_lead")
    clocks.sweep(actor=SYSTEM, as_of=LEVEL_3)
    item = breach(clocks.breach_report(staff["supervisor"], as_of=LEVEL_3), referral)
    assert (item["unreached"], item["reached_nobody"]) == ([], False)
    assert enforcement(referral).escalation_reach == "everyone"


def test_vigil_escalate_says_when_a_level_reached_nobody(people, referral):
    people("supervisor")
    out = io.StringIO()
    call_command("escalate", "--as-of", LEVEL_2.isoformat(), stdout=out)
    assert "reached nobody" in out.getvalue()

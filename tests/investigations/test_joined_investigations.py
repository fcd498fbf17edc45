"""Referrals about the same suspect joined into one investigation: one owner, one set of
duties on the lead, clocks from the earliest receipt, reversible and audited."""

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse

from tests.conftest import london, low_risk, store
from vigil.accounts.models import Force
from vigil.audit.models import AuditEvent
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock
from vigil.investigations import services as investigations
from vigil.referrals.changes import RecordError
from vigil.referrals.models import Investigation, Referral
from vigil.safeguarding import services as safeguarding

pytestmark = pytest.mark.django_db

FIRST = london(2026, 6, 1, 9, 0)
SECOND = london(2026, 6, 10, 9, 0)
NOW = london(2026, 6, 11, 9, 0)


def referral(reference: str, received, *, child: bool = False, **suspect):
    data = low_risk(received, **suspect)
    data["source_reference"] = reference
    if child:
        data["subjects"].append(
            {"ref": "h1", "role": "household_member", "first_name": "Sky", "age": 9}
        )
        data["subjects"][1]["lives_with"] = ["s1"]
    return store(data, as_of=received + timedelta(minutes=5))[0]


@pytest.fixture
def pair(make_user):
    """The same suspect (name and date of birth) in two referrals; the second names a child."""
    first = referral("NCA-JOIN-1", FIRST)
    second = referral("NCA-JOIN-2", SECOND, child=True)
    return first, second


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor", "XF")


def join(supervisor, *referrals, reason="Same suspect: matched by name and date of birth."):
    return investigations.join_investigation(
        supervisor, [r.pk for r in referrals], reason=reason, as_of=NOW
    )


def clocks_of(referral) -> dict:
    return {(clock.kind, clock.cycle): clock for clock in Clock.objects.filter(referral=referral)}


def test_deconfliction_suggests_the_same_suspects_open_referrals_of_the_same_force(
    pair, supervisor
):
    first, _ = pair
    elsewhere = low_risk(SECOND)
    elsewhere["source_reference"] = "NCA-JOIN-YF"
    store(elsewhere, as_of=SECOND)
    Referral.objects.filter(source_reference="NCA-JOIN-YF").update(
        force=Force.objects.get(code="YF")
    )
    unrelated = referral("NCA-JOIN-OTHER", SECOND, first_name="Robin", last_name="Other")
    suggested = investigations.join_suggestions(supervisor, first)
    assert [item["source_reference"] for item in suggested] == ["NCA-JOIN-2"]
    assert unrelated.pk not in {item["referral_id"] for item in suggested}


def test_joining_puts_the_duties_on_the_earliest_referral_counted_from_its_receipt(
    pair, supervisor
):
    first, second = pair
    investigation = join(supervisor, second, first)
    first.refresh_from_db()
    second.refresh_from_db()
    assert investigation.lead == first
    assert first.investigation == second.investigation == investigation

    lead, member = clocks_of(first), clocks_of(second)
    # The second referral's own enforcement clock ends: the lead carries one for both.
    assert not member[("enforcement_action", 1)].is_open
    assert "carried by NCA-JOIN-1" in member[("enforcement_action", 1)].cancel_reason
    assert lead[("enforcement_action", 1)].started_at == FIRST
    # The child named in the second referral puts the social care duty on the lead, known from
    # when the second referral arrived; the member's own is not owed twice.
    assert lead[("social_care_referral", 1)].is_open
    assert lead[("social_care_referral", 1)].started_at == SECOND
    assert not member[("social_care_referral", 1)].is_open
    # Joining never restarts the time a child has waited: the member counts from the earliest.
    assert member[("risk_assessment", 1)].started_at == FIRST

    events = AuditEvent.objects.filter(action="investigation.joined")
    assert {event.referral_id for event in events} == {first.pk, second.pk}


def test_what_is_recorded_on_any_referral_meets_the_investigations_duty(pair, supervisor):
    first, second = pair
    join(supervisor, first, second)
    safeguarding.share_with_social_care(
        supervisor,
        second,
        authority="Exampleshire",
        method="phone",
        what_was_shared="The household with a child.",
        as_of=NOW + timedelta(hours=1),
    )
    assert clocks_of(first)[("social_care_referral", 1)].met_at == NOW + timedelta(hours=1)


def test_one_owner_allocating_the_lead_allocates_every_referral_and_the_worklist_shows_it_once(
    pair, supervisor, make_user
):
    first, second = pair
    join(supervisor, first, second)
    officer = make_user("investigator", "XF")
    with pytest.raises(RecordError, match="allocate NCA-JOIN-1"):
        investigations.allocate(supervisor, second, officer, as_of=NOW)
    investigations.allocate(supervisor, first, officer, as_of=NOW)
    second.refresh_from_db()
    assert second.owner == officer
    assert set(
        Clock.objects.filter(referral__in=[first, second], is_open=True).values_list(
            "owner", flat=True
        )
    ) == {officer.pk}
    listed = clocks.worklist(officer, as_of=NOW, scope="mine")["items"]
    assert len([item for item in listed if item["investigation_id"]]) == 1
    assert listed[0]["also_open"] >= 1


def test_taking_a_referral_out_gives_it_back_its_own_duties_and_is_audited(pair, supervisor):
    first, second = pair
    investigation = join(supervisor, first, second)
    investigations.leave_investigation(
        supervisor, second, reason="A different person: the dates of birth differ.", as_of=NOW
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.investigation is None and second.investigation is None
    assert not Investigation.objects.filter(pk=investigation.pk).exists()
    member = clocks_of(second)
    assert member[("enforcement_action", 1)].is_open
    assert member[("enforcement_action", 1)].started_at == SECOND
    assert member[("risk_assessment", 1)].started_at == SECOND
    assert not clocks_of(first)[("social_care_referral", 1)].is_open
    assert AuditEvent.objects.filter(action="investigation.left").count() == 2


def test_joining_is_refused_without_a_match_a_reason_or_the_permission(pair, supervisor, make_user):
    first, second = pair
    unrelated = referral("NCA-JOIN-OTHER", SECOND, first_name="Robin", last_name="Other")
    with pytest.raises(RecordError, match="not matched to each other"):
        join(supervisor, first, unrelated)
    with pytest.raises(RecordError, match="say in words"):
        join(supervisor, first, second, reason="same")
    with pytest.raises(PermissionDenied):
        join(make_user("investigator", "XF"), first, second)
    with pytest.raises(Http404):
        join(make_user("supervisor", "YF"), first, second)
    assert not Investigation.objects.exists()
    assert Referral.objects.filter(investigation__isnull=False).count() == 0


def test_the_api_the_page_and_the_command_join_and_show_it(pair, supervisor, client):
    first, second = pair
    client.force_login(supervisor)
    page = client.get(reverse("site:referral-detail", args=[first.pk])).content.decode()
    assert 'data-testid="join-form"' in page and "NCA-JOIN-2" in page

    shown = client.get(f"/api/v1/referrals/{first.pk}/investigation").json()
    assert shown["investigation"] is None
    assert [item["source_reference"] for item in shown["suggestions"]] == ["NCA-JOIN-2"]
    made = client.post(
        "/api/v1/investigations",
        json.dumps({"referrals": [first.pk, second.pk], "reason": "Same suspect, same e-mail."}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["investigation"]["lead"] == "NCA-JOIN-1"
    refused = client.post(
        "/api/v1/investigations",
        json.dumps({"referrals": [first.pk], "reason": "x"}),
        content_type="application/json",
    )
    assert refused.status_code == 422 and "error" in refused.json()

    left = client.post(
        f"/api/v1/referrals/{second.pk}/leave-investigation",
        json.dumps({"reason": "Different people after all."}),
        content_type="application/json",
    )
    assert left.status_code == 200 and left.json()["investigation"] is None

    out = io.StringIO()
    call_command(
        "investigation",
        "join",
        "NCA-JOIN-1",
        "NCA-JOIN-2",
        "--reason",
        "Same suspect, matched by name and date of birth.",
        "--json",
        stdout=out,
    )
    answer = json.loads(out.getvalue())
    assert [item["source_reference"] for item in answer["investigation"]["referrals"]] == [
        "NCA-JOIN-1",
        "NCA-JOIN-2",
    ]
    page = client.get(reverse("site:referral-detail", args=[second.pk])).content.decode()
    assert 'data-testid="joined-investigation"' in page and "leads it" in page

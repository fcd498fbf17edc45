"""Transfers that land: offered, answered by the receiving force, and only then moved."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from tests.conftest import SYSTEM, london, low_risk, store
from vigil.accounts.models import Force
from vigil.audit.models import AuditEvent
from vigil.clocks import rules
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.investigations import services as investigations
from vigil.people.search import search
from vigil.referrals.changes import Conflict, RecordError
from vigil.referrals.services import find_referral
from vigil.safeguarding import services as safeguarding

pytestmark = pytest.mark.django_db

# A Monday: one working day after an offer at 10:00 is Tuesday 10:00.
RECEIVED = london(2026, 6, 1, 9, 0)
OFFERED = london(2026, 6, 1, 10, 0)
ACCEPTED = london(2026, 6, 3, 11, 0)


@pytest.fixture
def people(make_user):
    return {
        "xf": make_user("supervisor", "XF"),
        "xf_investigator": make_user("investigator", "XF"),
        "yf": make_user("supervisor", "YF"),
        "yf_investigator": make_user("investigator", "YF"),
    }


def with_child_at_home() -> dict:
    data = low_risk(RECEIVED, household_established=True)
    data["subjects"].append(
        {
            "ref": "h1",
            "role": "household_member",
            "first_name": "Sky",
            "age": 9,
            "lives_with": ["s1"],
        }
    )
    return data


def offer(people, referral, to="YF", as_of=OFFERED):
    return investigations.transfer(
        people["xf"], referral, to, reason="The suspect lives in Sampleton.", as_of=as_of
    )


def clock(referral, kind, cycle=1) -> Clock:
    return Clock.objects.get(referral=referral, kind=kind, cycle=cycle)


def test_an_offered_referral_stays_with_the_sender_until_the_receiving_force_answers(people):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    offer(people, referral)
    referral.refresh_from_db()
    assert referral.force.code == "XF"
    # The receiving force sees it to decide, but may record nothing on it yet.
    assert find_referral(people["yf"], referral.pk) == referral
    with pytest.raises(Conflict, match=r"offered to your force .* not yet accepted"):
        investigations.allocate(
            people["yf"], referral, people["yf_investigator"], as_of=OFFERED + timedelta(hours=1)
        )
    # The sender still holds it and its duties: no gap in which nobody may act.
    investigations.allocate(
        people["xf"], referral, people["xf_investigator"], as_of=OFFERED + timedelta(hours=1)
    )
    referral.refresh_from_db()
    assert referral.owner == people["xf_investigator"]


def test_an_unanswered_transfer_is_due_in_one_working_day_and_escalates_at_the_receiving_force(
    people,
):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    transfer = offer(people, referral)
    waiting = clock(referral, "transfer_acceptance", transfer.pk)
    assert (waiting.force.code, waiting.owner, waiting.is_open) == ("YF", None, True)
    assert waiting.due_at == london(2026, 6, 2, 10, 0)
    yf_list = clocks.worklist(people["yf"], as_of=OFFERED, scope="force")
    assert [item["clock"] for item in yf_list["items"]] == ["transfer_acceptance"]
    xf_list = clocks.worklist(people["xf"], as_of=OFFERED, scope="force")
    assert "transfer_acceptance" not in {item["clock"] for item in xf_list["items"]}

    clocks.sweep(actor=SYSTEM, as_of=london(2026, 6, 4, 10, 0))
    told = Notification.objects.filter(clock=waiting).select_related("recipient__force")
    assert told.exists()
    assert {note.recipient.force.code for note in told} == {"YF"}


def test_accepting_moves_the_referral_and_starts_the_receiving_forces_duties_from_acceptance(
    people,
):
    referral, _ = store(with_child_at_home(), as_of=RECEIVED)
    grade = referral.grade
    investigations.allocate(
        people["xf"], referral, people["xf_investigator"], as_of=RECEIVED + timedelta(minutes=30)
    )
    transfer = offer(people, referral)
    investigations.accept_transfer(people["yf"], referral, as_of=ACCEPTED)
    referral.refresh_from_db()
    transfer.refresh_from_db()
    assert (referral.force.code, referral.owner, referral.grade) == ("YF", None, grade)
    assert (transfer.status, transfer.answered_at, transfer.answered_by) == (
        "accepted",
        ACCEPTED,
        people["yf"],
    )
    assert clock(referral, "transfer_acceptance", transfer.pk).met_at == ACCEPTED

    # The sender allocated: that stays met; the receiving force allocates afresh from now.
    assert clock(referral, "allocation", 1).met_at is not None
    own = clock(referral, "allocation", 2)
    assert (own.started_at, own.is_open, own.force.code) == (ACCEPTED, True, "YF")
    assert "of the transfer's acceptance" in own.rule

    # Social care was never told: the sender's breach ends on record, the new force's time runs
    # from acceptance rather than starting overdue.
    senders = clock(referral, "social_care_referral", 1)
    assert (senders.cancelled_at, senders.cancel_reason) == (ACCEPTED, rules.HANDED_OVER)
    assert senders.due_at < ACCEPTED
    receivers = clock(referral, "social_care_referral", 2)
    assert receivers.started_at == ACCEPTED and receivers.due_at > ACCEPTED and receivers.is_open


def test_a_safeguarding_duty_met_before_the_transfer_is_not_owed_again(people):
    referral, _ = store(with_child_at_home(), as_of=RECEIVED)
    safeguarding.share_with_social_care(
        people["xf"],
        referral,
        authority="Exampleshire",
        method="phone",
        what_was_shared="Household with a child.",
        as_of=RECEIVED + timedelta(hours=2),
    )
    offer(people, referral)
    investigations.accept_transfer(people["yf"], referral, as_of=ACCEPTED)
    shared = Clock.objects.filter(referral=referral, kind="social_care_referral")
    assert [(c.cycle, c.met_at is not None) for c in shared] == [(1, True)]


def test_the_senders_copy_is_read_only_once_accepted_and_shows_the_transfer(people, client):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    offer(people, referral)
    investigations.accept_transfer(people["yf"], referral, as_of=ACCEPTED)
    assert find_referral(people["xf"], referral.pk) == referral
    with pytest.raises(Conflict, match=r"was transferred to Sampleton Constabulary; .* read-only"):
        investigations.record_action(
            people["xf"], referral, "research", as_of=ACCEPTED + timedelta(hours=1)
        )
    # The receiving force now acts on it.
    investigations.allocate(
        people["yf"], referral, people["yf_investigator"], as_of=ACCEPTED + timedelta(hours=1)
    )

    client.force_login(people["xf"])
    page = client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()
    assert 'data-testid="read-only"' in page
    assert 'data-testid="release-form"' not in page and 'data-testid="close-form"' not in page
    assert "Transfer accepted by YF" in page and "Transfer offered XF → YF" in page


def test_rejecting_keeps_the_referral_with_the_sender_and_says_why(people):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    transfer = offer(people, referral)
    with pytest.raises(RecordError, match="say in words why"):
        investigations.reject_transfer(people["yf"], referral, reason="no", as_of=ACCEPTED)
    investigations.reject_transfer(
        people["yf"], referral, reason="The suspect moved back to Exampleshire.", as_of=ACCEPTED
    )
    referral.refresh_from_db()
    transfer.refresh_from_db()
    assert referral.force.code == "XF"
    assert (transfer.status, transfer.answer_reason) == (
        "rejected",
        "The suspect moved back to Exampleshire.",
    )
    assert clock(referral, "transfer_acceptance", transfer.pk).met_at == ACCEPTED
    # No longer offered, the receiving force no longer sees it; the sender carries on.
    with pytest.raises(Http404):
        find_referral(people["yf"], referral.pk)
    detail = investigations.investigation_detail(referral, as_of=ACCEPTED)
    assert any(
        "Transfer rejected by YF: The suspect moved back" in event["what"]
        for event in investigations.timeline(detail, [])
    )
    assert AuditEvent.objects.filter(action="transfer.rejected").count() == 1


def test_only_a_supervisor_of_the_offered_force_answers_and_only_once(people, make_user):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    offer(people, referral)
    with pytest.raises(RecordError, match="already offered to Sampleton"):
        offer(people, referral, as_of=OFFERED + timedelta(minutes=5))
    with pytest.raises(PermissionDenied):
        investigations.accept_transfer(people["yf_investigator"], referral, as_of=ACCEPTED)
    with pytest.raises(RecordError, match="not waiting for your force's answer"):
        investigations.accept_transfer(people["xf"], referral, as_of=ACCEPTED)
    Force.objects.create(code="ZF", name="Elsewhere Police")
    with pytest.raises(Http404):
        investigations.accept_transfer(make_user("supervisor", "ZF"), referral, as_of=ACCEPTED)
    investigations.accept_transfer(people["yf"], referral, as_of=ACCEPTED)
    with pytest.raises(RecordError, match="not waiting for your force's answer"):
        investigations.reject_transfer(
            people["yf"], referral, reason="Changed our mind about it.", as_of=ACCEPTED
        )


def test_the_receiving_force_accepts_from_the_page_and_over_the_api(people, client):
    first, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    offer(people, first)
    client.force_login(people["yf"])
    page = client.get(reverse("site:referral-detail", args=[first.pk])).content.decode()
    assert 'data-testid="transfer-offer"' in page and 'data-testid="accept-transfer-form"' in page
    client.post(
        reverse("investigations:accept-transfer", args=[first.pk]),
        {"expected_version": first.version},
    )
    first.refresh_from_db()
    assert first.force.code == "YF"

    data = low_risk(RECEIVED)
    data["source_reference"] = "NCA-TRANSFER-API"
    second, _ = store(data, as_of=RECEIVED)
    offer(people, second)
    response = client.post(
        f"/api/v1/referrals/{second.pk}/reject-transfer",
        json.dumps({"reason": "Not ours: the address is in Exampleshire."}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["recorded"]["status"] == "rejected"
    empty = client.post(
        f"/api/v1/referrals/{second.pk}/accept-transfer",
        json.dumps({}),
        content_type="application/json",
    )
    assert empty.status_code == 404


def _found_by_name(actor, name: str) -> list[int]:
    return [
        item["referral_id"]
        for item in search(actor, name, as_of=ACCEPTED)
        if item["kind"] == "name"
    ]


def test_a_transferred_referrals_people_are_searched_by_whichever_forces_see_it(people):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    suspect = referral.people.get(role="suspect")
    name = suspect.display_name
    assert suspect.force.code == "XF"
    assert _found_by_name(people["yf_investigator"], name) == []
    offer(people, referral)
    # Offered: the receiving force sees it to decide, so finds it; the sender still holds it.
    assert _found_by_name(people["yf"], name) == [referral.pk]
    assert _found_by_name(people["xf_investigator"], name) == [referral.pk]
    investigations.accept_transfer(people["yf"], referral, as_of=ACCEPTED)
    suspect.refresh_from_db()
    # The person's copy of the holding force moved with the referral (each force's name index
    # covers its own people), and the sender still finds what it transferred away.
    assert suspect.force.code == "YF"
    assert _found_by_name(people["yf_investigator"], name) == [referral.pk]
    assert _found_by_name(people["xf_investigator"], name) == [referral.pk]
    assert _found_by_name(people["xf"], "Nobody Atall") == []

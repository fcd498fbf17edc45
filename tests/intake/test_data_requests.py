"""Requests to providers: recorded through the guarded path, each on a clock from the policy,
served as recordings (page, API, `vigil record`) and by `vigil requests`."""

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tests.conftest import SYSTEM, london, low_risk, referral_data, store
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.clocks.rules import ClockInputs, Duration, clock_rules, plan
from vigil.intake import requests
from vigil.intake.models import DataRequest
from vigil.investigations import services as investigations
from vigil.people.models import Identifier, Link, Research
from vigil.referrals.changes import Conflict, RecordError
from vigil.risk.policy import load_policy

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")

RECEIVED = london(2026, 1, 5, 9, 0)
SENT = RECEIVED + timedelta(hours=2)
# The policy's default for each grade, as docs/clocks.md gives it.
DAYS_BY_GRADE = {"very_high": 2, "high": 7, "medium": 14, "low": 28}


@pytest.fixture
def referral(forces):
    return store(low_risk(RECEIVED), as_of=RECEIVED + timedelta(hours=1))[0]


@pytest.fixture
def investigator(make_user):
    return make_user("investigator", "XF")


def ask(actor, referral, *, sent_at=SENT, as_of=None, **changes) -> DataRequest:
    data = {
        "provider": "ExampleSocial",
        "basis": "production_order",
        "asked": "Subscriber details and IP logs for @AlexEx",
        "sent_at": sent_at,
        **changes,
    }
    return requests.add_request(actor, referral, as_of=as_of or SENT + timedelta(hours=1), **data)


def clock_of(item: DataRequest) -> Clock:
    return Clock.objects.get(referral_id=item.referral_id, kind="data_request", cycle=item.pk)


# The clock ---------------------------------------------------------------------------------


@pytest.mark.parametrize("grade", list(DAYS_BY_GRADE))
def test_each_grade_gives_a_request_the_policys_time_to_answer(grade):
    policy = load_policy()
    rules = clock_rules(policy.clocks)
    assert rules["data_request"].duration_for(grade) == Duration(days=DAYS_BY_GRADE[grade])
    [planned] = [
        clock
        for clock in plan(
            ClockInputs(
                received_at=RECEIVED,
                grade=grade,
                graded_at=RECEIVED,
                data_requests=((41, SENT, None, "ExampleSocial"),),
            ),
            rules,
            policy.key,
        )
        if clock.kind == "data_request"
    ]
    assert planned.cycle == 41 and planned.about == "to ExampleSocial"
    assert planned.due_at == SENT + timedelta(days=DAYS_BY_GRADE[grade])
    assert grade.replace("_", " ") in planned.rule


def test_a_request_is_due_by_the_referrals_grade_from_when_it_was_sent(referral, investigator):
    item = ask(investigator, referral)
    clock = clock_of(item)
    assert referral.grade == "low"
    assert clock.started_at == SENT and clock.due_at == SENT + timedelta(days=28)
    assert clock.is_open and clock.duty == "Data request to ExampleSocial"


def test_a_request_not_yet_sent_runs_from_when_it_was_recorded_then_from_sending(
    referral, investigator
):
    recorded = SENT + timedelta(hours=1)
    item = ask(investigator, referral, sent_at=None, as_of=recorded)
    assert clock_of(item).started_at == recorded
    sent = recorded + timedelta(days=1)
    requests.record_sent(investigator, item, sent_at=sent, as_of=sent + timedelta(hours=1))
    assert clock_of(item).started_at == sent
    assert clock_of(item).due_at == sent + timedelta(days=28)


def test_a_request_returned_meets_its_clock(referral, investigator):
    item = ask(investigator, referral)
    back = SENT + timedelta(days=3)
    requests.record_returned(
        investigator, item, returned_at=back, result="An email address", as_of=back
    )
    clock = clock_of(item)
    assert clock.met_at == back and not clock.is_open
    item.refresh_from_db()
    assert item.result == "An email address"


def test_a_request_refused_meets_its_clock(referral, investigator):
    item = ask(investigator, referral)
    refused = SENT + timedelta(days=2)
    requests.record_refused(
        investigator, item, reason="No account found", refused_at=refused, as_of=refused
    )
    clock = clock_of(item)
    assert clock.met_at == refused and not clock.is_open
    assert DataRequest.objects.get(pk=item.pk).refusal_reason == "No account found"


def test_each_request_has_its_own_clock(referral, investigator):
    first = ask(investigator, referral)
    second = ask(investigator, referral, provider="Example Mobile", basis="ipa_authorisation")
    requests.record_returned(investigator, first, as_of=SENT + timedelta(days=1))
    assert not clock_of(first).is_open and clock_of(second).is_open
    assert clock_of(second).duty == "Data request to Example Mobile"


def test_an_overdue_request_is_escalated_by_the_sweep(referral, investigator, make_user):
    supervisor = make_user("supervisor", "XF")
    supervisor.email = "supervisor@example.test"
    supervisor.save()
    item = ask(investigator, referral)
    due = clock_of(item).due_at
    before = due - timedelta(minutes=1)
    with time_machine.travel(before, tick=False):
        clocks.sweep(actor=SYSTEM, as_of=before)
    assert not Notification.objects.filter(clock__kind="data_request").exists()
    after = due + timedelta(minutes=1)
    with time_machine.travel(after, tick=False):
        clocks.sweep(actor=SYSTEM, as_of=after)
    note = Notification.objects.get(clock__kind="data_request", recipient=supervisor)
    assert note.level == 1 and clock_of(item).escalation_level == 1


def test_the_worklist_shows_a_request_as_kind_data_request(referral, investigator, make_user):
    item = ask(investigator, referral)
    view = clocks.worklist(
        make_user("supervisor", "XF"), scope="force", as_of=clock_of(item).due_at
    )
    [entry] = [i for i in view["items"] if i["clock"] == "data_request"]
    assert entry["clock_text"] == "Data request to ExampleSocial"
    assert entry["state"] == "overdue"


def test_a_closed_referral_owes_no_answer_and_takes_no_request(referral, investigator, make_user):
    item = ask(investigator, referral)
    investigations.close(
        make_user("supervisor", "XF"),
        referral,
        outcome="15",
        rationale="No further action.",
        outstanding_reason="The request no longer matters.",
        as_of=SENT + timedelta(days=1),
    )
    clock = clock_of(item)
    assert not clock.is_open and clock.cancel_reason == "the referral was closed"
    with pytest.raises(Conflict, match="is closed"):
        ask(investigator, referral, as_of=SENT + timedelta(days=2))
    with pytest.raises(Conflict, match="is closed"):
        requests.record_returned(investigator, item, as_of=SENT + timedelta(days=2))


# The times a person gives ------------------------------------------------------------------


def test_a_request_cannot_be_sent_in_the_future_or_before_receipt(referral, investigator):
    with pytest.raises(RecordError, match="future"):
        ask(investigator, referral, sent_at=SENT + timedelta(days=1), as_of=SENT)
    with pytest.raises(RecordError, match="before the referral was received"):
        ask(investigator, referral, sent_at=RECEIVED - timedelta(hours=1))
    assert not DataRequest.objects.exists()


def test_an_answer_cannot_be_in_the_future_or_before_the_request_was_sent(referral, investigator):
    item = ask(investigator, referral)
    now = SENT + timedelta(days=1)
    with pytest.raises(RecordError, match="future"):
        requests.record_returned(
            investigator, item, returned_at=now + timedelta(hours=1), as_of=now
        )
    with pytest.raises(RecordError, match="before the request was sent"):
        requests.record_returned(
            investigator, item, returned_at=SENT - timedelta(hours=1), as_of=now
        )
    with pytest.raises(RecordError, match="before the request was sent"):
        requests.record_refused(
            investigator, item, reason="No", refused_at=SENT - timedelta(minutes=1), as_of=now
        )
    with pytest.raises(RecordError, match="before the request was sent"):
        requests.record_acknowledged(
            investigator, item, acknowledged_at=SENT - timedelta(minutes=1), as_of=now
        )
    assert clock_of(item).is_open


def test_a_request_not_sent_cannot_be_answered_and_an_answer_is_given_once(referral, investigator):
    waiting = ask(investigator, referral, sent_at=None)
    with pytest.raises(RecordError, match="not recorded as sent"):
        requests.record_returned(investigator, waiting, as_of=SENT + timedelta(days=1))
    item = ask(investigator, referral)
    requests.record_refused(investigator, item, reason="No", as_of=SENT + timedelta(days=1))
    with pytest.raises(RecordError, match="already refused"):
        requests.record_returned(investigator, item, as_of=SENT + timedelta(days=2))


def test_an_unknown_basis_or_route_is_refused(referral, investigator):
    with pytest.raises(RecordError, match="basis must be one of"):
        ask(investigator, referral, basis="asked nicely")
    with pytest.raises(RecordError, match="route must be one of"):
        ask(investigator, referral, route="carrier pigeon")


def test_another_forces_referral_and_request_are_not_found(referral, investigator, make_user):
    item = ask(investigator, referral)
    outsider = make_user("investigator", "YF")
    with pytest.raises(Http404):
        ask(outsider, referral)
    with pytest.raises(Http404):
        requests.find_request(outsider, item.pk)
    with pytest.raises(Http404):
        requests.record_returned(outsider, item, as_of=SENT + timedelta(days=1))
    assert clock_of(item).is_open


# vigil requests ----------------------------------------------------------------------------


def test_the_command_adds_a_request_and_prints_its_id_and_due_time(referral, capsys):
    call_command(
        "requests",
        "add",
        referral.source_reference,
        "--to",
        "ExampleSocial",
        "--basis",
        "production_order",
        "--asked",
        "Subscriber details",
        "--sent-at",
        "2026-01-05 11:00",
        "--as-of",
        "2026-01-06",
    )
    item = DataRequest.objects.get()
    out = capsys.readouterr().out
    assert f"Request {item.pk} to ExampleSocial" in out and "due 2026-02-02 11:00" in out
    assert item.route == "internet_company_nca" and item.sent_at == SENT


def test_the_command_records_a_return_and_lists_the_requests(referral, investigator, capsys):
    item = ask(investigator, referral)
    call_command(
        "requests",
        "returned",
        str(item.pk),
        "--at",
        "2026-01-07 10:00",
        "--result",
        "An email address",
        "--as-of",
        "2026-01-08",
    )
    capsys.readouterr()
    call_command("requests", "list", referral.source_reference, "--json", "--as-of", "2026-01-08")
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == item.pk and row["state"] == "returned"
    assert row["result"] == "An email address"
    assert row["clock"]["kind"] == "data_request" and row["clock"]["state"] == "met"


def test_the_command_refuses_with_a_reason_and_no_traceback(referral, investigator):
    item = ask(investigator, referral)
    with pytest.raises(CommandError, match="No referral found") as error:
        call_command("requests", "add", "NOT-HELD", "--to", "X", "--basis", "other", "--asked", "Y")
    assert error.value.returncode == 1
    with pytest.raises(CommandError, match="basis must be one of"):
        call_command(
            "requests",
            "add",
            referral.source_reference,
            "--to",
            "X",
            "--basis",
            "?",
            "--asked",
            "Y",
        )
    with pytest.raises(CommandError, match="no data request 999999"):
        call_command("requests", "returned", "999999")
    with pytest.raises(CommandError, match="before the request was sent"):
        call_command("requests", "returned", str(item.pk), "--at", "2026-01-05 10:00")
    with pytest.raises(CommandError, match="reason"):
        call_command("requests", "refused", str(item.pk))


# The API and the page ----------------------------------------------------------------------


@pytest.fixture
def recent(forces):
    received = timezone.now() - timedelta(days=3)
    return store(referral_data(received_at=received.isoformat()), as_of=received)[0]


def test_the_api_records_a_request_its_answer_and_lists_them(client, make_user, recent):
    client.force_login(make_user("investigator"))
    made = client.post(
        f"/api/v1/referrals/{recent.pk}/data-requests",
        {
            "provider": "Example Mobile",
            "route": "communications_spoc",
            "basis": "ipa_authorisation",
            "asked": "Subscriber of 07700 900123",
            "sent_at": (timezone.now() - timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    request_id = made.json()["id"]
    back = client.post(
        f"/api/v1/data-requests/{request_id}/acknowledged", {}, content_type="application/json"
    )
    assert back.status_code == 200, back.content
    [row] = client.get(f"/api/v1/referrals/{recent.pk}/data-requests").json()
    assert row["state"] == "acknowledged" and row["clock"]["kind"] == "data_request"
    assert row["clock"]["text"] == "Data request to Example Mobile"
    assert row["route_text"].startswith("Phone or internet provider")
    full = client.get(f"/api/v1/referrals/{recent.pk}").json()
    assert [r["id"] for r in full["data_requests"]] == [request_id]


def test_the_api_answers_404_for_another_forces_requests(client, make_user, recent):
    item = ask(make_user("investigator"), recent, sent_at=None, as_of=timezone.now())
    client.force_login(make_user("investigator", "YF"))
    assert client.get(f"/api/v1/referrals/{recent.pk}/data-requests").status_code == 404
    answered = client.post(
        f"/api/v1/data-requests/{item.pk}/refused", {"reason": "x"}, content_type="application/json"
    )
    assert answered.status_code == 404
    added = client.post(
        f"/api/v1/referrals/{recent.pk}/data-requests",
        {"provider": "X", "basis": "other", "asked": "Y"},
        content_type="application/json",
    )
    assert added.status_code == 404


def test_the_page_records_a_request_and_marks_it_sent_and_returned(client, make_user, recent):
    client.force_login(make_user("investigator"))
    page = reverse("site:referral-detail", args=[recent.pk])
    text = client.get(page).content.decode()
    assert 'id="data-requests"' in text and "Nothing has been asked of a provider yet" in text
    response = client.post(
        reverse("intake:data-requests", args=[recent.pk]),
        {
            "provider": "ExampleSocial",
            "route": "internet_company_direct",
            "basis": "voluntary_disclosure",
            "asked": "Account content",
            "sent_at": "",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "Data request recorded." in text and "Not yet sent" in text
    item = DataRequest.objects.get(referral=recent)
    client.post(reverse("intake:data-request-sent", args=[recent.pk]), {"item": item.pk})
    response = client.post(
        reverse("intake:data-request-returned", args=[recent.pk]),
        {"item": item.pk, "result": "Two further usernames"},
        follow=True,
    )
    text = response.content.decode()
    assert "Data request recorded as returned." in text
    assert "Two further usernames" in text and 'data-testid="data-request-' in text
    assert clock_of(DataRequest.objects.get(pk=item.pk)).met_at is not None


def test_the_page_says_why_an_answer_was_not_recorded(client, make_user, recent):
    client.force_login(make_user("investigator"))
    item = ask(make_user("investigator"), recent, sent_at=None, as_of=timezone.now())
    response = client.post(
        reverse("intake:data-request-refused", args=[recent.pk]),
        {"item": item.pk, "reason": "No such account"},
        follow=True,
    )
    assert "Not recorded: the request to ExampleSocial is not recorded as sent" in (
        response.content.decode()
    )
    assert DataRequest.objects.get(pk=item.pk).refused_at is None


def test_a_role_that_records_no_actions_sees_no_request_forms(client, make_user, recent):
    client.force_login(make_user("assessor"))
    text = client.get(reverse("site:referral-detail", args=[recent.pk])).content.decode()
    assert 'id="data-requests"' in text and "A new data request" not in text


def test_times_typed_on_the_page_are_london_time(client, make_user, recent):
    client.force_login(make_user("investigator"))
    sent = (timezone.now() - timedelta(days=1)).astimezone(LONDON).replace(second=0, microsecond=0)
    client.post(
        reverse("intake:data-requests", args=[recent.pk]),
        {"provider": "P", "basis": "other", "asked": "Q", "sent_at": f"{sent:%Y-%m-%d %H:%M}"},
    )
    assert DataRequest.objects.get().sent_at == sent


def test_vigil_record_serves_the_request_recordings_too(referral, investigator, capsys):
    item = ask(investigator, referral)
    call_command(
        "record",
        "data-request-refused",
        str(item.pk),
        "--reason",
        "Data no longer held",
        "--as-of",
        "2026-01-06",
        "--json",
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["id"] == item.pk and answer["recorded"]["reason"] == "Data no longer held"
    assert not clock_of(item).is_open


# What comes back -----------------------------------------------------------------------------


def test_what_comes_back_is_recorded_as_research_and_matched_again(referral, investigator):
    theirs = store(
        referral_data(
            source_reference="NCA-YF-77",
            force="YF",
            received_at=RECEIVED.isoformat(),
            subjects=[
                {
                    "ref": "s1",
                    "role": "suspect",
                    "identifiers": [{"type": "phone", "value": "+44 7700 900555"}],
                }
            ],
            access=[],
        ),
        as_of=RECEIVED + timedelta(hours=1),
    )[0]
    item = ask(investigator, referral)
    back = SENT + timedelta(days=3)
    came_back = {
        "subjects": [
            {
                "ref": "s1",
                "role": "suspect",
                "identifiers": [{"type": "phone", "value": "07700 900555"}],
            }
        ]
    }
    requests.record_returned(
        investigator, item, as_of=back, returned_at=back, result="Subscriber", research=came_back
    )
    item.refresh_from_db()
    research = Research.objects.get(pk=item.research_id)
    assert research.source == f"Return from ExampleSocial (data request {item.pk})"
    assert research.learned_at == back
    phone = Identifier.objects.get(person__referral=referral, normalised="+447700900555")
    assert phone.learned_at == back
    assert Link.objects.filter(referral=referral, linked_referral=theirs, reason="phone").exists()
    assert clock_of(item).met_at == back


def test_a_bad_research_record_in_a_return_records_nothing(referral, investigator):
    item = ask(investigator, referral)
    back = SENT + timedelta(days=1)
    with pytest.raises(RecordError, match=r"\$\.subjects\[0\]\.role"):
        requests.record_returned(
            investigator,
            item,
            as_of=back,
            returned_at=back,
            research={"subjects": [{"ref": "s1", "role": "victim"}]},
        )
    item.refresh_from_db()
    assert item.returned_at is None

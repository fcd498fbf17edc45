"""The device queue: each exhibit on a clock from the risk policy by the referral's grade, met
when its examination starts and ended when it is returned or destroyed unexamined; moves along
the examination path through the guarded path; the queue, served by the command, the API and
the pages, to the exhibit's own force only."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tests.conftest import SYSTEM, london, low_risk, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.clocks.rules import ClockInputs, Duration, clock_rules, plan
from vigil.exhibits import queue
from vigil.exhibits.models import Exhibit
from vigil.exhibits.services import add_exhibit, start_triage
from vigil.investigations import services as investigations
from vigil.people import services as people
from vigil.referrals.changes import Conflict, RecordError
from vigil.risk.policy import load_policy

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 1, 5, 9, 0)
SEIZED = RECEIVED + timedelta(days=1)
RECORDED = SEIZED + timedelta(hours=2)
# The policy's default for each grade, as docs/clocks.md and docs/exhibits.md give it.
DAYS_BY_GRADE = {"very_high": 2, "high": 7, "medium": 28, "low": 56}


@pytest.fixture
def referral(forces):
    return store(low_risk(RECEIVED), as_of=RECEIVED + timedelta(hours=1))[0]


@pytest.fixture
def investigator(make_user):
    return make_user("investigator", "XF")


def seize(actor, referral, reference="PH/1", *, seized_at=SEIZED, as_of=RECORDED) -> Exhibit:
    return add_exhibit(actor, referral, reference, kind="phone", seized_at=seized_at, as_of=as_of)


def clock_of(exhibit: Exhibit) -> Clock:
    return Clock.objects.get(
        referral_id=exhibit.referral_id, kind="device_triage", cycle=exhibit.pk
    )


# The clock ---------------------------------------------------------------------------------


@pytest.mark.parametrize("grade", list(DAYS_BY_GRADE))
def test_each_grade_gives_a_device_the_policys_time_to_examination(grade):
    policy = load_policy()
    rules = clock_rules(policy.clocks)
    assert rules["device_triage"].duration_for(grade) == Duration(days=DAYS_BY_GRADE[grade])
    [planned] = [
        clock
        for clock in plan(
            ClockInputs(
                received_at=RECEIVED,
                grade=grade,
                graded_at=RECEIVED,
                exhibits=((7, "PH/1", SEIZED, None, ""),),
            ),
            rules,
            policy.key,
        )
        if clock.kind == "device_triage"
    ]
    assert planned.cycle == 7 and planned.about == "of exhibit PH/1"
    assert planned.started_at == SEIZED
    assert planned.due_at == SEIZED + timedelta(days=DAYS_BY_GRADE[grade])
    assert grade.replace("_", " ") in planned.rule


def test_a_device_waits_on_its_clock_from_seizure_by_the_referrals_grade(referral, investigator):
    exhibit = seize(investigator, referral)
    clock = clock_of(exhibit)
    assert referral.grade == "low"
    assert clock.started_at == SEIZED and clock.due_at == SEIZED + timedelta(days=56)
    assert clock.is_open and clock.duty == "Device examination of exhibit PH/1"


def test_a_device_whose_seizure_time_is_not_known_waits_from_its_record(referral, investigator):
    exhibit = seize(investigator, referral, seized_at=None)
    assert clock_of(exhibit).started_at == RECORDED
    assert clock_of(exhibit).due_at == RECORDED + timedelta(days=56)


def test_a_higher_grade_brings_the_device_due_time_forward(referral, investigator):
    exhibit = seize(investigator, referral)
    people.add_household_member(
        investigator, referral, age=8, source="visit", as_of=SEIZED + timedelta(days=1)
    )
    referral.refresh_from_db()
    assert referral.grade == "high"
    assert clock_of(exhibit).due_at == SEIZED + timedelta(days=7)


def test_each_device_has_its_own_clock(referral, investigator):
    first = seize(investigator, referral)
    second = seize(investigator, referral, "LT/1", seized_at=SEIZED + timedelta(hours=1))
    queue.move_exhibit(investigator, first, to="triage", as_of=RECORDED + timedelta(hours=1))
    assert not clock_of(first).is_open and clock_of(second).is_open
    assert clock_of(second).due_at == SEIZED + timedelta(hours=1, days=56)


def test_starting_the_examination_meets_the_clock(referral, investigator):
    exhibit = seize(investigator, referral)
    started = RECORDED + timedelta(days=3)
    queue.move_exhibit(investigator, exhibit, to="full_examination", as_of=started)
    clock = clock_of(exhibit)
    assert clock.met_at == started and not clock.is_open and clock.cancelled_at is None


def test_a_triage_run_takes_the_device_off_the_queue(referral, investigator, tmp_path):
    exhibit = seize(investigator, referral)
    (tmp_path / "note.txt").write_text("nothing")
    started = RECORDED + timedelta(days=1)
    start_triage(investigator, "PH/1", tmp_path, as_of=started)
    exhibit.refresh_from_db()
    assert exhibit.path == "triage" and exhibit.left_queue_at == started
    assert clock_of(exhibit).met_at == started
    assert queue.device_queue(investigator, as_of=started) == []


def test_returned_unexamined_ends_the_clock_and_keeps_its_breach(referral, investigator):
    exhibit = seize(investigator, referral)
    late = SEIZED + timedelta(days=60)
    queue.move_exhibit(investigator, exhibit, to="returned", as_of=late)
    clock = clock_of(exhibit)
    assert not clock.is_open and clock.met_at is None
    assert clock.cancelled_at == late
    assert clock.cancel_reason == "the device was returned without an examination"
    assert clock.due_at == SEIZED + timedelta(days=56)  # the breach stays on the record


def test_an_overdue_device_is_escalated_by_the_sweep(referral, investigator, make_user):
    supervisor = make_user("supervisor", "XF")
    supervisor.email = "supervisor@example.test"
    supervisor.save()
    exhibit = seize(investigator, referral)
    due = clock_of(exhibit).due_at
    before = due - timedelta(minutes=1)
    with time_machine.travel(before, tick=False):
        clocks.sweep(actor=SYSTEM, as_of=before)
    assert not Notification.objects.filter(clock__kind="device_triage").exists()
    after = due + timedelta(minutes=1)
    with time_machine.travel(after, tick=False):
        clocks.sweep(actor=SYSTEM, as_of=after)
    note = Notification.objects.get(clock__kind="device_triage", recipient=supervisor)
    assert note.level == 1 and clock_of(exhibit).escalation_level == 1
    breaches = clocks.breaches(supervisor, as_of=after)
    [breach] = [item for item in breaches["items"] if item["clock"] == "device_triage"]
    assert breach["clock_text"] == "Device examination of exhibit PH/1"


def test_closing_the_referral_ends_the_clock_and_leaves_the_queue(
    referral, investigator, make_user
):
    exhibit = seize(investigator, referral)
    closed = RECORDED + timedelta(days=1)
    investigations.close(
        make_user("supervisor", "XF"),
        referral,
        outcome="15",
        rationale="No further action.",
        outstanding_reason="The device is no longer needed.",
        as_of=closed,
    )
    assert clock_of(exhibit).cancelled_at == closed
    assert queue.device_queue(investigator, as_of=closed) == []


# Moves -------------------------------------------------------------------------------------


def test_a_move_is_audited_with_where_it_was_and_where_it_went(referral, investigator):
    exhibit = seize(investigator, referral)
    moved = RECORDED + timedelta(hours=3)
    queue.move_exhibit(investigator, exhibit, to="triage", as_of=moved)
    queue.move_exhibit(investigator, exhibit, to="destroyed", as_of=moved + timedelta(days=9))
    events = list(AuditEvent.objects.filter(action="exhibit.moved").order_by("id"))
    assert [(e.before["path"], e.after["path"]) for e in events] == [
        ("waiting", "triage"),
        ("triage", "destroyed"),
    ]
    assert events[0].after["moved_at"] == moved.isoformat()
    assert events[0].actor_name == investigator.username
    referral.refresh_from_db()
    exhibit.refresh_from_db()
    assert exhibit.path == "destroyed" and exhibit.left_queue_to == "triage"
    assert clock_of(exhibit).met_at == moved  # triage met it; destroying it later changes nothing


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ("triage", "waiting"),
        ("triage", "triage"),
        ("full_examination", "triage"),
        ("returned", "destroyed"),
        ("destroyed", "full_examination"),
    ],
)
def test_a_move_the_path_does_not_allow_is_refused_and_not_recorded(
    referral, investigator, path, to
):
    exhibit = seize(investigator, referral)
    Exhibit.objects.filter(pk=exhibit.pk).update(path=path)
    version = type(referral).objects.get(pk=referral.pk).version
    with pytest.raises(RecordError, match="it cannot move to"):
        queue.move_exhibit(investigator, exhibit, to=to, as_of=RECORDED + timedelta(hours=1))
    assert Exhibit.objects.get(pk=exhibit.pk).path == path
    assert type(referral).objects.get(pk=referral.pk).version == version
    assert not AuditEvent.objects.filter(action="exhibit.moved").exists()


def test_a_move_cannot_be_in_the_future_or_before_the_seizure(referral, investigator):
    exhibit = seize(investigator, referral)
    with pytest.raises(RecordError, match="future"):
        queue.move_exhibit(
            investigator,
            exhibit,
            to="triage",
            moved_at=RECORDED + timedelta(days=1),
            as_of=RECORDED,
        )
    with pytest.raises(RecordError, match="before it was seized"):
        queue.move_exhibit(
            investigator,
            exhibit,
            to="triage",
            moved_at=SEIZED - timedelta(hours=1),
            as_of=RECORDED,
        )


def test_a_role_that_records_no_exhibits_cannot_move_one(referral, investigator, make_user):
    exhibit = seize(investigator, referral)
    with pytest.raises(PermissionDenied, match="does not allow"):
        queue.move_exhibit(make_user("intake_officer", "XF"), exhibit, to="triage", as_of=RECORDED)
    assert Exhibit.objects.get(pk=exhibit.pk).path == "waiting"


def test_a_closed_referrals_exhibit_does_not_move(referral, investigator, make_user):
    exhibit = seize(investigator, referral)
    investigations.close(
        make_user("supervisor", "XF"),
        referral,
        outcome="15",
        rationale="No further action.",
        outstanding_reason="The device is no longer needed.",
        as_of=RECORDED + timedelta(hours=1),
    )
    with pytest.raises(Conflict, match="closed"):
        queue.move_exhibit(investigator, exhibit, to="triage", as_of=RECORDED + timedelta(days=1))


# The queue ---------------------------------------------------------------------------------


def test_the_queue_lists_waiting_devices_most_urgent_first(referral, investigator):
    urgent = store(
        referral_data(source_reference="NCA-URGENT", received_at=RECEIVED.isoformat()),
        as_of=RECEIVED + timedelta(hours=1),
    )[0]
    assert urgent.grade == "very_high"
    low_old = seize(investigator, referral, "LOW/OLD", seized_at=SEIZED)
    low_new = seize(investigator, referral, "LOW/NEW", seized_at=SEIZED + timedelta(hours=1))
    high = seize(investigator, urgent, "HIGH/1", seized_at=SEIZED + timedelta(hours=1))
    gone = seize(investigator, referral, "GONE/1", seized_at=SEIZED)
    queue.move_exhibit(investigator, gone, to="triage", as_of=RECORDED + timedelta(hours=1))
    later = seize(investigator, referral, "LATER/1", seized_at=None, as_of=RECORDED + timedelta(1))

    as_of = RECORDED + timedelta(hours=2)
    listed = queue.device_queue(investigator, as_of=as_of)
    assert [item["reference"] for item in listed] == ["HIGH/1", "LOW/OLD", "LOW/NEW"]
    first = listed[0]
    assert first["grade"] == "very_high" and first["referral"] == "NCA-URGENT"
    assert first["clock"]["due_at"] == (SEIZED + timedelta(hours=1, days=2)).isoformat()
    assert first["days_waiting"] == round((as_of - high.seized_at).total_seconds() / 86400, 1)
    # As of before a move, the device was still waiting; the one recorded later was not yet.
    before = queue.device_queue(investigator, as_of=RECORDED + timedelta(minutes=30))
    assert "GONE/1" in [item["reference"] for item in before]
    assert later.pk not in [item["id"] for item in before]
    assert {low_old.pk, low_new.pk} <= {item["id"] for item in before}


def test_another_force_sees_nothing_of_the_exhibits(referral, investigator, make_user):
    exhibit = seize(investigator, referral)
    other = make_user("investigator", "YF")
    assert queue.device_queue(other, as_of=RECORDED) == []
    assert queue.referral_exhibits(other, referral, as_of=RECORDED) == []
    with pytest.raises(Http404):
        queue.exhibit_detail(other, exhibit.pk, as_of=RECORDED)
    with pytest.raises(Http404):
        queue.move_exhibit(other, exhibit, to="triage", as_of=RECORDED)
    with pytest.raises(Http404):
        queue.record_exhibit(other, referral, reference="X/1", kind="phone", as_of=RECORDED)
    assert Exhibit.objects.get(pk=exhibit.pk).path == "waiting"


# The command -------------------------------------------------------------------------------


def test_the_command_moves_an_exhibit_and_lists_the_queue(referral, investigator, capsys):
    seize(investigator, referral, "PH/1")
    seize(investigator, referral, "LT/1", seized_at=SEIZED + timedelta(hours=1))
    call_command("devices", "move", "LT/1", "full_examination", "--as-of", "2026-01-07 10:00")
    assert "LT/1 waiting -> full_examination" in capsys.readouterr().out
    call_command("devices", "list", "--as-of", "2026-01-08")
    out = capsys.readouterr().out
    assert "PH/1" in out and "LT/1" not in out and "low" in out and "due 2026-03-03" in out
    call_command("devices", "list", "--json", "--as-of", "2026-01-08")
    [row] = json.loads(capsys.readouterr().out)
    assert row["reference"] == "PH/1" and row["clock"]["kind"] == "device_triage"
    assert row["referral"] == referral.source_reference and row["path"] == "waiting"


def test_the_command_refuses_an_impossible_move_with_a_reason(referral, investigator):
    seize(investigator, referral)
    call_command("devices", "move", "PH/1", "returned", "--as-of", "2026-01-07 10:00")
    with pytest.raises(CommandError, match="returned: it cannot move to triage"):
        call_command("devices", "move", "PH/1", "triage", "--as-of", "2026-01-07 11:00")
    with pytest.raises(CommandError, match="No exhibit NOPE"):
        call_command("devices", "move", "NOPE", "triage")
    with pytest.raises(CommandError):
        call_command("devices", "move", "PH/1", "waiting")


def test_vigil_record_serves_the_exhibit_recordings_too(referral, capsys):
    call_command(
        "record",
        "exhibits",
        referral.source_reference,
        "--reference",
        "USB/1",
        "--kind",
        "storage",
        "--as-of",
        "2026-01-07 10:00",
    )
    exhibit = Exhibit.objects.get(reference="USB/1")
    assert clock_of(exhibit).started_at == london(2026, 1, 7, 10, 0)


# The API and the pages ---------------------------------------------------------------------


@pytest.fixture
def recent(forces):
    received = timezone.now() - timedelta(days=3)
    return store(referral_data(received_at=received.isoformat()), as_of=received)[0]


def test_the_api_adds_lists_shows_and_moves_an_exhibit(client, make_user, recent):
    client.force_login(make_user("investigator"))
    seized = timezone.now() - timedelta(days=1)
    made = client.post(
        f"/api/v1/referrals/{recent.pk}/exhibits",
        {"reference": "PH/9", "kind": "phone", "seized_at": seized.isoformat()},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    exhibit_id = made.json()["id"]
    [row] = client.get("/api/v1/exhibits").json()
    assert row["id"] == exhibit_id and row["grade"] == "very_high"
    assert row["clock"]["state"] in {"due", "due_soon"}
    assert row["moves"] == ["triage", "full_examination", "returned", "destroyed"]
    shown = client.get(f"/api/v1/exhibits/{exhibit_id}").json()
    assert shown["reference"] == "PH/9" and shown["path"] == "waiting"
    assert [r["id"] for r in client.get(f"/api/v1/referrals/{recent.pk}/exhibits").json()] == [
        exhibit_id
    ]
    moved = client.post(
        f"/api/v1/exhibits/{exhibit_id}/moves", {"to": "triage"}, content_type="application/json"
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["recorded"]["path"] == "triage"
    assert client.get("/api/v1/exhibits").json() == []
    refused = client.post(
        f"/api/v1/exhibits/{exhibit_id}/moves", {"to": "waiting"}, content_type="application/json"
    )
    assert refused.status_code == 422 and "cannot move to waiting" in refused.json()["error"]
    unknown = client.post(
        f"/api/v1/exhibits/{exhibit_id}/moves", {"to": "lost"}, content_type="application/json"
    )
    assert unknown.status_code == 422 and unknown.json()["location"].endswith(".to")


def test_the_api_answers_404_for_another_forces_exhibits(client, make_user, recent):
    exhibit = add_exhibit(
        make_user("investigator"), recent, "PH/9", kind="phone", as_of=timezone.now()
    )
    client.force_login(make_user("investigator", "YF"))
    assert client.get("/api/v1/exhibits").json() == []
    assert client.get(f"/api/v1/exhibits/{exhibit.pk}").status_code == 404
    assert client.get(f"/api/v1/referrals/{recent.pk}/exhibits").status_code == 404
    moved = client.post(
        f"/api/v1/exhibits/{exhibit.pk}/moves", {"to": "triage"}, content_type="application/json"
    )
    assert moved.status_code == 404
    added = client.post(
        f"/api/v1/referrals/{recent.pk}/exhibits",
        {"reference": "X/1", "kind": "phone"},
        content_type="application/json",
    )
    assert added.status_code == 404
    assert Exhibit.objects.get(pk=exhibit.pk).path == "waiting"


def test_the_openapi_document_declares_the_refusals_of_the_exhibit_routes(client, make_user):
    client.force_login(make_user("investigator"))
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    moves = paths["/api/v1/exhibits/{item_id}/moves"]["post"]["responses"]
    assert {"200", "403", "404", "409", "422"} <= set(moves)
    listing = paths["/api/v1/exhibits"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(listing)


def test_the_referral_page_records_an_exhibit_and_moves_it(client, make_user, recent):
    client.force_login(make_user("investigator"))
    page = reverse("site:referral-detail", args=[recent.pk])
    shown = client.get(page).content.decode()
    assert 'id="exhibits"' in shown and "Record exhibit" in shown
    client.post(
        reverse("exhibits:exhibits", args=[recent.pk]),
        {"reference": "PH/9", "kind": "phone", "seized_at": "", "seized_where": "Home"},
    )
    exhibit = Exhibit.objects.get(reference="PH/9")
    shown = client.get(page).content.decode()
    assert "Move exhibit PH/9" in shown and "Home" in shown
    done = client.post(
        reverse("exhibits:exhibit-moves", args=[recent.pk]), {"item": exhibit.pk, "to": "triage"}
    )
    assert done.status_code == 302
    assert Exhibit.objects.get(pk=exhibit.pk).path == "triage"
    refused = client.post(
        reverse("exhibits:exhibit-moves", args=[recent.pk]),
        {"item": exhibit.pk, "to": "triage"},
        follow=True,
    )
    assert "Not recorded" in refused.content.decode()
    assert "it cannot move to triage" in refused.content.decode()


def test_a_role_that_records_no_exhibits_sees_no_exhibit_forms(client, make_user, recent):
    client.force_login(make_user("intake_officer"))
    shown = client.get(reverse("site:referral-detail", args=[recent.pk])).content.decode()
    assert 'id="exhibits"' in shown and "Record exhibit" not in shown


def test_the_queue_page_lists_the_waiting_devices_and_is_in_the_navigation(
    client, make_user, recent
):
    investigator = make_user("investigator")
    add_exhibit(investigator, recent, "PH/9", kind="phone", as_of=timezone.now())
    client.force_login(investigator)
    shown = client.get(reverse("exhibits:queue")).content.decode()
    assert "PH/9" in shown and recent.source_reference in shown and "Very high" in shown
    assert 'href="/referrals/devices/"' in shown
    client.force_login(make_user("investigator", "YF"))
    shown = client.get(reverse("exhibits:queue")).content.decode()
    assert "PH/9" not in shown and "No device is waiting" in shown


def test_the_queue_page_is_refused_to_a_role_that_sees_no_referrals(client, make_user):
    client.force_login(make_user("analyst"))
    assert client.get(reverse("exhibits:queue")).status_code == 403
    shown = client.get(reverse("home")).content.decode()
    assert 'href="/referrals/devices/"' not in shown

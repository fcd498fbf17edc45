"""Clocks through the CLI, the API and the pages."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import low_risk, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(forces):
    received = timezone.now() - timedelta(days=40)
    return store(low_risk(received), as_of=received + timedelta(hours=1))[0]


def test_vigil_worklist_json_has_the_documented_shape(referral):
    out = io.StringIO()
    call_command("worklist", "--force", "XF", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert "as_of" in result
    item = next(i for i in result["items"] if i["clock"] == "enforcement_action")
    assert set(item) >= {
        "referral_id",
        "source_reference",
        "force",
        "grade",
        "clock",
        "due_at",
        "state",
        "overdue_by_seconds",
        "escalation_level",
    }
    assert (item["state"], item["escalation_level"], item["grade"]) == ("overdue", 1, "low")


def test_vigil_worklist_as_of_a_past_moment(referral):
    out = io.StringIO()
    moment = (referral.received_at + timedelta(days=2)).isoformat()
    call_command("worklist", "--json", "--as-of", moment, stdout=out)
    states = {i["clock"]: i["state"] for i in json.loads(out.getvalue())["items"]}
    assert states["enforcement_action"] == "due"


def test_referral_show_json_includes_clocks(referral):
    out = io.StringIO()
    call_command("referral", "show", str(referral.pk), "--json", stdout=out)
    clocks = json.loads(out.getvalue())["clocks"]
    enforcement = next(c for c in clocks if c["kind"] == "enforcement_action")
    assert set(enforcement) >= {
        "kind",
        "started_at",
        "due_at",
        "met_at",
        "state",
        "escalation_level",
    }


def test_the_api_worklist_breaches_and_actions(client, make_user, referral):
    officer = make_user("investigator", "XF")
    client.force_login(make_user("supervisor", "XF"))
    allocated = client.post(
        f"/api/v1/referrals/{referral.pk}/allocation",
        json.dumps({"officer": officer.username}),
        content_type="application/json",
    )
    assert allocated.status_code == 201
    breaches = client.get("/api/v1/breaches").json()
    assert any(i["clock"] == "enforcement_action" for i in breaches["items"])
    client.force_login(officer)
    mine = client.get("/api/v1/worklist?scope=mine").json()
    assert mine["counts"]["overdue"] >= 1
    assert client.get("/api/v1/breaches").status_code == 403
    acted = client.post(
        f"/api/v1/referrals/{referral.pk}/actions",
        json.dumps({"kind": "voluntary_interview"}),
        content_type="application/json",
    )
    assert acted.status_code == 201
    assert acted.json()["recorded"]["kind"] == "voluntary_interview"
    clocks = client.get(f"/api/v1/referrals/{referral.pk}/clocks").json()
    enforcement = next(c for c in clocks if c["kind"] == "enforcement_action")
    assert enforcement["state"] == "met_late"


def test_another_force_cannot_act_on_a_referral(client, make_user, referral):
    client.force_login(make_user("investigator", "YF"))
    response = client.post(
        f"/api/v1/referrals/{referral.pk}/actions",
        json.dumps({"kind": "arrest"}),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_worklist_page_shows_my_clocks_with_counts_and_an_as_of_banner(
    client, make_user, referral
):
    officer = make_user("investigator", "XF")
    from vigil.investigations.services import allocate

    allocate(make_user("supervisor", "XF"), referral, officer, as_of=timezone.now())
    client.force_login(officer)
    text = client.get(reverse("clocks:worklist")).content.decode()
    assert 'data-testid="worklist-counts"' in text
    assert "Enforcement action" in text and "Overdue" in text
    past = client.get(
        reverse("clocks:worklist"),
        {"as_of": (referral.received_at + timedelta(days=2)).date().isoformat()},
    )
    assert b"Shown as of" in past.content


def test_the_unallocated_and_provisional_tabs(client, make_user, referral):
    client.force_login(make_user("investigator", "XF"))
    text = client.get(reverse("clocks:worklist"), {"tab": "unallocated"}).content.decode()
    assert referral.source_reference in text


def test_the_breach_view_is_for_supervisors(client, make_user, referral):
    client.force_login(make_user("investigator", "XF"))
    assert client.get(reverse("clocks:breaches")).status_code == 403
    client.force_login(make_user("supervisor", "XF"))
    text = client.get(reverse("clocks:breaches")).content.decode()
    assert 'data-testid="breaches"' in text and referral.source_reference in text


def test_recording_an_action_on_the_referral_page_meets_the_clock(client, make_user, referral):
    client.force_login(make_user("investigator", "XF"))
    response = client.post(
        reverse("investigations:actions", args=[referral.pk]),
        {"kind": "arrest", "occurred_at": ""},
        follow=True,
    )
    text = response.content.decode()
    assert "Action recorded." in text
    assert 'data-testid="clock-timeline"' in text and "Met late" in text


def test_a_future_date_is_refused_on_the_page(client, make_user, referral):
    client.force_login(make_user("investigator", "XF"))
    future = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    response = client.post(
        reverse("investigations:actions", args=[referral.pk]),
        {"kind": "arrest", "occurred_at": future},
        follow=True,
    )
    assert "Not recorded: a thing cannot have happened in the future" in response.content.decode()


def test_the_worker_runs_the_sweep_each_minute_and_the_regrade_once_a_day(referral, capsys):
    from vigil.clocks.models import JobRun

    minute = timezone.now().replace(second=5, microsecond=0)
    with time_machine.travel(minute, tick=False):
        call_command("worker", "--once")
        call_command("worker", "--once")  # the same minute: its sweep has been queued already
    with time_machine.travel(minute + timedelta(minutes=1), tick=False):
        call_command("worker", "--once")
    assert JobRun.objects.filter(name="daily re-grade").count() == 1
    assert JobRun.objects.filter(name="escalation sweep", outcome="done").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_in_a_thread_as_vigil_serve_starts_it(referral):
    # `vigil serve` runs the worker in a thread, where setting a signal handler raises; the
    # escalations silently never ran in the embedded deployment.
    import threading

    from vigil.clocks.models import JobRun

    failures = []

    def run():
        try:
            call_command("worker", "--once", stdout=io.StringIO())
        except Exception as error:  # the thread's failure, reported to the test
            failures.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    assert failures == []
    assert JobRun.objects.filter(name="escalation sweep", outcome="done").count() == 1


def test_a_failed_minute_does_not_stop_the_worker(monkeypatch, caplog):
    from unittest import mock

    from vigil.clocks.management.commands import worker

    ticks = mock.Mock(side_effect=[RuntimeError("database unavailable"), None])
    monkeypatch.setattr(worker.Command, "_tick", lambda self: ticks())
    sleeps = mock.Mock(side_effect=[None, KeyboardInterrupt])  # stop after the second minute
    monkeypatch.setattr(worker.time, "sleep", sleeps)
    call_command("worker", "--interval", "0", stdout=io.StringIO())
    assert ticks.call_count == 2
    assert "background work failed" in caplog.text


def test_a_worklist_page_far_past_the_end_is_empty_not_an_error(client, make_user, referral):
    client.force_login(make_user("investigator", "XF"))
    response = client.get("/api/v1/worklist", {"page": 46116860184273881})
    assert response.status_code == 200 and response.json()["items"] == []

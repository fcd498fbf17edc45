"""Background work on the task queue: each task run once however many workers, each periodic
task queued once per period, failures tried again and, in the end, shown to administrators."""

import io
import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.core.background_tasks import always_fails, count_a_run, fails_the_first_time
from vigil.clocks.models import JobRun, PeriodicTaskQueued
from vigil.clocks.tasks import SCHEDULE, queue_periodic_work
from vigil.core.actors import SystemActor
from vigil.core.background import failed_tasks, run_ready_tasks
from vigil.core.permissions import Refused

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = SystemActor("test")


def _rows(task) -> list[DBTaskResult]:
    """The task's rows, first attempt first (the clock stands still, so they were all queued
    at the same moment)."""
    rows = DBTaskResult.objects.filter(task_path=task.module_path)
    return sorted(rows, key=lambda row: row.args_kwargs["kwargs"].get("_attempt", 1))


@pytest.mark.django_db
def test_a_failing_task_is_tried_again_after_a_growing_wait_then_given_up_and_listed():
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        always_fails.enqueue("the report server is down")
        assert run_ready_tasks() == 1
    first, second = _rows(always_fails)
    assert first.status == TaskResultStatus.FAILED and "RuntimeError" in first.traceback
    assert second.status == TaskResultStatus.READY
    assert second.run_after == start + timedelta(minutes=1)
    assert second.args_kwargs == {"args": ["the report server is down"], "kwargs": {"_attempt": 2}}

    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert run_ready_tasks() == 0  # its wait is not over
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert run_ready_tasks() == 1
    third = _rows(always_fails)[2]
    assert third.run_after == start + timedelta(minutes=1 + 2)  # twice as long
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        assert run_ready_tasks() == 1
    with time_machine.travel(start + timedelta(days=1), tick=False):
        assert run_ready_tasks() == 0  # the third attempt was the last
    rows = _rows(always_fails)
    assert [row.status for row in rows] == [TaskResultStatus.FAILED] * 3

    listed = failed_tasks(SYSTEM)
    assert [(item["attempt"], item["given_up"]) for item in listed] == [
        (3, True),
        (2, False),
        (1, False),
    ]
    given_up = failed_tasks(SYSTEM, given_up_only=True)
    assert len(given_up) == 1
    assert given_up[0] | {"enqueued_at": None, "failed_at": None} == {
        "id": str(rows[2].id),
        "task": "tests.core.background_tasks.always_fails",
        "name": "always fails",
        "arguments": {"args": ["the report server is down"], "kwargs": {}},
        "attempt": 3,
        "attempts": 3,
        "given_up": True,
        "error": "RuntimeError: the report server is down",
        "enqueued_at": None,
        "failed_at": None,
    }


@pytest.mark.django_db
def test_a_task_that_succeeds_when_tried_again_is_not_given_up():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fails_the_first_time.enqueue("flaky mail")
        run_ready_tasks()
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        run_ready_tasks()
    first, second = _rows(fails_the_first_time)
    assert (first.status, second.status) == (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL)
    assert second.return_value == "done at last"
    assert failed_tasks(SYSTEM, given_up_only=True) == []
    assert [item["given_up"] for item in failed_tasks(SYSTEM)] == [False]


@pytest.mark.django_db
def test_vigil_tasks_failed_lists_the_tasks_given_up(capsys):
    start = timezone.now()
    for minutes in (0, 1, 3):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            if minutes == 0:
                always_fails.enqueue("no disk space")
            run_ready_tasks()
    out = io.StringIO()
    call_command("tasks", "failed", "--json", stdout=out)
    items = json.loads(out.getvalue())
    assert [(item["name"], item["attempt"], item["given_up"]) for item in items] == [
        ("always fails", 3, True)
    ]
    assert items[0]["error"] == "RuntimeError: no disk space"
    assert items[0]["failed_at"].startswith(str(start.year))
    out = io.StringIO()
    call_command("tasks", "failed", "--all", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert 'always fails("no disk space")  attempt 3 of 3, given up' in lines[0]
    assert "attempt 1 of 3, to be tried again" in lines[2]


@pytest.mark.django_db
def test_administrators_see_the_failed_tasks_and_nobody_else_does(client, make_user):
    start = timezone.now()
    for minutes in (0, 1, 3):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            if minutes == 0:
                always_fails.enqueue("the archive share is offline")
            run_ready_tasks()
    client.force_login(make_user("administrator", "XF"))
    page = client.get(reverse("clocks:mail-failures"))
    text = page.content.decode()
    assert 'data-testid="failed-tasks"' in text
    assert "Always fails" in text and "RuntimeError: the archive share is offline" in text
    assert "Given up" in text and "3 of 3" in text and "Will be tried again" in text
    for role in ("supervisor", "investigator", "auditor"):
        with pytest.raises(Refused):
            failed_tasks(make_user(role, "XF"))
        client.force_login(make_user(role, "XF"))
        assert client.get(reverse("clocks:mail-failures")).status_code == 403, role


@pytest.mark.django_db(transaction=True)
def test_workers_queueing_at_once_queue_each_periodic_task_once_per_period():
    now = timezone.now()
    ready = threading.Barrier(3)
    queued, errors = [], []

    def worker():
        try:
            ready.wait(timeout=30)
            queued.extend(queue_periodic_work(now))
        except Exception as error:  # the thread's failure, reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(queued) == sorted(periodic.name for periodic in SCHEDULE)
    assert PeriodicTaskQueued.objects.count() == len(SCHEDULE)
    assert DBTaskResult.objects.count() == len(SCHEDULE)
    # The next minute brings the next minute's sweep and seal, not another day's re-grade.
    assert queue_periodic_work(now + timedelta(minutes=1)) == ["escalation sweep", "audit seal"]


def _worker_environment() -> dict:
    settings = connection.settings_dict
    url = (
        f"postgresql://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    return os.environ | {
        "DATABASE_URL": url,
        "VIGIL_ENV": "test",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


@pytest.mark.django_db(transaction=True)
def test_three_workers_run_each_of_thirty_tasks_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip(
            "many workers are tested on PostgreSQL, where they claim tasks with SKIP LOCKED; "
            "on SQLite one worker (the one in `vigil serve`) runs the queue"
        )
    queued = [count_a_run.enqueue(number, pause=0.2) for number in range(30)]
    vigil = str(Path(sys.executable).with_name("vigil"))
    workers = [
        subprocess.Popen(
            [vigil, "worker", "--once"],
            cwd=ROOT,
            env=_worker_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=180)
        assert worker.returncode == 0, errors
    runs = JobRun.objects.filter(name__startswith="counted ")
    assert sorted(runs.values_list("name", flat=True)) == sorted(
        f"counted {number}" for number in range(30)
    )  # every task once, none twice
    rows = DBTaskResult.objects.filter(id__in=[result.id for result in queued])
    assert {row.status for row in rows} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(row.worker_ids) == 1 for row in rows)
    # The workers shared the work (else the test proved nothing about claims).
    assert len({row.worker_ids[0] for row in rows}) >= 2


def test_vigil_serve_works_the_queue_itself_on_sqlite_only_unless_told(monkeypatch):
    from vigil.site.management.commands import serve as command

    monkeypatch.setattr(command, "serve", lambda *args, **kwargs: None)
    started = []
    monkeypatch.setattr(command.Command, "_start_worker", lambda self: started.append("worker"))
    out = io.StringIO()
    call_command("serve", stdout=out)
    single_machine = connection.vendor == "sqlite"
    assert started == (["worker"] if single_machine else [])
    if not single_machine:
        assert "Background work is left to `vigil worker`" in out.getvalue()
    started.clear()
    call_command("serve", "--worker", stdout=io.StringIO())
    assert started == ["worker"]
    started.clear()
    call_command("serve", "--no-worker", stdout=io.StringIO())
    assert started == []

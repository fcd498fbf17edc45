"""Background work on Django's task framework: how a task is declared, tried again and run.

Vigil uses the ``django-tasks`` backport (the API that is Django 6's ``django.tasks``) with its
database backend (``django-tasks-db``): the queue is a table in Vigil's own database, so there is
no broker to run. A worker claims a task with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL
(in an exclusive transaction on SQLite), so however many workers run on however many machines,
each task runs once.

Each app's ``tasks.py`` declares its tasks with ``background``: a thin wrapper with narrow,
JSON-able arguments (ids, an ``as_of`` as an ISO string) around a service. A task that raises is
tried again after a growing wait, up to its number of attempts; the last failure stays in the
queue's table as failed, where ``failed_tasks`` (the administrators' page and ``vigil tasks
failed``) finds it.
"""

import functools
import logging
from datetime import datetime, timedelta

from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import task
from django_tasks.base import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .actors import SystemActor
from .asof import AsOfError, parse_as_of
from .permissions import require
from .roles import Action

log = logging.getLogger(__name__)

# The attempt a queued task is, kept among its keyword arguments (the backend stores only
# arguments); the task's own function never sees it.
ATTEMPT = "_attempt"
# How many attempts each declared task has, by its path: read when listing failures, so that a
# failure with attempts left is shown as being tried again.
_ATTEMPTS: dict[str, int] = {}


def background(
    *, attempts: int = 3, first_wait: timedelta = timedelta(minutes=1), priority: int = 0
):
    """Declare a module-level function a background task, tried up to ``attempts`` times;
    among the tasks ready at once, those of higher ``priority`` run first.

    A failed attempt is queued again to run after ``first_wait``, then twice as long, and so on;
    the failure itself is kept (with its traceback) on the attempt's row. Call ``.enqueue(…)``
    on the result to queue it, or ``.call(…)`` to run it here and now.
    """

    def declare(func):
        def run(context, *args, **kwargs):
            attempt = int(kwargs.pop(ATTEMPT, 1))
            try:
                return func(*args, **kwargs)
            except Exception:
                if attempt < attempts:
                    wait = first_wait * 2 ** (attempt - 1)
                    try:
                        declared.using(run_after=timezone.now() + wait).enqueue(
                            *args, **kwargs, **{ATTEMPT: attempt + 1}
                        )
                    except Exception:
                        log.exception("could not queue %s again", declared.name)
                raise

        functools.update_wrapper(run, func)
        # The task framework reads the signature for its ``context`` argument: this wrapper's,
        # not the wrapped function's.
        del run.__wrapped__
        declared = task(takes_context=True, priority=priority)(run)
        _ATTEMPTS[declared.module_path] = attempts
        return declared

    return declare


def task_actor(name: str) -> SystemActor:
    """Vigil acting in a background task: named in the audit trail as the task."""
    return SystemActor(f"task:{name}")


def task_as_of(value: str) -> datetime:
    """The moment a task acts as of, from the ISO string it was queued with."""
    try:
        return parse_as_of(value)
    except AsOfError as error:
        raise ValueError(str(error)) from None


def run_ready_tasks(*, worker_id: str = "", max_tasks: int | None = None, report=None) -> int:
    """Run every queued task whose time has come, one after another, until none is left (or
    ``max_tasks`` have run); return how many ran. ``report(row)`` is told of each as it ends.

    Safe beside any number of other workers: each task is claimed, as ``db_worker`` claims it,
    by locking its row with SKIP LOCKED (an exclusive transaction on SQLite) and marking it
    running before the lock is let go, so it is one worker's only.
    """
    worker_id = worker_id or get_random_string(32)
    runner = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while max_tasks is None or ran < max_tasks:
        ready = DBTaskResult.objects.ready().filter(backend_name=DEFAULT_TASK_BACKEND_ALIAS)
        try:
            with exclusive_transaction(ready.db):
                row = ready.get_locked()
                if row is not None:
                    row.claim(worker_id)
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            row = None  # SQLite busy with another claim: the next look will do
        if row is None:
            break
        runner.run_task(row)
        ran += 1
        if report is not None:
            report(row)
    return ran


def describe_outcome(row: DBTaskResult) -> str:
    """One line on how a task that ran went, for the worker's output; empty when it succeeded
    with nothing to say."""
    name = row.task_path.rsplit(".", 1)[-1].replace("_", " ")
    if row.status == TaskResultStatus.FAILED:
        item = _failure(row)
        then = "given up" if item["given_up"] else "will be tried again"
        attempt = f"attempt {item['attempt']} of {item['attempts']}"
        return f"{name} failed ({attempt}, {then}): {item['error']}"
    value = row.return_value
    if isinstance(value, dict):
        said = ", ".join(f"{key}: {count}" for key, count in value.items() if count)
        return f"{name}: {said}" if said else ""
    return f"{name}: {value}" if value else ""


# ---------------------------------------------------------------------------------------------
# What administrators see


def _attempt_of(row: DBTaskResult) -> int:
    return int((row.args_kwargs.get("kwargs") or {}).get(ATTEMPT, 1))


def _failure(row: DBTaskResult) -> dict:
    attempts = _ATTEMPTS.get(row.task_path, 1)
    attempt = _attempt_of(row)
    kwargs = {
        key: value for key, value in (row.args_kwargs.get("kwargs") or {}).items() if key != ATTEMPT
    }
    last_line = next(
        (line for line in reversed(row.traceback.strip().splitlines()) if line.strip()), ""
    )
    return {
        "id": str(row.id),
        "task": row.task_path,
        "name": row.task_path.rsplit(".", 1)[-1].replace("_", " "),
        "arguments": {"args": row.args_kwargs.get("args") or [], "kwargs": kwargs},
        "attempt": attempt,
        "attempts": attempts,
        "given_up": attempt >= attempts,
        "error": last_line[:300],
        "enqueued_at": row.enqueued_at,
        "failed_at": row.finished_at,
    }


def failed_tasks(actor, *, given_up_only: bool = False, limit: int = 200) -> list[dict]:
    """Background tasks that failed, latest first: each with its arguments, which attempt it
    was of how many, whether it was given up (no attempt left) and the error's last line.

    For administrators (the permission to see what could not be sent): the arguments of
    Vigil's tasks are ids and times, never anyone's details.
    """
    require(actor, Action.MAIL_VIEW)
    rows = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).order_by(
        "-finished_at", "-enqueued_at"
    )
    found = []
    for row in rows.iterator(chunk_size=200):
        try:
            item = _failure(row)
        except (SuspiciousOperation, ValueError, TypeError, AttributeError):
            continue
        if given_up_only and not item["given_up"]:
            continue
        found.append(item)
        if len(found) >= limit:
            break
    return found


def forget_finished_tasks(*, succeeded_before: datetime, failed_before: datetime) -> int:
    """Delete the queue's records of tasks that succeeded before one moment, and of those that
    failed before another (kept longer, for administrators to see); return how many."""
    deleted, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=succeeded_before
    ).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=failed_before
    ).delete()
    return deleted + failed

"""Tasks that exist only for the tests of the queue: each leaves a countable trace."""

import time
from datetime import timedelta

from django.utils import timezone

from vigil.clocks.models import JobRun
from vigil.core.background import background


@background(attempts=1)
def count_a_run(number: int, pause: float = 0.0) -> int:
    """Leave one row per run, named by the task's number."""
    now = timezone.now()
    JobRun.objects.create(name=f"counted {number}", started_at=now, as_of=now, outcome="done")
    time.sleep(pause)
    return number


@background(attempts=3, first_wait=timedelta(minutes=1))
def always_fails(reason: str) -> None:
    raise RuntimeError(reason)


@background(attempts=3, first_wait=timedelta(minutes=1))
def fails_the_first_time(name: str) -> str:
    now = timezone.now()
    _, created = JobRun.objects.get_or_create(
        name=name, defaults={"started_at": now, "as_of": now, "outcome": "failed"}
    )
    if created:
        raise ConnectionError("the mail server did not answer")
    return "done at last"

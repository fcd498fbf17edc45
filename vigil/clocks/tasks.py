"""The clocks' background work, and the schedule of everything periodic.

The escalation sweep (which also sends the escalations' e-mails and tries again those that
failed) runs every minute, the audit trail's seal every minute, and the re-grade of the open
referrals due that day (the re-grade index: ages reached, a policy changed) once a day, shared
out in batches. Every worker runs ``queue_periodic_work`` every few
seconds; a period's task is queued by the first worker to get there (``services.queue_once``),
so each runs once however many workers there are.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from vigil.audit.tasks import seal_audit_trail
from vigil.core.background import background, forget_finished_tasks, task_actor, task_as_of
from vigil.risk.services import due_referral_batches
from vigil.risk.tasks import regrade_referrals

from . import services

REGRADE_BATCH = 200
# How long the queue keeps a record of what it did: a week for what succeeded, a quarter for
# what failed (administrators are shown it).
KEEP_SUCCEEDED = timedelta(days=7)
KEEP_FAILED = timedelta(days=90)


@background(attempts=2, first_wait=timedelta(seconds=30))
def escalation_sweep(as_of: str) -> dict:
    """Escalate every overdue clock and send (or try again) the escalations' e-mails."""
    moment = task_as_of(as_of)
    try:
        counts = services.run_job(
            "escalation sweep",
            as_of=moment,
            work=lambda: services.sweep(actor=task_actor("escalation sweep"), as_of=moment),
        )
    except services.JobBusy:
        # The previous minute's sweep is still at work; it, or the next minute's, does this.
        return {"skipped": "another sweep is running"}
    return dict(counts)


@background(attempts=3)
def daily_regrade(as_of: str) -> dict:
    """Queue the re-grade of the open referrals due as of ``as_of`` (someone on them reached an
    age the policy asks about, or they were graded under another policy), in batches any worker
    takes."""
    moment = task_as_of(as_of)

    def share_out() -> dict:
        batches = due_referral_batches(
            actor=task_actor("daily re-grade"), as_of=moment, size=REGRADE_BATCH
        )
        for referral_ids in batches:
            regrade_referrals.enqueue(referral_ids, as_of)
        return {"batches": len(batches), "referrals": sum(len(ids) for ids in batches)}

    try:
        return services.run_job("daily re-grade", as_of=moment, work=share_out)
    except services.JobBusy:
        return {"skipped": "another re-grade is being queued"}


@background(attempts=3)
def send_email_digests(as_of: str) -> dict:
    """The daily digests: one e-mail to each person who asked for one."""
    moment = task_as_of(as_of)
    try:
        return dict(
            services.run_job(
                "e-mail digests", as_of=moment, work=lambda: services.send_digests(moment)
            )
        )
    except services.JobBusy:
        return {"skipped": "the digests are being sent"}


@background(attempts=3)
def forget_old_task_records(as_of: str) -> dict:
    """Forget the queue's records past their keeping (and the periods long queued)."""
    moment = task_as_of(as_of)
    return {
        "tasks": forget_finished_tasks(
            succeeded_before=moment - KEEP_SUCCEEDED, failed_before=moment - KEEP_FAILED
        ),
        "periods": services.forget_periodic_before(moment - KEEP_SUCCEEDED),
    }


@dataclass(frozen=True)
class Periodic:
    name: str
    task: object
    every: str  # "minute" or "day"
    takes_as_of: bool = True
    # For a daily task: the local hour its day begins (the digests go at 7 in the morning,
    # read at the start of the working day, not at midnight).
    from_hour: int = 0

    def period(self, now: datetime) -> str:
        if self.every == "minute":
            return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        local = timezone.localtime(now) - timedelta(hours=self.from_hour)
        return local.date().isoformat()


SCHEDULE = (
    Periodic("escalation sweep", escalation_sweep, "minute"),
    Periodic("audit seal", seal_audit_trail, "minute", takes_as_of=False),
    Periodic("daily re-grade", daily_regrade, "day"),
    Periodic("forget old task records", forget_old_task_records, "day"),
    Periodic("e-mail digests", send_email_digests, "day", from_hour=7),
)


def queue_periodic_work(now: datetime, *, seen: dict[str, str] | None = None) -> list[str]:
    """Queue each periodic task whose period has begun and is not queued yet; return the names
    of those this call queued (none, when another worker got there first).

    ``seen`` (kept by one worker between calls) holds the period each task was last tried for,
    so a worker asks the database only when a new period begins.
    """
    seen = {} if seen is None else seen
    queued = []
    for periodic in SCHEDULE:
        period = periodic.period(now)
        if seen.get(periodic.name) == period:
            continue
        arguments = (now.isoformat(),) if periodic.takes_as_of else ()

        def enqueue(periodic=periodic, arguments=arguments):
            return periodic.task.enqueue(*arguments)

        if services.queue_once(periodic.name, period, as_of=now, enqueue=enqueue):
            queued.append(periodic.name)
        seen[periodic.name] = period
    return queued

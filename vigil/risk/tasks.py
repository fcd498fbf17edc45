"""Grading's background work: re-grading a batch of referrals (the daily re-grade, shared out
among the workers by the clocks' schedule, since ages move on)."""

from vigil.core.background import background, task_actor, task_as_of

from . import services


@background(attempts=3)
def regrade_referrals(referral_ids: list[int], as_of: str) -> dict:
    """Re-grade the open referrals named as of ``as_of`` (each its own guarded change)."""
    counts = services.regrade_all(
        actor=task_actor("regrade"), as_of=task_as_of(as_of), referral_ids=referral_ids
    )
    return dict(counts)

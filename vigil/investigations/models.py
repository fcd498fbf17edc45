"""The investigation itself: who has it, what was done, and supervisors' reviews."""

from django.conf import settings
from django.db import models


class ActionKind(models.TextChoices):
    WARRANT_APPLIED = "warrant_applied", "Warrant applied for"
    WARRANT_GRANTED = "warrant_granted", "Warrant granted"
    WARRANT_EXECUTED = "warrant_executed", "Warrant executed"
    ARREST = "arrest", "Arrest"
    SEARCH = "search", "Search"
    DEVICES_SEIZED = "devices_seized", "Devices seized"
    VOLUNTARY_INTERVIEW = "voluntary_interview", "Voluntary interview"
    SAFEGUARDING_VISIT = "safeguarding_visit", "Safeguarding visit to the address"
    CHARGE = "charge", "Charge"


# Actions that count as the first positive action against the suspect.
POSITIVE_ACTIONS = {
    ActionKind.ARREST,
    ActionKind.WARRANT_EXECUTED,
    ActionKind.VOLUNTARY_INTERVIEW,
    ActionKind.SAFEGUARDING_VISIT,
}


class Recorded(models.Model):
    """Who recorded a thing and when they recorded it (which may be after it happened)."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()

    class Meta:
        abstract = True


class Allocation(Recorded):
    """A referral given to an investigator (and their team)."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, related_name="allocations"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    team = models.CharField(max_length=100, blank=True)
    allocated_at = models.DateTimeField()

    class Meta:
        ordering = ["allocated_at", "id"]

    def __str__(self) -> str:
        return f"{self.officer} from {self.allocated_at:%Y-%m-%d}"


class Action(Recorded):
    """Something done in the investigation, with when it happened."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(max_length=24, choices=ActionKind.choices)
    occurred_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["referral", "kind"], name="action_referral_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class SupervisorReview(Recorded):
    """A supervisor's review of an open referral (at least every 28 days)."""

    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewed_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    # Which minimum investigative standards the supervisor checked.
    standards_checked = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["reviewed_at", "id"]

    def __str__(self) -> str:
        return f"review {self.reviewed_at:%Y-%m-%d}"

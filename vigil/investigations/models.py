"""The investigation itself: who has it, what was done, and supervisors' reviews."""

from django.conf import settings
from django.db import models

from vigil.referrals.models import Recorded

from .choices import ActionKind, ReleaseKind, RuiDecision


class Allocation(Recorded):
    """A referral given to an investigator (and their team)."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="allocations"
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
        "referrals.Referral", on_delete=models.CASCADE, related_name="actions"
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
        "referrals.Referral", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewed_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    # Which minimum investigative standards the supervisor checked.
    standards_checked = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["reviewed_at", "id"]

    def __str__(self) -> str:
        return f"review {self.reviewed_at:%Y-%m-%d}"


class Release(Recorded):
    """The suspect released (or remanded), to which address, and on what safeguards."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="releases"
    )
    kind = models.CharField(max_length=32, choices=ReleaseKind.choices)
    released_at = models.DateTimeField()
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    conditions = models.TextField(blank=True)
    return_at = models.DateTimeField(null=True, blank=True)
    # The children found to live at or visit the address when it was recorded, as the user
    # saw them ("h1", "c1 in NCA-2020-0002", "a child known to YF").
    children_at_address = models.JSONField(default=list, blank=True)
    # What the household check found at the address on the day of release: the children in
    # the households the recorder's force may see ({"ref", "name", "age", "how",
    # "referral_id", "source_reference"}), the forces holding a child there in a referral the
    # recorder may not open (only {"force", "contact"}), and whether the household there is
    # established (None: the release sends no one to an address, as a remand does not).
    household_children = models.JSONField(default=list, blank=True)
    held_elsewhere = models.JSONField(default=list, blank=True)
    household_established = models.BooleanField(null=True)
    supervisor_decision = models.TextField(blank=True)
    safeguarding_plan = models.TextField(blank=True)
    # A supervisor's acceptance, in writing, of releasing to an address whose household is not
    # established.
    accepted_risk = models.TextField(blank=True)

    class Meta:
        ordering = ["released_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.released_at:%Y-%m-%d}"


class RuiReview(Recorded):
    """A review of a release under investigation: the next one falls due 3 months later, while
    the suspect remains released under investigation."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="rui_reviews"
    )
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="rui_reviews")
    reviewed_at = models.DateTimeField()
    decision = models.CharField(max_length=24, choices=RuiDecision.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["reviewed_at", "id"]

    def __str__(self) -> str:
        return f"RUI review {self.reviewed_at:%Y-%m-%d}"


class Outcome(Recorded):
    """How the referral was closed: a Home Office outcome type and the rationale."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="outcome"
    )
    # The force that closed it, kept here so outcome figures need no join to the referrals.
    force = models.ForeignKey(
        "accounts.Force", on_delete=models.PROTECT, null=True, related_name="+"
    )
    code = models.CharField(max_length=16)
    text = models.CharField(max_length=200)
    rationale = models.TextField()
    closed_at = models.DateTimeField()
    not_in_public_interest = models.BooleanField(default=False)
    # Why it was closed although a safeguarding step was still due (a supervisor's words).
    outstanding_safeguarding_reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["force", "closed_at"],
                include=["code", "not_in_public_interest"],
                name="outcome_force_closed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


class StandardCheck(Recorded):
    """A minimum investigative standard someone has recorded as met, and how."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="standard_checks"
    )
    code = models.CharField(max_length=40)
    note = models.TextField()
    met_at = models.DateTimeField()

    class Meta:
        ordering = ["met_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "code"], name="standard_once"),
        ]

    def __str__(self) -> str:
        return self.code

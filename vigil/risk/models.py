"""Grades, how they were reached, and every disagreement with them."""

from django.conf import settings
from django.db import models

from vigil.referrals.models import ReferralOwned

from .choices import Grade, OverrideStatus, QualityOutcome


class PolicyVersion(models.Model):
    """A risk policy file exactly as it was used, so any assessment can be reproduced."""

    policy_id = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    text = models.TextField()
    first_used_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy_id", "version"], name="policy_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.version}"


class Assessment(ReferralOwned):
    """The engine's grade of a referral at one moment, with its answers and explanation.

    A new assessment is stored whenever a fact the policy reads changes; the old ones stay, so
    the referral's history shows every grade and what changed it.
    """

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="assessments"
    )
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_by_name = models.CharField(max_length=150)
    # What prompted it: "imported", "household member added", "scheduled re-grade"…
    trigger = models.CharField(max_length=200)
    # The questions whose answers changed since the previous assessment.
    changes = models.JSONField(default=list, blank=True)

    engine_grade = models.CharField(max_length=16, choices=Grade.choices)
    # The grade in force: the engine's, unless an override has been applied or approved, or a
    # lower engine grade awaits a supervisor's review.
    grade = models.CharField(max_length=16, choices=Grade.choices)
    minimum_grade = models.CharField(max_length=16, choices=Grade.choices)
    step = models.CharField(max_length=20)
    step_text = models.CharField(max_length=300)
    provisional = models.BooleanField()
    missing = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    floors = models.JSONField(default=list, blank=True)
    answers = models.JSONField(default=dict)
    flags = models.JSONField(default=dict, blank=True)
    sentence = models.TextField()
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [
            models.Index(fields=["referral", "is_current"], name="assessment_current"),
            models.Index(fields=["assessed_by", "assessed_at"], name="assessment_by_assessor"),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.get_grade_display()} ({self.assessed_at:%Y-%m-%d})"


class Override(ReferralOwned):
    """A person's (or a re-grade's) proposal of a different grade, and its decision.

    Raising takes effect at once. Lowering needs a supervisor other than the proposer, and can
    never go below a floor.
    """

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="overrides"
    )
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="overrides")
    from_grade = models.CharField(max_length=16, choices=Grade.choices)
    proposed_grade = models.CharField(max_length=16, choices=Grade.choices)
    reason = models.TextField()
    # Empty when Vigil itself proposes a lower grade after a re-grade.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by_name = models.CharField(max_length=150)
    proposed_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=OverrideStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["status"], name="override_status"),
            models.Index(fields=["proposed_by", "proposed_at"], name="override_by_proposer"),
        ]

    def __str__(self) -> str:
        return f"{self.from_grade} → {self.proposed_grade} ({self.status})"

    @property
    def lowers(self) -> bool:
        order = Grade.values
        return order.index(self.proposed_grade) < order.index(self.from_grade)


class QualityCheck(ReferralOwned):
    """An assessment drawn at random for a supervisor to check, and what they found."""

    Outcome = QualityOutcome

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="quality_check"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    queued_at = models.DateTimeField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    notes = models.TextField(blank=True)

    referral_path = "assessment__referral"

    class Meta:
        ordering = ["queued_at", "id"]

    def __str__(self) -> str:
        return f"check of {self.assessment_id}: {self.outcome or 'waiting'}"


class RegradeDue(models.Model):
    """The re-grade index: for each open referral, the next day its answers can change with
    nothing newly recorded (someone on it reaches an age the policy asks about), and the policy
    that day was worked out under. The daily re-grade takes only the referrals due by its day
    (and any graded under another policy); ``due_on`` is empty when no such day lies ahead.
    Written with every assessment; a closed referral has none."""

    referral = models.OneToOneField(
        "referrals.Referral", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    # Empty for a referral put in the index by the migration that made it (due at once).
    policy = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["due_on"], name="regrade_due_on"),
            models.Index(fields=["policy"], name="regrade_due_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id}: due {self.due_on or 'never'}"

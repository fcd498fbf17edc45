"""The vocabularies of grading."""

from django.db import models


class Grade(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


class OverrideStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a supervisor"
    APPLIED = "applied", "Applied (raises the grade)"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    SUPERSEDED = "superseded", "Superseded by a re-grade"


class QualityOutcome(models.TextChoices):
    AGREE = "agree", "Agree with the grade"
    DISAGREE = "disagree", "Disagree with the grade"

"""The vocabularies of grading."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


class OverrideStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a supervisor")
    APPLIED = "applied", _("Applied (raises the grade)")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    SUPERSEDED = "superseded", _("Superseded by a re-grade")


class QualityOutcome(models.TextChoices):
    AGREE = "agree", _("Agree with the grade")
    DISAGREE = "disagree", _("Disagree with the grade")

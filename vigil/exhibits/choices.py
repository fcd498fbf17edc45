from django.db import models


class ExhibitKind(models.TextChoices):
    """What was seized or produced."""

    PHONE = "phone", "Phone"
    COMPUTER = "computer", "Computer"
    STORAGE = "storage", "Storage (drive, card, stick)"
    CLOUD = "cloud", "Cloud account"
    OTHER = "other", "Other device"


class ExaminationPath(models.TextChoices):
    """Where the exhibit is on its way through examination."""

    WAITING = "waiting", "Waiting"
    TRIAGE = "triage", "Triage"
    FULL_EXAMINATION = "full_examination", "Full examination"
    RETURNED = "returned", "Returned"
    DESTROYED = "destroyed", "Destroyed"


class HashSetFormat(models.TextChoices):
    VICS = "vics", "Project VIC / CAID VICS JSON"
    CSV = "csv", "CSV (md5,sha1,pdq,category)"

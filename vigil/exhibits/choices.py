from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExhibitKind(models.TextChoices):
    """What was seized or produced."""

    PHONE = "phone", _("Phone")
    COMPUTER = "computer", _("Computer")
    STORAGE = "storage", _("Storage (drive, card, stick)")
    CLOUD = "cloud", _("Cloud account")
    OTHER = "other", _("Other device")


class ExaminationPath(models.TextChoices):
    """Where the exhibit is on its way through examination."""

    WAITING = "waiting", _("Waiting")
    TRIAGE = "triage", _("Triage")
    FULL_EXAMINATION = "full_examination", _("Full examination")
    RETURNED = "returned", pgettext_lazy("exhibit", "Returned")
    DESTROYED = "destroyed", _("Destroyed")


class HashSetFormat(models.TextChoices):
    VICS = "vics", _("Project VIC / CAID VICS JSON")
    CSV = "csv", _("CSV (md5,sha1,pdq,category)")

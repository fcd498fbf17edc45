"""The vocabularies of safeguarding."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShareMethod(models.TextChoices):
    PHONE = "phone", _("Telephone")
    SECURE_EMAIL = "secure_email", _("Secure e-mail")
    PORTAL = "portal", _("Multi-agency referral portal")
    MASH = "mash", _("Multi-agency safeguarding hub (MASH)")
    IN_PERSON = "in_person", _("In person")

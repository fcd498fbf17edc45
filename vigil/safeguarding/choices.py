"""The vocabularies of safeguarding."""

from django.db import models


class ShareMethod(models.TextChoices):
    PHONE = "phone", "Telephone"
    SECURE_EMAIL = "secure_email", "Secure e-mail"
    PORTAL = "portal", "Multi-agency referral portal"
    MASH = "mash", "Multi-agency safeguarding hub (MASH)"
    IN_PERSON = "in_person", "In person"

"""Forces and the people who use Vigil."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from vigil.core.roles import Role


class Force(models.Model):
    """A police force (or regional unit) that owns referrals."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=100, blank=True, db_index=True)
    # Whom another force contacts about a child this force holds information on (its referral
    # unit or single point of contact: a phone number or a shared mailbox). A release check
    # names it, and nothing else of the referral.
    contact = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class User(AbstractUser):
    """A person who signs in to Vigil: one role, in one force (oversight users in a region)."""

    role = models.CharField(max_length=32, choices=Role.choices)
    force = models.ForeignKey(
        Force, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    region = models.CharField(
        max_length=100, blank=True, help_text="For regional oversight users, who have no force."
    )
    team = models.CharField(max_length=100, blank=True)
    # One e-mail a day listing their notifications, instead of one e-mail each as it happens
    # (the app shows each at once either way; escalations to supervisors and above never wait).
    email_digest = models.BooleanField(default=False)
    # The language they chose for pages and e-mails (``settings.LANGUAGES``); blank until they
    # choose, when their browser's Accept-Language decides pages and English is used for e-mail.
    language = models.CharField(max_length=8, blank=True, default="", choices=settings.LANGUAGES)
    # The identity provider's subject (``sub``) for a person who signs in by single sign-on;
    # blank for people who only sign in with a password.
    sso_subject = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sso_subject"],
                condition=~models.Q(sso_subject=""),
                name="user_sso_subject_unique",
            ),
            models.CheckConstraint(
                name="user_belongs_to_force_or_region",
                condition=models.Q(force__isnull=False) | ~models.Q(region=""),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A key a user's scripts present to the API. Only its hash is stored; it can be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the key, so a user can tell their tokens apart.
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} / {self.name} ({self.prefix}…)"

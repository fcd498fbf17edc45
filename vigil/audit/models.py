"""The audit trail: an append-only, hash-chained record of every change and every look."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing that happened, who did it, from where, and what it changed.

    ``hash`` covers this event's content and the previous event's hash, so altering or removing
    any past event breaks every link after it.
    """

    at = models.DateTimeField(db_index=True)
    # Users are deactivated, never deleted, while the trail names them (and the database would
    # refuse to blank the name on an event anyway).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    # A copy of the name, kept if the account is ever removed.
    actor_name = models.CharField(max_length=150)
    # One of AuditAction's values; kept free of choices so the list can grow without a migration.
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    force_code = models.CharField(max_length=16, blank=True)
    # The referral the event concerns, whatever its object, so an auditor can see everything
    # that happened to one referral.
    referral_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    source_address = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor_name", "at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def get_action_display(self) -> str:
        from .choices import AuditAction

        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action


class AuditChainHead(models.Model):
    """A single row holding the newest hash; locking it serialises appends to the chain."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} events, last {self.last_hash[:12]}"

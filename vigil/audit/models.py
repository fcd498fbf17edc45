"""The audit trail: an append-only, hash-chained record of every change and every look."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing that happened, who did it, from where, and what it changed.

    An event is recorded unsealed and sealed shortly after (``services.seal_pending``): its
    ``hash`` then covers its content and the hash of the event before it in the chain, so
    altering or removing any sealed event breaks every link after it.
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
    # The version the referral reached through the change recorded here, so a refused stale
    # change can say which change came in between.
    referral_version = models.PositiveIntegerField(null=True, blank=True)
    # The seal: NULL until the sealer chains the event (NULLs never collide on the unique hash,
    # where empty strings would), then written once and never again: the database refuses any
    # other change.
    previous_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The place in the chain, which is the order of sealing: an event whose transaction commits
    # late is sealed after events with higher ids.
    chain_position = models.BigIntegerField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor_name", "at"], name="audit_actor"),
            # Holds only the events awaiting their seal, so each minute's seal finds them
            # without reading past the millions already sealed.
            models.Index(
                fields=["id"], condition=models.Q(hash__isnull=True), name="audit_awaiting_seal"
            ),
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
    """A single row holding the end of the sealed chain. Only sealers lock it, one at a time;
    recording an event never touches it."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)
    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} events sealed, last {self.last_hash[:12]}"

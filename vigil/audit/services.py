"""Writing and checking the audit trail.

Services call ``record`` inside the same transaction as the change it describes, so a change
and its audit event are stored together or not at all.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from vigil.core.actors import is_system
from vigil.core.permissions import require
from vigil.core.roles import Action

from .choices import AuditAction
from .context import current_origin
from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
# A referral's own events name it by its model: "intake.referral" before the referral moved to
# its own app, "referrals.referral" since.
REFERRAL_TYPES = {"intake.referral", "referrals.referral"}

_HASHED_FIELDS = (
    "at",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "force_code",
    "referral_id",
    "request_id",
    "source_address",
    "channel",
    "before",
    "after",
    "detail",
    "previous_hash",
)


def _plain(value):
    """JSON-safe copy, so what is hashed is exactly what the database gives back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))


def event_hash(fields: dict) -> str:
    material = {name: fields[name] for name in _HASHED_FIELDS}
    material["at"] = fields["at"].astimezone(UTC).isoformat()
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _actor_fields(actor) -> tuple[object | None, str]:
    if actor is None or is_system(actor):
        return None, str(actor or "anonymous")
    if not getattr(actor, "is_authenticated", False):
        return None, "anonymous"
    return actor, actor.get_username()


def record(
    actor,
    action: str,
    obj=None,
    *,
    at: datetime | None = None,
    before: dict | None = None,
    after: dict | None = None,
    force_code: str = "",
    detail: str = "",
    object_type: str = "",
    object_id: str = "",
    referral_id: int | None = None,
    referral_version: int | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    if action not in AuditAction.values:
        raise ValueError(f"{action!r} is not an audit action")
    user, name = _actor_fields(actor)
    where = current_origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if referral_id is None:
        if object_type in REFERRAL_TYPES and object_id.isdigit():
            referral_id = int(object_id)
        elif isinstance(after, dict) and isinstance(after.get("referral"), int):
            referral_id = after["referral"]
    fields = {
        "at": at or timezone.now(),
        "actor_name": name[:150],
        "action": str(action),
        "object_type": object_type,
        "object_id": object_id,
        "force_code": force_code,
        "referral_id": referral_id,
        "request_id": where.request_id,
        "source_address": where.source_address,
        "channel": where.channel,
        "before": _plain(before),
        "after": _plain(after),
        "detail": detail[:500],
    }
    # Inside the caller's transaction no savepoint is needed: if the event fails, so does the
    # change it records.
    with transaction.atomic(savepoint=False):
        head = _chain_head()
        fields["previous_hash"] = head.last_hash
        fields["hash"] = event_hash(fields)
        event = AuditEvent.objects.create(actor=user, **fields)
        head.last_hash = event.hash
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
    return event


class AuditChainBroken(RuntimeError):
    """The trail's head is missing while events exist: someone has tampered with it."""


def _chain_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    if AuditEvent.objects.exists():
        raise AuditChainBroken("the audit trail's head record is missing; run `vigil audit verify`")
    # A new, empty trail (a fresh or flushed database).
    return AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH, count=0)


def record_refusal(actor, action: str, detail: str = "") -> AuditEvent:
    return record(
        actor,
        AuditAction.PERMISSION_REFUSED,
        object_type="permission",
        object_id=str(action),
        detail=detail,
    )


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    events_checked: int
    broken_event_id: int | None = None
    problem: str = ""


def verify_chain() -> ChainCheck:
    """Recompute every link; name the first event whose content or link does not hold."""
    previous = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        fields = {name: getattr(event, name) for name in _HASHED_FIELDS}
        if event.previous_hash != previous:
            return ChainCheck(
                False, checked, event.id, "its link to the event before it does not match"
            )
        if event_hash(fields) != event.hash:
            return ChainCheck(False, checked, event.id, "its content has been altered")
        previous = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if checked:
            return ChainCheck(False, checked, None, "the trail's head record has been removed")
        return ChainCheck(True, 0)
    if head.count != checked or head.last_hash != previous:
        return ChainCheck(
            False, checked, None, "events have been removed from the end of the trail"
        )
    return ChainCheck(True, checked)


def referral_ids(id_or_reference: str) -> list[int]:
    """The referrals an id or source reference names, read from the trail itself (every
    referral's import event holds its reference), so the trail answers for referrals whose
    records have since changed or gone."""
    text = id_or_reference.strip()
    ids = list(
        AuditEvent.objects.filter(
            action=AuditAction.REFERRAL_IMPORTED, after__source_reference=text
        ).values_list("referral_id", flat=True)
    )
    if text.isdigit():
        ids.append(int(text))
    return ids


def search(
    actor,
    *,
    referral: str = "",
    username: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
):
    """The auditor's search: who looked at this referral, what did this user look at or do.

    The search itself goes on the trail.
    """
    require(actor, Action.AUDIT_VIEW)
    events = AuditEvent.objects.all()
    if referral:
        events = events.filter(referral_id__in=referral_ids(referral))
    if username:
        events = events.filter(actor_name=username.strip())
    if action:
        events = events.filter(action=action)
    if since:
        events = events.filter(at__gte=since)
    if until:
        events = events.filter(at__lt=until)
    total = events.count()
    found = list(events.order_by("-id")[offset : offset + limit])
    record(
        actor,
        AuditAction.AUDIT_SEARCHED,
        object_type="audit.auditevent",
        after={
            "referral": referral or None,
            "username": username,
            "action": action,
            "since": since,
            "until": until,
            "found": total,
        },
    )
    return total, found

"""Writing, sealing and checking the audit trail.

Services call ``record`` inside the same transaction as the change it describes, so a change
and its audit event are stored together or not at all. Recording takes no lock: the worker's
``seal_pending`` chains committed events in batches a moment later, and only sealers ever wait
for one another.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from vigil.core.actors import is_system
from vigil.core.permissions import require
from vigil.core.queries import where_given
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
    # Only when present, so every event hashed before the field existed still verifies.
    if fields.get("referral_version") is not None:
        material["referral_version"] = fields["referral_version"]
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _actor_fields(actor) -> tuple[object | None, str]:
    if actor is None or is_system(actor):
        return None, str(actor or "anonymous")
    if not getattr(actor, "is_authenticated", False):
        return None, "anonymous"
    return actor, actor.get_username()


def record(actor, action: str, obj=None, **details) -> AuditEvent:
    """Append one event, in the caller's transaction, to be sealed into the chain shortly
    (``event``'s arguments).

    ``referral_version`` is the version the referral reached through the change recorded.
    """
    found = event(actor, action, obj, **details)
    # A plain insert with no chain fields: nothing here is shared with any other writer, so no
    # request waits for another's audit event. The seal comes later (``seal_pending``).
    found.save(force_insert=True)
    return found


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append events made by ``event``, in their order, with one insert (an import's batch):
    the same rows ``record`` would append one at a time, sealed later in the same way."""
    return AuditEvent.objects.bulk_create(events)


def event(
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
    """The event ``record`` appends, not yet stored (its time, actor and origin as of now)."""
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
        "referral_version": referral_version,
    }
    return AuditEvent(actor=user, **fields)


class AuditChainBroken(RuntimeError):
    """The trail's head is missing while sealed events exist: someone has tampered with it."""


SEAL_BATCH = 1000


def seal_pending(limit: int = 100_000) -> int:
    """Seal up to ``limit`` committed, unsealed events into the chain; return how many.

    Oldest id first, each taking the next place in the chain: the chain's order is the order of
    sealing, so an event whose transaction commits late is simply sealed in a later batch. Each
    batch is its own transaction holding the chain head's lock, which only sealers (and
    ``verify_chain``) take: a second sealer waits, then finds only what is left. Run it outside
    any transaction, so that it sees only what has committed.
    """
    sealed = 0
    while sealed < limit:
        size = min(SEAL_BATCH, limit - sealed)
        with transaction.atomic():
            count = _seal_batch(size)
        sealed += count
        if count < size:
            break
    return sealed


def _seal_batch(size: int) -> int:
    head = _locked_chain_head()
    pending = list(AuditEvent.objects.filter(hash__isnull=True).order_by("id")[:size])
    for event in pending:
        head.last_position += 1
        event.chain_position = head.last_position
        event.previous_hash = head.last_hash
        event.hash = event_hash(_hashed_fields(event))
        head.last_hash = event.hash
    if not pending:
        return 0
    # Only the seal's three columns: the database refuses an update touching any other. One
    # statement run for every event (pipelined by psycopg) rather than ``bulk_update``, whose
    # CASE over a batch made sealing the slowest writer in the system (700 events a second).
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET previous_hash = %s, hash = %s, chain_position = %s "  # noqa: S608 - the table's own name
            "WHERE id = %s",
            [
                (event.previous_hash, event.hash, event.chain_position, event.pk)
                for event in pending
            ],
        )
    head.count += len(pending)
    head.save(update_fields=["last_hash", "count", "last_position"])
    return len(pending)


def _locked_chain_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    # A new trail (a fresh or flushed database), or a removed head. Two sealers may both get
    # here: get_or_create lets the second find the first's row once it commits, so only the
    # sealer that really created the row asks whether sealed events exist without a head.
    _, created = AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    head = AuditChainHead.objects.select_for_update().get(pk=1)
    if created and AuditEvent.objects.filter(hash__isnull=False).exists():
        raise AuditChainBroken("the audit trail's head record is missing; run `vigil audit verify`")
    return head


def _hashed_fields(event: AuditEvent) -> dict:
    return {name: getattr(event, name) for name in (*_HASHED_FIELDS, "referral_version")}


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
    # Recorded but not sealed yet: protected by the database's append-only triggers, not yet by
    # the chain. Never a break in itself.
    awaiting_seal: int = 0


def verify_chain() -> ChainCheck:
    """Walk the sealed events in chain order, recompute every link and every event's content,
    and name the first that does not hold; compare the end with the chain head.

    It holds the head's lock while it reads, so no seal lands between the walk and the head
    (recording goes on meanwhile).
    """
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        awaiting = AuditEvent.objects.filter(hash__isnull=True).count()
        previous = GENESIS_HASH
        position = 0
        checked = 0
        sealed = AuditEvent.objects.filter(hash__isnull=False).order_by(
            F("chain_position").asc(nulls_last=True)
        )
        for event in sealed.iterator(chunk_size=2000):
            if event.chain_position is None or event.previous_hash != previous:
                return ChainCheck(
                    False,
                    checked,
                    event.id,
                    "its link to the event before it does not match",
                    awaiting,
                )
            if event_hash(_hashed_fields(event)) != event.hash:
                return ChainCheck(
                    False, checked, event.id, "its content has been altered", awaiting
                )
            previous = event.hash
            position = event.chain_position
            checked += 1
    if head is None:
        if checked:
            return ChainCheck(
                False, checked, None, "the trail's head record has been removed", awaiting
            )
        return ChainCheck(True, 0, awaiting_seal=awaiting)
    if (head.count, head.last_hash, head.last_position) != (checked, previous, position):
        return ChainCheck(
            False, checked, None, "events have been removed from the end of the trail", awaiting
        )
    return ChainCheck(True, checked, awaiting_seal=awaiting)


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
    events = where_given(
        AuditEvent.objects.all(),
        referral_id__in=referral_ids(referral) if referral else None,
        actor_name=username.strip(),
        action=action,
        at__gte=since,
        at__lt=until,
    )
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

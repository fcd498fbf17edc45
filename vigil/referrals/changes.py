"""The one guarded path for every change to a referral or to anything that hangs off it.

``changing()`` checks the permission, finds the referral through the restricting query (so
another force's referral is "not found"), locks that referral's row and nothing else, refuses a
closed referral and a stale version, lets the service do its work, raises the version, brings
what follows from the referral's facts up to date (its grade, its clocks) and writes the audit
event, all in one transaction. A service that uses it gets scoping, locking and audit for free.

Parts above this one (risk, clocks) say what must follow every change through
``after_every_change``; this part does not import them.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vigil.audit.choices import AuditAction
from vigil.audit.models import AuditEvent
from vigil.audit.services import record
from vigil.core.actors import actor_name, is_system
from vigil.core.permissions import require

from .choices import ReferralStatus, TransferStatus
from .models import Referral


class Conflict(Exception):
    """Someone else changed the referral since this person opened it, or it is closed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RecordError(ValidationError):
    """Something Vigil will not record, with the reason in plain words."""


@dataclass
class Change:
    """One change in progress: the locked referral, who is changing it and what they did."""

    actor: object
    referral: Referral
    as_of: datetime
    audit_action: str
    subject: object = None
    before: dict | None = None
    after: dict = field(default_factory=dict)
    detail: str = ""
    # Set when a fact the grade reads has changed: the words the re-grade is recorded with.
    regrade: str = ""
    # Set by a service that found nothing to change (no version, no event).
    unchanged: bool = False
    # Links deconfliction made in this change, whose other referrals' holders are then told.
    links: list = field(default_factory=list)

    def describe(self, subject=None, *, before: dict | None = None, after: dict | None = None):
        """What the audit event says: the record made or touched, and what changed."""
        if subject is not None:
            self.subject = subject
        if before is not None:
            self.before = before
        if after is not None:
            self.after = after

    def facts_changed(self, trigger: str) -> None:
        self.regrade = trigger

    def recorded(self) -> dict:
        """Who recorded a record made in this change, and when (see ``models.Recorded``)."""
        return {
            "recorded_by": None if is_system(self.actor) else self.actor,
            "recorded_by_name": actor_name(self.actor),
            "recorded_at": self.as_of,
        }

    def happened_at(self, moment: datetime | None) -> datetime:
        return happened_at(self.referral, moment, self.as_of)


# What follows every change, in order (the grade before the clocks that follow from it).
_followers: list[tuple[int, Callable[[Change], None]]] = []


def after_every_change(order: int):
    """Register ``follow(change)`` to run inside every change, after the service's own work."""

    def register(follow: Callable[[Change], None]):
        if all(existing is not follow for _, existing in _followers):
            _followers.append((order, follow))
            _followers.sort(key=lambda item: item[0])
        return follow

    return register


@contextmanager
def changing(
    actor,
    referral: Referral | int,
    *,
    permission: str,
    audit: str,
    as_of: datetime,
    expected_version: int | None = None,
    on_closed: bool = False,
    answers_transfer: bool = False,
):
    """Change one referral: yields a ``Change`` whose ``referral`` is locked.

    ``expected_version`` is the version the person saw: a change made by someone else since is
    refused with what it was. ``on_closed`` is for the two changes made to a closed referral
    (reopening it, and deleting its personal data at review); every other change is refused.
    Only the force that holds a referral changes it: a force that transferred it away, or is
    offered it, sees it read-only; ``answers_transfer`` is for the one change the offered force
    makes (accepting or rejecting the transfer).
    """
    require(actor, permission)
    referral_id = referral.pk if isinstance(referral, Referral) else int(referral)
    with transaction.atomic():
        # The referral's row only (never its force), and before anything else is read or
        # written, so two changes to one referral queue in one order and never deadlock.
        locked = _locked(actor, permission, [referral_id])[0]
        _may_change(locked, actor, on_closed=on_closed, answers_transfer=answers_transfer)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                _(
                    "%(source_reference)s was changed since you opened it (%(change_since)s). "
                    "Look at it again and decide again."
                )
                % {
                    "source_reference": locked.source_reference,
                    "change_since": _change_since(locked, expected_version),
                }
            )
        change = Change(actor=actor, referral=locked, as_of=as_of, audit_action=audit)
        yield change
        _finish([change])
    if isinstance(referral, Referral):
        # The caller's copy is now stale; its version at least says so.
        referral.version = locked.version


@contextmanager
def changing_together(actor, referral_ids, *, permission: str, audit: str, as_of: datetime):
    """Change several referrals as one (joining them into one investigation, or taking one out):
    yields a ``Change`` for each, in id order.

    The same guard as ``changing`` for each referral; their rows are locked in id order, so two
    such changes (or one and a change to a single referral) never deadlock. Each changed referral
    gets its own version and audit event; what follows every change runs once all are done.
    """
    require(actor, permission)
    ids = sorted({int(referral_id) for referral_id in referral_ids})
    with transaction.atomic():
        locked = _locked(actor, permission, ids)
        for referral in locked:
            _may_change(referral, actor)
        changes = [
            Change(actor=actor, referral=referral, as_of=as_of, audit_action=audit)
            for referral in locked
        ]
        yield changes
        _finish(changes)


def could_be_referral_id(value: int) -> bool:
    """Whether a number could be a referral's id at all: the database cannot even compare one
    outside a signed 64-bit integer, so such a number is simply not found."""
    return 0 < value < 2**63


def _locked(actor, permission: str, ids: list[int]) -> list[Referral]:
    if not all(could_be_referral_id(referral_id) for referral_id in ids):
        # No referral has such an id (and the database cannot even compare it).
        raise Http404("No referral found.")
    found = list(
        Referral.objects.restrict(actor, permission)
        .select_for_update(of=("self",))
        .select_related("force")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(found) != len(ids):
        raise Http404("No referral found.")
    return found


def _may_change(
    referral: Referral, actor, *, on_closed: bool = False, answers_transfer: bool = False
) -> None:
    if not (is_system(actor) or answers_transfer or referral.force_id == actor.force_id):
        raise Conflict(_held_elsewhere(referral, actor))
    if referral.is_closed and not on_closed:
        raise Conflict(
            _("%(source_reference)s is closed; nothing more can be recorded on it")
            % {"source_reference": referral.source_reference}
        )


def _finish(changes: list[Change]) -> None:
    """Raise each changed referral's version, run what follows every change, write the audit."""
    changes = [change for change in changes if not change.unchanged]
    for change in changes:
        change.referral.version += 1
        Referral.objects.filter(pk=change.referral.pk).update(version=change.referral.version)
    for change in changes:
        for _order, follow in _followers:
            follow(change)
    for change in changes:
        locked = change.referral
        record(
            change.actor,
            change.audit_action,
            change.subject if change.subject is not None else locked,
            at=change.as_of,
            force_code=locked.force.code,
            before=change.before,
            after=change.after,
            detail=change.detail,
            referral_id=locked.pk,
            referral_version=locked.version,
        )


def _held_elsewhere(referral: Referral, actor) -> str:
    """Why a force that can see a referral may not change it, in a sentence naming it."""
    transfer = referral.transfers.filter(
        to_force_id=actor.force_id, status=TransferStatus.PENDING
    ).first()
    if transfer is not None:
        return _(
            "%(reference)s is offered to your force by %(sender)s and not yet accepted: "
            "accept the transfer before recording anything on it"
        ) % {"reference": referral.source_reference, "sender": transfer.from_force.name}
    return _(
        "%(reference)s was transferred to %(holder)s; your force's copy is read-only. "
        "Contact %(holder)s to have anything recorded on it"
    ) % {"reference": referral.source_reference, "holder": referral.force.name}


def _change_since(referral: Referral, seen: int) -> str:
    """The change that moved the referral on from the version the person saw."""
    event = (
        AuditEvent.objects.filter(referral_id=referral.pk, referral_version=seen + 1)
        .order_by("id")
        .first()
    )
    if event is None:
        event = (
            AuditEvent.objects.filter(referral_id=referral.pk)
            .exclude(action__in=[AuditAction.REFERRAL_VIEWED, AuditAction.PERSON_VIEWED])
            .order_by("-id")
            .first()
        )
    if event is None:
        return _("another change")
    return _("%(action)s by %(who)s at %(at)s") % {
        "action": event.get_action_display(),
        "who": event.actor_name,
        "at": date_format(timezone.localtime(event.at), "d M Y H:i"),
    }


def happened_at(referral: Referral, moment: datetime | None, as_of: datetime) -> datetime:
    """When the user says it happened: never in the future, never before receipt."""
    moment = moment or as_of
    if moment > as_of:
        raise RecordError(_("a thing cannot have happened in the future"))
    if moment < referral.received_at:
        raise RecordError(_("it cannot have happened before the referral was received"))
    return moment


def learned(change: Change, learned_at: datetime | None) -> datetime:
    """When Vigil learned a fact: never in the future, never before the referral arrived."""
    learned_at = learned_at or change.as_of
    if learned_at > change.as_of:
        raise RecordError(_("a fact cannot be learned in the future"))
    if learned_at < change.referral.received_at:
        raise RecordError(
            _("a fact recorded later cannot be learned before the referral was received")
        )
    return learned_at


def advance(referral: Referral, status: str, *, write: bool = True) -> bool:
    """Move the referral forward to ``status`` when what was recorded implies it (never back).

    Called inside a change, on its locked referral. Without ``write``, on the object only (the
    caller stores it: an import's new referral).
    """
    order = ReferralStatus.values
    if referral.is_closed or order.index(status) <= order.index(referral.status):
        return False
    referral.status = status
    if write:
        Referral.objects.filter(pk=referral.pk).update(status=status)
    return True

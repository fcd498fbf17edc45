"""Allocating referrals, recording what was done, and supervisors' reviews.

Each is checked, audited and moves the referral's clocks, in one transaction. The time a thing
happened is the user's to enter: never in the future, never before the referral arrived, and a
late entry keeps the breach on the record.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.accounts.actors import Actor, SystemActor, actor_name
from vigil.accounts.choices import Action as Can
from vigil.accounts.models import User
from vigil.accounts.permissions import require
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.clocks.services import sync_clocks
from vigil.intake.models import Referral
from vigil.intake.services import require_visible

from .models import Action, ActionKind, Allocation, SupervisorReview


class RecordError(ValidationError):
    """Something Vigil will not record, with the reason in plain words."""


def happened_at(referral: Referral, moment: datetime | None, as_of: datetime) -> datetime:
    """When the user says it happened: never in the future, never before receipt."""
    moment = moment or as_of
    if moment > as_of:
        raise RecordError("a thing cannot have happened in the future")
    if moment < referral.received_at:
        raise RecordError("it cannot have happened before the referral was received")
    return moment


def _recorded(actor: Actor, as_of: datetime) -> dict:
    return {
        "recorded_by": None if isinstance(actor, SystemActor) else actor,
        "recorded_by_name": actor_name(actor),
        "recorded_at": as_of,
    }


def _locked(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().select_related("force").get(pk=referral.pk)


def allocate(
    actor: Actor,
    referral: Referral,
    officer: User,
    *,
    team: str = "",
    allocated_at: datetime | None = None,
    as_of: datetime,
) -> Allocation:
    """Give the referral to an investigator of its force."""
    require(actor, Can.REFERRAL_ALLOCATE)
    require_visible(actor, referral)
    if officer.force_id != referral.force_id or not officer.is_active:
        raise RecordError("allocate to an active officer of the referral's force")
    when = happened_at(referral, allocated_at, as_of)
    with transaction.atomic():
        referral = _locked(referral)
        before = {
            "owner": referral.owner.username if referral.owner else None,
            "team": referral.team,
        }
        allocation = Allocation.objects.create(
            referral=referral,
            officer=officer,
            team=team or officer.team,
            allocated_at=when,
            **_recorded(actor, as_of),
        )
        referral.owner = officer
        referral.team = allocation.team
        referral.save(update_fields=["owner", "team"])
        record(
            actor,
            AuditAction.REFERRAL_ALLOCATED,
            referral,
            at=as_of,
            force_code=referral.force.code,
            before=before,
            after={"owner": officer.username, "team": allocation.team, "allocated_at": when},
        )
        sync_clocks(referral, as_of=as_of)
    return allocation


def allocate_many(
    actor: Actor, referrals: list[Referral], officer: User, *, team: str = "", as_of: datetime
) -> list[Allocation]:
    """Allocate several referrals from a worklist; each is its own transaction."""
    return [allocate(actor, referral, officer, team=team, as_of=as_of) for referral in referrals]


def record_action(
    actor: Actor,
    referral: Referral,
    kind: str,
    *,
    occurred_at: datetime | None = None,
    details: dict | None = None,
    notes: str = "",
    as_of: datetime,
) -> Action:
    """Record something done: an arrest, a warrant, a search, devices seized, an interview…"""
    require(actor, Can.ACTION_RECORD)
    require_visible(actor, referral)
    if kind not in ActionKind.values:
        raise RecordError(f"kind must be one of {', '.join(ActionKind.values)}")
    when = happened_at(referral, occurred_at, as_of)
    with transaction.atomic():
        referral = _locked(referral)
        action = Action.objects.create(
            referral=referral,
            kind=kind,
            occurred_at=when,
            details=details or {},
            notes=notes,
            **_recorded(actor, as_of),
        )
        record(
            actor,
            AuditAction.ACTION_RECORDED,
            action,
            at=as_of,
            force_code=referral.force.code,
            after={
                "referral": referral.pk,
                "kind": kind,
                "occurred_at": when,
                "details": details or {},
            },
        )
        sync_clocks(referral, as_of=as_of)
    return action


def record_review(
    actor: Actor,
    referral: Referral,
    *,
    reviewed_at: datetime | None = None,
    notes: str = "",
    standards_checked: list[str] | None = None,
    as_of: datetime,
) -> SupervisorReview:
    """A supervisor's review of the open referral; the next one falls due 28 days later."""
    require(actor, Can.REFERRAL_REVIEW)
    require_visible(actor, referral)
    when = happened_at(referral, reviewed_at, as_of)
    with transaction.atomic():
        referral = _locked(referral)
        review = SupervisorReview.objects.create(
            referral=referral,
            reviewed_at=when,
            notes=notes,
            standards_checked=standards_checked or [],
            **_recorded(actor, as_of),
        )
        record(
            actor,
            AuditAction.REVIEW_RECORDED,
            review,
            at=as_of,
            force_code=referral.force.code,
            after={
                "referral": referral.pk,
                "reviewed_at": when,
                "standards_checked": standards_checked or [],
            },
        )
        sync_clocks(referral, as_of=as_of)
    return review

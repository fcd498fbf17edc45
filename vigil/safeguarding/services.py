"""Recording safeguarding steps; each meets its clock and is audited."""

from datetime import datetime

from django.db import transaction

from vigil.accounts.actors import Actor
from vigil.accounts.choices import Action as Can
from vigil.accounts.permissions import require
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.clocks.services import sync_clocks
from vigil.intake.models import Referral
from vigil.intake.services import require_visible
from vigil.investigations.services import RecordError, _locked, _recorded, happened_at

from .models import LadoReferral, ShareMethod, SocialCareReferral, StrategyDiscussion


def _open(actor: Actor, referral: Referral) -> None:
    require(actor, Can.SAFEGUARDING_RECORD)
    require_visible(actor, referral)


def share_with_social_care(
    actor: Actor,
    referral: Referral,
    *,
    authority: str,
    method: str,
    what_was_shared: str,
    shared_at: datetime | None = None,
    as_of: datetime,
) -> SocialCareReferral:
    """Information shared with children's social care: to whom, how, when and what."""
    _open(actor, referral)
    if method not in ShareMethod.values:
        raise RecordError(f"method must be one of {', '.join(ShareMethod.values)}")
    if not authority.strip() or not what_was_shared.strip():
        raise RecordError("say which authority was told and what was shared")
    when = happened_at(referral, shared_at, as_of)
    with transaction.atomic():
        referral = _locked(referral)
        item = SocialCareReferral.objects.create(
            referral=referral,
            authority=authority.strip(),
            method=method,
            shared_at=when,
            what_was_shared=what_was_shared.strip(),
            **_recorded(actor, as_of),
        )
        record(
            actor,
            AuditAction.SOCIAL_CARE_SHARED,
            item,
            at=as_of,
            force_code=referral.force.code,
            after={
                "referral": referral.pk,
                "authority": item.authority,
                "method": method,
                "shared_at": when,
            },
        )
        sync_clocks(referral, as_of=as_of)
    return item


def request_strategy_discussion(
    actor: Actor, referral: Referral, *, requested_at: datetime | None = None, as_of: datetime
) -> StrategyDiscussion:
    _open(actor, referral)
    when = happened_at(referral, requested_at, as_of)
    with transaction.atomic():
        referral = _locked(referral)
        item = StrategyDiscussion.objects.create(
            referral=referral, requested_at=when, **_recorded(actor, as_of)
        )
        record(
            actor,
            AuditAction.STRATEGY_REQUESTED,
            item,
            at=as_of,
            force_code=referral.force.code,
            after={"referral": referral.pk, "requested_at": when},
        )
        sync_clocks(referral, as_of=as_of)
    return item


def refer_to_lado(
    actor: Actor,
    referral: Referral,
    *,
    authority: str,
    referred_at: datetime | None = None,
    as_of: datetime,
) -> LadoReferral:
    _open(actor, referral)
    if not authority.strip():
        raise RecordError("say which local authority's LADO was told")
    when = happened_at(referral, referred_at, as_of)
    with transaction.atomic():
        referral = _locked(referral)
        item = LadoReferral.objects.create(
            referral=referral,
            authority=authority.strip(),
            referred_at=when,
            **_recorded(actor, as_of),
        )
        record(
            actor,
            AuditAction.LADO_REFERRED,
            item,
            at=as_of,
            force_code=referral.force.code,
            after={"referral": referral.pk, "authority": item.authority, "referred_at": when},
        )
        sync_clocks(referral, as_of=as_of)
    return item

"""Recording safeguarding steps; each meets its clock and is audited."""

from datetime import datetime

from vigil.accounts.actors import Actor
from vigil.accounts.choices import Action as Can
from vigil.accounts.permissions import require
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.clocks.services import sync_clocks
from vigil.intake.models import Referral
from vigil.intake.services import changing, require_visible
from vigil.investigations.services import RecordError, _recorded, happened_at

from .models import LadoReferral, ShareMethod, SocialCareReferral, StrategyDiscussion, WelfarePlan


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
    children: list[str] | None = None,
    as_of: datetime,
) -> SocialCareReferral:
    """Information shared with children's social care: to whom, how, when and what."""
    _open(actor, referral)
    if method not in ShareMethod.values:
        raise RecordError(f"method must be one of {', '.join(ShareMethod.values)}")
    if not authority.strip() or not what_was_shared.strip():
        raise RecordError("say which authority was told and what was shared")
    when = happened_at(referral, shared_at, as_of)
    with changing(referral) as referral:
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
    with changing(referral) as referral:
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
    with changing(referral) as referral:
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


# ---------------------------------------------------------------------------------------------
# Children in view


def _norm(text: str) -> str:
    return "".join((text or "").split()).casefold()


def children_in_view(referral: Referral, *, as_of: datetime) -> list[dict]:
    """Every child connected to the suspect, with the safeguarding steps done and still due.

    Children who live with the suspect, children the suspect has access to, identified child
    victims, the children of a workplace or volunteering role (through the LADO), and the
    suspect too when the suspect is a child.
    """
    from vigil.people.models import Access, LivesWith, Person

    today = as_of.date()
    people = {
        person.pk: person
        for person in Person.objects.filter(referral=referral).prefetch_related("addresses")
    }
    suspects = [p for p in people.values() if p.role == "suspect"]
    suspect_ids = {s.pk for s in suspects}
    entries: dict[int, dict] = {}

    def add(person, relation: str):
        age = person.age_on(today)
        if age is not None and age >= 18:
            return
        entry = entries.setdefault(
            person.pk,
            {
                "ref": person.ref,
                "name": person.display_name,
                "age": age,
                "age_is_estimated": person.age_is_estimated,
                "relation": relation,
                "postcodes": sorted(
                    {_norm(a.postcode) for a in person.addresses.all() if a.postcode}
                ),
            },
        )
        return entry

    linked = set()
    for link in LivesWith.objects.filter(person__referral=referral):
        linked.update({link.person_id, link.other_id})
        for mine, other in ((link.person_id, link.other_id), (link.other_id, link.person_id)):
            if mine in suspect_ids and other not in suspect_ids:
                add(people[other], "household")
    for person in people.values():
        if person.role == "household_member" and person.pk not in linked:
            add(person, "household")
    for entry in Access.objects.filter(person_id__in=suspect_ids):
        add(people[entry.child_id], "access")
    for person in people.values():
        if person.role == "victim":
            add(person, "victim")
    children = list(entries.values())

    shared = list(referral.social_care_referrals.prefetch_related("children"))
    for child in children:
        covering = [
            item
            for item in shared
            if not item.children.all() or child["ref"] in {c.ref for c in item.children.all()}
        ]
        child["social_care_told"] = covering[0].shared_at.isoformat() if covering else None
        decided = [item for item in covering if item.decision]
        child["social_care_decision"] = decided[0].decision if decided else ""
        child["strategy_discussion"] = bool(referral.strategy_discussions.exists())
    for suspect in suspects:
        if suspect.works_with_children:
            lado = referral.lado_referrals.first()
            children.append(
                {
                    "ref": "workplace",
                    "name": f"Children at the suspect's work ({suspect.occupation})"
                    if suspect.occupation
                    else "Children at the suspect's work or volunteering",
                    "age": None,
                    "age_is_estimated": False,
                    "relation": "workplace",
                    "postcodes": [],
                    "social_care_told": None,
                    "social_care_decision": "not needed: the LADO is told" if lado else "",
                    "lado_told": lado.referred_at.isoformat() if lado else None,
                    "strategy_discussion": False,
                }
            )
        age = suspect.age_on(today)
        if age is not None and age < 18:
            plan = referral.welfare_plans.first()
            children.append(
                {
                    "ref": suspect.ref,
                    "name": f"{suspect.display_name} (the suspect)",
                    "age": age,
                    "age_is_estimated": suspect.age_is_estimated,
                    "relation": "suspect",
                    "postcodes": [],
                    "social_care_told": None,
                    "social_care_decision": "own safeguarding: welfare plan" if plan else "",
                    "welfare_plan": plan.plan if plan else "",
                    "strategy_discussion": False,
                }
            )
    return children


def record_social_care_decision(
    actor: Actor,
    item: SocialCareReferral,
    *,
    decision: str,
    decided_at: datetime | None = None,
    as_of: datetime,
) -> SocialCareReferral:
    """What children's social care decided (strategy discussion, assessment, no further action…)."""
    _open(actor, item.referral)
    if not decision.strip():
        raise RecordError("record what social care decided")
    when = happened_at(item.referral, decided_at, as_of)
    with changing(item.referral) as referral:
        item.decision = decision.strip()
        item.decision_at = when
        item.save(update_fields=["decision", "decision_at"])
        record(
            actor,
            AuditAction.SOCIAL_CARE_DECISION,
            item,
            at=as_of,
            force_code=referral.force.code,
            after={"referral": referral.pk, "decision": item.decision, "decided_at": when},
        )
    return item


def record_strategy_discussion_held(
    actor: Actor,
    item: StrategyDiscussion,
    *,
    held_at: datetime,
    attendees: list[dict],
    decisions: str,
    record_circulated_at: datetime | None = None,
    as_of: datetime,
) -> StrategyDiscussion:
    """Who attended (by agency), what was decided, and when the record went round."""
    _open(actor, item.referral)
    agencies = {str(a.get("agency", "")).strip().lower() for a in attendees}
    if not {"police", "social care"} <= agencies:
        raise RecordError("a strategy discussion has at least police and children's social care")
    when = happened_at(item.referral, held_at, as_of)
    if record_circulated_at is not None:
        happened_at(item.referral, record_circulated_at, as_of)
    with changing(item.referral) as referral:
        item.held_at = when
        item.attendees = attendees
        item.decisions = decisions.strip()
        item.record_circulated_at = record_circulated_at
        item.save()
        record(
            actor,
            AuditAction.STRATEGY_HELD,
            item,
            at=as_of,
            force_code=referral.force.code,
            after={
                "referral": referral.pk,
                "held_at": when,
                "attendees": attendees,
                "decisions": item.decisions,
            },
        )
    return item


def record_lado_outcome(
    actor: Actor, item: LadoReferral, *, outcome: str, as_of: datetime
) -> LadoReferral:
    _open(actor, item.referral)
    with changing(item.referral) as referral:
        item.outcome = outcome.strip()
        item.save(update_fields=["outcome"])
        record(
            actor,
            AuditAction.LADO_OUTCOME,
            item,
            at=as_of,
            force_code=referral.force.code,
            after={"referral": referral.pk, "outcome": item.outcome},
        )
    return item


def record_welfare_plan(
    actor: Actor,
    referral: Referral,
    *,
    reason: str,
    plan: str,
    agreed_at: datetime | None = None,
    as_of: datetime,
) -> WelfarePlan:
    """The suspect's own welfare plan, before arrest or interview."""
    _open(actor, referral)
    if not plan.strip() or not reason.strip():
        raise RecordError("record why a welfare plan is needed and what it is")
    when = happened_at(referral, agreed_at, as_of)
    with changing(referral) as referral:
        item = WelfarePlan.objects.create(
            referral=referral,
            reason=reason.strip(),
            plan=plan.strip(),
            agreed_at=when,
            **_recorded(actor, as_of),
        )
        record(
            actor,
            AuditAction.WELFARE_PLAN,
            item,
            at=as_of,
            force_code=referral.force.code,
            after={"referral": referral.pk, "reason": item.reason},
        )
    return item


def needs_welfare_plan(referral: Referral, *, as_of: datetime) -> str:
    """Why the suspect's welfare plan must come before arrest or interview ("" if it need not)."""
    from vigil.intake.choices import Flag
    from vigil.risk.services import current_assessment

    assessment = current_assessment(referral)
    if assessment and assessment.flags.get("suspect_is_child"):
        return "the suspect is a child"
    if Flag.SELF_HARM_RISK in referral.flags:
        return "the suspect is at risk of self-harm after contact with police"
    return ""


def safeguarding_detail(referral: Referral) -> dict:
    return {
        "social_care_referrals": [
            {
                "id": s.pk,
                "authority": s.authority,
                "method": s.method,
                "shared_at": s.shared_at.isoformat(),
                "what_was_shared": s.what_was_shared,
                "children": [c.ref for c in s.children.all()],
                "decision": s.decision,
                "decision_at": s.decision_at.isoformat() if s.decision_at else None,
                "recorded_by": s.recorded_by_name,
            }
            for s in referral.social_care_referrals.prefetch_related("children")
        ],
        "strategy_discussions": [
            {
                "id": d.pk,
                "requested_at": d.requested_at.isoformat(),
                "held_at": d.held_at.isoformat() if d.held_at else None,
                "attendees": d.attendees,
                "decisions": d.decisions,
                "record_circulated_at": d.record_circulated_at.isoformat()
                if d.record_circulated_at
                else None,
            }
            for d in referral.strategy_discussions.all()
        ],
        "lado_referrals": [
            {
                "id": item.pk,
                "authority": item.authority,
                "referred_at": item.referred_at.isoformat(),
                "outcome": item.outcome,
            }
            for item in referral.lado_referrals.all()
        ],
        "welfare_plans": [
            {"reason": w.reason, "plan": w.plan, "agreed_at": w.agreed_at.isoformat()}
            for w in referral.welfare_plans.all()
        ],
    }

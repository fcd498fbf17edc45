"""Safeguarding the children in view: social care, strategy discussions, the LADO and the
suspect's own welfare plan. Each is recorded through the guarded change path and meets its
clock there."""

from datetime import date, datetime
from functools import cached_property, partial

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.accounts.models import User
from vigil.audit.choices import AuditAction as Audit
from vigil.clocks.services import clock_facts
from vigil.core.roles import Action as Can
from vigil.people.models import Person
from vigil.people.services import children_for
from vigil.referrals.changes import Change, RecordError
from vigil.referrals.choices import Flag
from vigil.referrals.models import Referral
from vigil.referrals.recordings import recording
from vigil.risk.services import current_assessment

from .choices import ShareMethod
from .models import (
    LadoReferral,
    SocialCareReferral,
    StrategyAction,
    StrategyDiscussion,
    WelfarePlan,
)
from .schemas import (
    ConferenceIn,
    HeldIn,
    LadoIn,
    LadoOutcomeIn,
    SocialCareDecisionIn,
    SocialCareIn,
    StrategyActionDoneIn,
    StrategyActionIn,
    StrategyIn,
    WelfarePlanIn,
)

# A step recorded in this part, on its section of the referral page unless it says otherwise.
step = partial(recording, section="safeguarding")


@step(
    "social-care-referrals",
    Can.SAFEGUARDING_RECORD,
    Audit.SOCIAL_CARE_SHARED,
    SocialCareIn,
    gettext_lazy("Social care referral recorded."),
)
def share_with_social_care(
    change: Change,
    *,
    authority: str,
    method: str,
    what_was_shared: str,
    shared_at: datetime | None = None,
    children: list[str] = (),
) -> SocialCareReferral:
    """Information shared with children's social care: to whom, how, when and what."""
    referral = change.referral
    if method not in ShareMethod.values:
        raise RecordError(
            _("method must be one of %(values)s") % {"values": ", ".join(ShareMethod.values)}
        )
    if not authority.strip() or not what_was_shared.strip():
        raise RecordError(_("say which authority was told and what was shared"))
    about = list(Person.objects.filter(referral=referral, ref__in=children))
    unknown = set(children) - {person.ref for person in about}
    if unknown:
        raise RecordError(
            _("no one in this referral has the ref %(values)s")
            % {"values": ", ".join(sorted(unknown))}
        )
    when = change.happened_at(shared_at)
    item = SocialCareReferral.objects.create(
        referral=referral,
        authority=authority.strip(),
        method=method,
        shared_at=when,
        what_was_shared=what_was_shared.strip(),
        **change.recorded(),
    )
    item.children.set(about)
    change.describe(
        item,
        after={
            "referral": referral.pk,
            "authority": item.authority,
            "method": method,
            "shared_at": when,
            "children": sorted(children),
        },
    )
    return item


@step(
    "strategy-discussions",
    Can.SAFEGUARDING_RECORD,
    Audit.STRATEGY_REQUESTED,
    StrategyIn,
    gettext_lazy("Strategy discussion request recorded."),
)
def request_strategy_discussion(
    change: Change, *, requested_at: datetime | None = None
) -> StrategyDiscussion:
    """Record that a strategy discussion was requested"""
    when = change.happened_at(requested_at)
    item = StrategyDiscussion.objects.create(
        referral=change.referral, requested_at=when, **change.recorded()
    )
    change.describe(item, after={"referral": change.referral.pk, "requested_at": when})
    return item


@step(
    "lado-referrals",
    Can.SAFEGUARDING_RECORD,
    Audit.LADO_REFERRED,
    LadoIn,
    gettext_lazy("LADO referral recorded."),
)
def refer_to_lado(
    change: Change, *, authority: str, referred_at: datetime | None = None
) -> LadoReferral:
    """Record that the LADO was told"""
    if not authority.strip():
        raise RecordError(_("say which local authority's LADO was told"))
    when = change.happened_at(referred_at)
    item = LadoReferral.objects.create(
        referral=change.referral,
        authority=authority.strip(),
        referred_at=when,
        **change.recorded(),
    )
    change.describe(
        item,
        after={"referral": change.referral.pk, "authority": item.authority, "referred_at": when},
    )
    return item


@step(
    "social-care-decision",
    Can.SAFEGUARDING_RECORD,
    Audit.SOCIAL_CARE_DECISION,
    SocialCareDecisionIn,
    gettext_lazy("Social care's decision recorded."),
    item=SocialCareReferral,
    api_path="/social-care-referrals/{item_id}/decision",
)
def record_social_care_decision(
    change: Change,
    item: SocialCareReferral,
    *,
    decision: str,
    decided_at: datetime | None = None,
) -> SocialCareReferral:
    """What children's social care decided (strategy discussion, assessment, no further action…)."""
    if not decision.strip():
        raise RecordError(_("record what social care decided"))
    when = change.happened_at(decided_at)
    item.decision = decision.strip()
    item.decision_at = when
    item.save(update_fields=["decision", "decision_at"])
    change.describe(
        item,
        after={"referral": change.referral.pk, "decision": item.decision, "decided_at": when},
    )
    return item


def _attendees(data: dict) -> dict:
    """The page names the usual agencies one by one; the API sends a list."""
    data = dict(data)
    attendees = [dict(item) for item in data.pop("attendees", None) or []]
    for field, agency in (
        ("police", "police"),
        ("social_care", "social care"),
        ("health", "health"),
        ("others", "other"),
    ):
        name = (data.pop(field, "") or "").strip()
        if name:
            attendees.append({"agency": agency, "name": name})
    return {**data, "attendees": attendees}


@step(
    "strategy-held",
    Can.SAFEGUARDING_RECORD,
    Audit.STRATEGY_HELD,
    HeldIn,
    gettext_lazy("Strategy discussion recorded as held."),
    item=StrategyDiscussion,
    api_path="/strategy-discussions/{item_id}/held",
    arguments=_attendees,
)
def record_strategy_discussion_held(
    change: Change,
    item: StrategyDiscussion,
    *,
    held_at: datetime | None = None,
    attendees: list[dict],
    decisions: str,
    record_circulated_at: datetime | None = None,
    child_protection_conference: bool = False,
) -> StrategyDiscussion:
    """Who attended (by agency), what was decided, and when the record went round.

    A discussion that decides on an initial child protection conference puts a clock on it.
    """
    agencies = {str(a.get("agency", "")).strip().lower() for a in attendees}
    if not {"police", "social care"} <= agencies:
        raise RecordError(_("a strategy discussion has at least police and children's social care"))
    when = change.happened_at(held_at)
    # To the minute: the page takes times to the minute, and a discussion held the minute it
    # was asked for is not "before" it.
    if when < item.requested_at.replace(second=0, microsecond=0):
        raise RecordError(_("a strategy discussion cannot be held before it was requested"))
    if record_circulated_at is not None:
        change.happened_at(record_circulated_at)
    item.held_at = when
    item.attendees = attendees
    item.decisions = decisions.strip()
    item.record_circulated_at = record_circulated_at
    item.child_protection_conference = child_protection_conference
    item.save()
    change.describe(
        item,
        after={
            "referral": change.referral.pk,
            "held_at": when,
            "attendees": attendees,
            "decisions": item.decisions,
            "child_protection_conference": child_protection_conference,
        },
    )
    return item


def _held(item: StrategyDiscussion) -> datetime:
    if item.held_at is None:
        raise RecordError(_("record the strategy discussion as held first"))
    return item.held_at


@step(
    "child-protection-conference",
    Can.SAFEGUARDING_RECORD,
    Audit.CONFERENCE_HELD,
    ConferenceIn,
    gettext_lazy("Initial child protection conference recorded as held."),
    item=StrategyDiscussion,
    api_path="/strategy-discussions/{item_id}/conference",
)
def record_child_protection_conference(
    change: Change,
    item: StrategyDiscussion,
    *,
    held_at: datetime | None = None,
    outcome: str = "",
) -> StrategyDiscussion:
    """The initial child protection conference a strategy discussion decided on, held."""
    decided_at = _held(item)
    if not item.child_protection_conference:
        raise RecordError(
            _("this strategy discussion did not decide on a child protection conference")
        )
    if item.conference_held_at is not None:
        raise RecordError(_("this conference is already recorded as held"))
    when = change.happened_at(held_at)
    if when < decided_at:
        raise RecordError(_("the conference cannot be held before the strategy discussion"))
    item.conference_held_at = when
    item.conference_outcome = outcome.strip()
    item.save(update_fields=["conference_held_at", "conference_outcome"])
    change.describe(
        item,
        after={
            "referral": change.referral.pk,
            "conference_held_at": when,
            "outcome": item.conference_outcome,
        },
    )
    return item


@step(
    "strategy-actions",
    Can.SAFEGUARDING_RECORD,
    Audit.STRATEGY_ACTION_AGREED,
    StrategyActionIn,
    gettext_lazy("Agreed action recorded."),
    item=StrategyDiscussion,
    api_path="/strategy-discussions/{item_id}/actions",
    api_status=201,
)
def agree_strategy_action(
    change: Change,
    item: StrategyDiscussion,
    *,
    action: str,
    owner: str,
    due_on: date,
    owner_username: str = "",
) -> StrategyAction:
    """An action agreed at a strategy discussion, with whose it is and the date it is due on.

    Each puts its own clock on the referral, due by the end of that date (London time).
    """
    agreed_at = _held(item)
    if not action.strip() or not owner.strip():
        raise RecordError(_("say what was agreed and whose action it is"))
    user = None
    if owner_username.strip():
        user = User.objects.filter(
            username=owner_username.strip(), force_id=change.referral.force_id, is_active=True
        ).first()
        if user is None:
            raise RecordError(
                _("the owner's username must be an active user of the referral's force")
            )
    if due_on < timezone.localtime(agreed_at).date():
        raise RecordError(
            _("an action cannot be due before the strategy discussion that agreed it")
        )
    made = StrategyAction.objects.create(
        referral=change.referral,
        discussion=item,
        action=action.strip(),
        owner=owner.strip(),
        owner_user=user,
        due_on=due_on,
        **change.recorded(),
    )
    change.describe(
        made,
        after={
            "referral": change.referral.pk,
            "discussion": item.pk,
            "action": made.action,
            "owner": made.owner,
            "owner_username": user.username if user else None,
            "due_on": due_on,
        },
    )
    return made


@step(
    "strategy-action-done",
    Can.SAFEGUARDING_RECORD,
    Audit.STRATEGY_ACTION_DONE,
    StrategyActionDoneIn,
    gettext_lazy("Action recorded as done."),
    item=StrategyAction,
    api_path="/strategy-actions/{item_id}/done",
)
def record_strategy_action_done(
    change: Change, item: StrategyAction, *, done_at: datetime | None = None, note: str = ""
) -> StrategyAction:
    """An action agreed at a strategy discussion, done: this meets its clock."""
    if item.done_at is not None:
        raise RecordError(_("this action is already recorded as done"))
    when = change.happened_at(done_at)
    if when < item.discussion.held_at:
        raise RecordError(_("an action cannot be done before the strategy discussion agreed it"))
    item.done_at = when
    item.done_note = note.strip()
    item.save(update_fields=["done_at", "done_note"])
    change.describe(
        item,
        after={"referral": change.referral.pk, "done_at": when, "note": item.done_note},
    )
    return item


@step(
    "lado-outcome",
    Can.SAFEGUARDING_RECORD,
    Audit.LADO_OUTCOME,
    LadoOutcomeIn,
    gettext_lazy("The LADO's outcome recorded."),
    item=LadoReferral,
    api_path="/lado-referrals/{item_id}/outcome",
)
def record_lado_outcome(change: Change, item: LadoReferral, *, outcome: str) -> LadoReferral:
    """Record the LADO's outcome"""
    item.outcome = outcome.strip()
    item.save(update_fields=["outcome"])
    change.describe(item, after={"referral": change.referral.pk, "outcome": item.outcome})
    return item


@step(
    "welfare-plans",
    Can.SAFEGUARDING_RECORD,
    Audit.WELFARE_PLAN,
    WelfarePlanIn,
    gettext_lazy("Welfare plan recorded."),
)
def record_welfare_plan(
    change: Change, *, reason: str, plan: str, agreed_at: datetime | None = None
) -> WelfarePlan:
    """The suspect's own welfare plan, before arrest or interview."""
    if not plan.strip() or not reason.strip():
        raise RecordError(_("record why a welfare plan is needed and what it is"))
    when = change.happened_at(agreed_at)
    item = WelfarePlan.objects.create(
        referral=change.referral,
        reason=reason.strip(),
        plan=plan.strip(),
        agreed_at=when,
        **change.recorded(),
    )
    change.describe(item, after={"referral": change.referral.pk, "reason": item.reason})
    return item


RECORDINGS = [
    share_with_social_care,
    request_strategy_discussion,
    refer_to_lado,
    record_social_care_decision,
    record_strategy_discussion_held,
    record_child_protection_conference,
    agree_strategy_action,
    record_strategy_action_done,
    record_lado_outcome,
    record_welfare_plan,
]


# ---------------------------------------------------------------------------------------------
# Children in view, with the safeguarding steps taken for each


class SafeguardingRecords:
    """A referral's safeguarding records, each kind read once, when first asked for: the
    children in view and the safeguarding section of one page share them."""

    def __init__(self, referral: Referral, *, held: set[str] | None = None):
        """``held``: when the caller has asked, the referral's relations that hold any record
        (``investigation_detail``'s); one not named is not read."""
        self.referral = referral
        self.held = held

    def _holds(self, name: str) -> bool:
        return self.held is None or name in self.held

    @cached_property
    def social_care_referrals(self) -> list[SocialCareReferral]:
        if not self._holds("social_care_referrals"):
            return []
        return list(self.referral.social_care_referrals.prefetch_related("children"))

    @cached_property
    def strategy_discussions(self) -> list[StrategyDiscussion]:
        if not self._holds("strategy_discussions"):
            return []
        return list(self.referral.strategy_discussions.all())

    @cached_property
    def lado_referrals(self) -> list[LadoReferral]:
        if not self._holds("lado_referrals"):
            return []
        return list(self.referral.lado_referrals.all())

    @cached_property
    def welfare_plans(self) -> list[WelfarePlan]:
        if not self._holds("welfare_plans"):
            return []
        return list(self.referral.welfare_plans.all())


def children_in_view(
    referral: Referral,
    *,
    as_of: datetime,
    viewer=None,
    records: SafeguardingRecords | None = None,
    people: list[Person] | None = None,
) -> list[dict]:
    """Every child in view (``people.children``), with the safeguarding steps done and still
    due for each; and the children of the suspect's work, through the LADO.

    ``records``: the referral's safeguarding records, when the caller reads them too;
    ``people``: the referral's own people, when the caller has read them."""
    records = records or SafeguardingRecords(referral)
    children = children_for(referral, as_of=as_of, viewer=viewer)
    shared = [item for item in records.social_care_referrals if item.shared_at <= as_of]
    strategy = any(item.requested_at <= as_of for item in records.strategy_discussions)
    plan = next((w for w in records.welfare_plans if w.agreed_at <= as_of), None)
    for child in children:
        if child["relation"] == "suspect":
            child.update(
                social_care_told=None,
                social_care_decision="own safeguarding: welfare plan" if plan else "",
                welfare_plan=plan.plan if plan else "",
                strategy_discussion=False,
            )
            continue
        covering = [
            item
            for item in shared
            if not item.children.all() or child["ref"] in {c.ref for c in item.children.all()}
        ]
        decided = [item for item in covering if item.decision]
        child.update(
            social_care_told=covering[0].shared_at.isoformat() if covering else None,
            social_care_decision=decided[0].decision if decided else "",
            strategy_discussion=strategy,
        )
    working = (
        referral.people.filter(role="suspect", works_with_children=True)
        if people is None
        else [p for p in people if p.role == "suspect" and p.works_with_children is True]
    )
    for suspect in working:
        lado = next((i for i in records.lado_referrals if i.referred_at <= as_of), None)
        children.append(
            {
                "ref": "workplace",
                "name": f"Children at the suspect's work ({suspect.occupation})"
                if suspect.occupation
                else "Children at the suspect's work or volunteering",
                "age": None,
                "age_is_estimated": False,
                "relation": "workplace",
                "access_kind": "",
                "known_from": "",
                "source": suspect.source,
                "learned_at": suspect.learned_at.isoformat() if suspect.learned_at else None,
                "postcodes": [],
                "from_referral_id": None,
                "person_id": None,
                "social_care_told": None,
                "social_care_decision": "not needed: the LADO is told" if lado else "",
                "lado_told": lado.referred_at.isoformat() if lado else None,
                "strategy_discussion": False,
            }
        )
    return children


def needs_welfare_plan(referral: Referral) -> str:
    """Why the suspect's welfare plan must come before arrest or interview ("" if it need not)."""
    assessment = current_assessment(referral)
    if assessment and assessment.flags.get("suspect_is_child"):
        return _("the suspect is a child")
    if Flag.SELF_HARM_RISK in referral.flags:
        return _("the suspect is at risk of self-harm after contact with police")
    return ""


@clock_facts
def safeguarding_clock_facts(referral: Referral) -> dict:
    """What meets the safeguarding clocks."""
    shared = sorted(referral.social_care_referrals.values_list("shared_at", flat=True))
    return {
        "social_care_at": shared[0] if shared else None,
        "strategy_requested_at": referral.strategy_discussions.order_by("requested_at")
        .values_list("requested_at", flat=True)
        .first(),
        "lado_at": referral.lado_referrals.order_by("referred_at")
        .values_list("referred_at", flat=True)
        .first(),
        "social_care_times": tuple(shared),
        "conferences": tuple(
            referral.strategy_discussions.filter(
                child_protection_conference=True, held_at__isnull=False
            ).values_list("pk", "held_at", "conference_held_at")
        ),
        "strategy_actions": tuple(
            (
                item.pk,
                item.discussion.held_at,
                item.due_on,
                item.done_at,
                _about(item),
                # Theirs while they are of the force that holds the referral (not after a
                # transfer).
                item.owner_user_id
                if item.owner_user and item.owner_user.force_id == referral.force_id
                else None,
            )
            for item in referral.strategy_actions.select_related("discussion", "owner_user")
        ),
    }


def _about(item: StrategyAction) -> str:
    """What a strategy action's clock is about: whose it is and the action."""
    said = f"by {item.owner}: {' '.join(item.action.split())}"
    return said if len(said) <= 210 else said[:209] + "…"


def safeguarding_detail(referral: Referral, *, records: SafeguardingRecords | None = None) -> dict:
    records = records or SafeguardingRecords(referral)
    prefetch_related_objects(
        records.strategy_discussions,
        Prefetch("actions", queryset=StrategyAction.objects.select_related("owner_user")),
    )
    return {
        "social_care_referrals": [
            {
                "id": s.pk,
                "authority": s.authority,
                "method": s.method,
                "method_text": s.get_method_display(),
                "shared_at": s.shared_at.isoformat(),
                "what_was_shared": s.what_was_shared,
                "children": [c.ref for c in s.children.all()],
                "decision": s.decision,
                "decision_at": s.decision_at.isoformat() if s.decision_at else None,
                "recorded_by": s.recorded_by_name,
            }
            for s in records.social_care_referrals
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
                "child_protection_conference": d.child_protection_conference,
                "conference_held_at": d.conference_held_at.isoformat()
                if d.conference_held_at
                else None,
                "conference_outcome": d.conference_outcome,
                "actions": [
                    {
                        "id": a.pk,
                        "action": a.action,
                        "owner": a.owner,
                        "owner_username": a.owner_user.username if a.owner_user else None,
                        "due_on": a.due_on.isoformat(),
                        "done_at": a.done_at.isoformat() if a.done_at else None,
                        "done_note": a.done_note,
                        "recorded_by": a.recorded_by_name,
                    }
                    for a in d.actions.all()
                ],
            }
            for d in records.strategy_discussions
        ],
        "lado_referrals": [
            {
                "id": item.pk,
                "authority": item.authority,
                "referred_at": item.referred_at.isoformat(),
                "outcome": item.outcome,
            }
            for item in records.lado_referrals
        ],
        "welfare_plans": [
            {"reason": w.reason, "plan": w.plan, "agreed_at": w.agreed_at.isoformat()}
            for w in records.welfare_plans
        ],
    }

"""Review and deletion of personal data, MoPI-style: each closed referral has a review date
from the policy; at review a person may approve deleting its personal data.

What stays: the referral's identity, force, dates, grade, clocks and outcome code, so the
unit's figures stay true; and the audit trail, with a record that the deletion happened.
"""

from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vigil.accounts.actors import Actor
from vigil.audit.choices import AuditAction
from vigil.core.actors import actor_name
from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.referrals.changes import RecordError, changing
from vigil.referrals.choices import ReferralStatus
from vigil.referrals.models import Referral
from vigil.risk.services import active_policy


def retention_group(outcome_code: str) -> dict:
    table = active_policy().retention
    for group in table.get("groups", []):
        if outcome_code in group.get("outcomes", []):
            return group
    return {
        "name": "Default",
        "text": "not listed in a group",
        "review_years": table.get("default_review_years", 10),
    }


def review_date(closed_at: datetime, outcome_code: str) -> datetime:
    return closed_at + relativedelta(years=int(retention_group(outcome_code)["review_years"]))


def report(actor: Actor, *, as_of: datetime) -> list[dict]:
    """Closed referrals past their review date whose personal data is still held."""
    require(actor, Action.RETENTION_DELETE)
    due = (
        Referral.objects.restrict(actor, Action.RETENTION_DELETE)
        .filter(
            status=ReferralStatus.CLOSED,
            review_at__lte=as_of,
            personal_data_deleted_at__isnull=True,
        )
        .select_related("force", "outcome")
        .order_by("review_at")
    )
    rows = []
    for referral in due:
        outcome = getattr(referral, "outcome", None)
        code = outcome.code if outcome else ""
        group = retention_group(code)
        rows.append(
            {
                "referral_id": referral.pk,
                "source_reference": referral.source_reference,
                "force": referral.force.code,
                "closed_at": outcome.closed_at.isoformat() if outcome else None,
                "outcome": code,
                "group": group["name"],
                "review_at": referral.review_at.isoformat(),
            }
        )
    return rows


def delete_personal_data(actor: Actor, referral: Referral, *, reason: str, as_of: datetime):
    """Remove the referral's personal data, once its review date has come and a person with
    the authority approves; keep its figures and an audit record that it happened.

    One of the two changes made to a closed referral (the other is reopening it)."""
    with changing(
        actor,
        referral,
        permission=Action.RETENTION_DELETE,
        audit=AuditAction.PERSONAL_DATA_DELETED,
        as_of=as_of,
        on_closed=True,
    ) as change:
        locked = change.referral
        if locked.status != ReferralStatus.CLOSED or locked.review_at is None:
            raise RecordError(
                _("only a closed referral at its review date can have its data deleted")
            )
        if locked.review_at > as_of:
            raise RecordError(
                _("its review date is %(review_at)s; not yet")
                % {"review_at": date_format(locked.review_at, "j F Y")}
            )
        if locked.personal_data_deleted_at:
            raise RecordError(_("its personal data has already been deleted"))
        if len(reason.strip()) < 10:
            raise RecordError(_("record why the data can go (the review's finding)"))
        counts = _erase(locked)
        locked.personal_data_deleted_at = as_of
        locked.save()
        change.describe(
            after={"approved_by": actor_name(actor), "reason": reason.strip(), **counts}
        )
    return locked


def _erase(referral: Referral) -> dict:
    counts = {
        "people": referral.people.count(),
        "documents": referral.documents.count(),
    }
    referral.people.all().delete()  # with identifiers, addresses, history, households, links
    referral.documents.all().delete()
    referral.material.update(file_name="", file_id="", details={}, photodna="")
    referral.summary = ""
    referral.incident_details = []
    referral.source_details = {}
    referral.unmapped = []
    referral.fact_sources = {}
    referral.escalation_reason = ""
    referral.assessments.update(answers={}, reasons=[], sentence="", missing=[])
    referral.overrides.update(reason="(deleted at review)", decision_reason="")
    referral.social_care_referrals.update(what_was_shared="", decision="")
    referral.strategy_discussions.update(attendees=[], decisions="")
    referral.lado_referrals.update(outcome="")
    referral.welfare_plans.update(reason="", plan="")
    referral.releases.update(
        address="",
        postcode="",
        conditions="",
        children_at_address=[],
        household_children=[],
        held_elsewhere=[],
        supervisor_decision="",
        safeguarding_plan="",
        accepted_risk="",
    )
    referral.actions.update(details={}, notes="")
    referral.reviews.update(notes="")
    referral.transfers.update(reason="(deleted at review)")
    referral.standard_checks.update(note="")
    if hasattr(referral, "outcome"):
        referral.outcome.rationale = "(deleted at review)"
        referral.outcome.outstanding_safeguarding_reason = ""
        referral.outcome.save()
    return counts

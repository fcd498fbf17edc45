"""Finding referrals, opening them, and what is recorded about the referral itself.

Every read goes through ``Referral.objects.restrict()``; every change through ``changing()``
(usually by way of a ``recording``).
"""

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.accounts.models import User
from vigil.audit.choices import AuditAction as Audit
from vigil.audit.services import record
from vigil.core.actors import is_system
from vigil.core.permissions import require
from vigil.core.queries import where_given
from vigil.core.roles import Action

from .changes import Change, RecordError, learned
from .choices import Flag, Indicator
from .models import NamedAccess, Possession, Referral
from .recordings import recording
from .schemas import IndicatorIn, RestrictionIn


def referrals_for(
    actor,
    *,
    force: str = "",
    source: str = "",
    status: str = "",
    action: str = Action.REFERRAL_VIEW,
):
    """The referrals this actor may see (and take ``action`` on), filtered; the door to every
    list."""
    require(actor, action)
    referrals = Referral.objects.restrict(actor, action).select_related("force")
    return where_given(referrals, force__code=force, source=source, status=status)


def find_referral(actor, id_or_reference: str | int, action: str = Action.REFERRAL_VIEW):
    """One referral by id or source reference, if this actor may see it; else Http404."""
    require(actor, action)
    visible = Referral.objects.restrict(actor, action).select_related("force", "owner")
    text = str(id_or_reference).strip()
    referral = None
    if text.isdigit():
        referral = visible.filter(pk=int(text)).first()
    if referral is None:
        matches = list(visible.filter(source_reference=text)[:2])
        if len(matches) > 1:
            raise Http404(f"more than one source holds reference {text!r}; give the id")
        referral = matches[0] if matches else None
    if referral is None:
        raise Http404("No referral found.")
    return referral


def open_referral(actor, id_or_reference: str | int, *, as_of: datetime) -> Referral:
    """A referral for reading in full: checks permission and scope, and records the look."""
    require(actor, Action.REFERRAL_VIEW)
    referral = find_referral(actor, id_or_reference)
    record(actor, Audit.REFERRAL_VIEWED, referral, at=as_of, force_code=referral.force.code)
    return referral


@recording(
    "restriction",
    Action.REFERRAL_RESTRICT,
    Audit.REFERRAL_RESTRICTED,
    RestrictionIn,
    gettext_lazy("Who may see the referral is saved."),
    section="case",
)
def restrict_referral(
    change: Change, *, restricted: bool = True, usernames: list[str] = ()
) -> Referral:
    """Restrict a referral to named people (the restricting person is always named), or lift
    the restriction. Everyone else in the force then finds nothing, as if it did not exist."""
    referral = change.referral
    usernames = sorted({name.strip() for name in usernames if name.strip()})
    users = list(
        User.objects.filter(username__in=usernames, is_active=True, force_id=referral.force_id)
    )
    missing = set(usernames) - {user.username for user in users}
    if missing:
        raise RecordError(
            _("no active user of %(force_code)s called %(values)s")
            % {"force_code": referral.force.code, "values": ", ".join(sorted(missing))}
        )
    if restricted and not is_system(change.actor) and change.actor not in users:
        users.append(change.actor)
    if restricted and not users:
        raise RecordError(_("name at least one person who may see the referral"))
    before = {
        "restricted": referral.is_restricted,
        "named": sorted(referral.named_people.values_list("user__username", flat=True)),
    }
    referral.is_restricted = restricted
    flags = set(referral.flags) - {Flag.RESTRICTED}
    referral.flags = sorted(flags | ({Flag.RESTRICTED} if restricted else set()))
    referral.save(update_fields=["is_restricted", "flags"])
    if not restricted:
        users = []
    referral.named_people.exclude(user__in=users).delete()
    for user in users:
        NamedAccess.objects.get_or_create(
            referral=referral,
            user=user,
            defaults={"granted_by_name": str(change.actor), "granted_at": change.as_of},
        )
    change.describe(
        before=before,
        after={"restricted": restricted, "named": sorted(user.username for user in users)},
    )
    return referral


@recording(
    "indicators",
    Action.FACTS_RECORD,
    Audit.FACT_RECORDED,
    IndicatorIn,
    gettext_lazy("Indicator recorded; the referral has been re-graded."),
    section="facts",
)
def add_indicator(
    change: Change, indicator: str, *, source: str, learned_at: datetime | None = None
) -> Referral:
    """Record behaviour found after receipt and re-grade."""
    if indicator not in Indicator.values:
        raise RecordError(
            _("indicator must be one of %(values)s") % {"values": ", ".join(Indicator.values)}
        )
    referral = change.referral
    learned_at = learned(change, learned_at)
    if indicator not in referral.indicators:
        referral.indicators = [*referral.indicators, indicator]
        referral.fact_sources = {
            **referral.fact_sources,
            f"indicator:{indicator}": {"source": source, "at": learned_at.isoformat()},
        }
        referral.save(update_fields=["indicators", "fact_sources"])
    change.facts_changed("indicator recorded")
    change.describe(
        after={
            "fact": "indicator recorded",
            "indicator": indicator,
            "source": source,
            "learned_at": learned_at,
        }
    )
    return referral


POSSESSION_CATEGORIES = ("A", "B", "C", "other")


def set_possession(
    change: Change, found_by: str, counts: dict[str, int], *, source: str, learned_at: datetime
) -> bool:
    """What one place (``found_by``, e.g. ``exhibit:12``) found in the suspect's possession, by
    category, replacing what the same place found before: called inside a change to the
    referral by the part that found it. Marks the referral for re-grading when the counts
    differ from before; returns whether they did."""
    wanted = {
        category: int(counts.get(category) or 0)
        for category in POSSESSION_CATEGORIES
        if counts.get(category)
    }
    held = Possession.objects.filter(referral=change.referral, found_by=found_by)
    before = {row.category: row.count for row in held}
    # The source and date always follow the latest finding, even when the counts are the same.
    held.delete()
    Possession.objects.bulk_create(
        Possession(
            referral=change.referral,
            found_by=found_by,
            category=category,
            count=count,
            source=source[:300],
            learned_at=learned_at,
        )
        for category, count in wanted.items()
    )
    if before != wanted:
        change.facts_changed(f"possession found ({source})")
        return True
    return False


RECORDINGS = [restrict_referral, add_indicator]

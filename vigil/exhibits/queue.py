"""The device queue: exhibits waiting for examination, each on its clock, and their moves along
the examination path.

Each exhibit carries a ``device_triage`` clock (the policy's ``[clocks.device_triage]``, due by
the referral's grade) from when it was seized, or recorded if that is not known, until it leaves
the queue: its examination starts (triage or full examination: the clock is met) or it is
returned or destroyed unexamined (the clock ends, cancelled, any breach kept). Moves go through
the guarded path and are audited (``exhibit.moved``); the queue is read through ``restrict``.
"""

from datetime import datetime
from functools import partial

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.audit.choices import AuditAction as Audit
from vigil.clocks.models import Clock, ClockKind
from vigil.clocks.services import clock_facts, clock_tables, clock_view
from vigil.core.permissions import require
from vigil.core.roles import Action as Can
from vigil.referrals.changes import Change, RecordError
from vigil.referrals.choices import ReferralStatus
from vigil.referrals.models import Referral
from vigil.referrals.recordings import recording

from .choices import ExaminationPath, ExhibitKind
from .models import Exhibit
from .schemas import ExhibitIn, ExhibitMoveIn
from .services import new_exhibit

# The choices, for the page's lists and the command's help.
KINDS = ExhibitKind.choices
PATHS = ExaminationPath.choices

# Where an exhibit may go from each place on its path. Returned and destroyed are the end.
MOVES: dict[str, tuple[str, ...]] = {
    ExaminationPath.WAITING: (
        ExaminationPath.TRIAGE,
        ExaminationPath.FULL_EXAMINATION,
        ExaminationPath.RETURNED,
        ExaminationPath.DESTROYED,
    ),
    ExaminationPath.TRIAGE: (
        ExaminationPath.FULL_EXAMINATION,
        ExaminationPath.RETURNED,
        ExaminationPath.DESTROYED,
    ),
    ExaminationPath.FULL_EXAMINATION: (ExaminationPath.RETURNED, ExaminationPath.DESTROYED),
    ExaminationPath.RETURNED: (),
    ExaminationPath.DESTROYED: (),
}

DAY_SECONDS = 86_400

step = partial(recording, section="exhibits")


@step(
    "exhibits",
    Can.EXHIBIT_RECORD,
    Audit.EXHIBIT_ADDED,
    ExhibitIn,
    gettext_lazy("Exhibit recorded."),
)
def record_exhibit(
    change: Change,
    *,
    reference: str,
    kind: str,
    seized_at: datetime | None = None,
    seized_where: str = "",
    held_by: str = "",
) -> Exhibit:
    """A device seized or produced in the referral: its exhibit reference, kind, when and where
    it was seized and who holds it. It joins the device queue, on its clock."""
    return new_exhibit(
        change,
        reference,
        kind=kind,
        seized_at=seized_at,
        seized_where=seized_where,
        held_by=held_by,
    )


@step(
    "exhibit-moves",
    Can.EXHIBIT_RECORD,
    Audit.EXHIBIT_MOVED,
    ExhibitMoveIn,
    gettext_lazy("Exhibit moved."),
    item=Exhibit,
    api_path="/exhibits/{item_id}/moves",
)
def move_exhibit(
    change: Change, exhibit: Exhibit, *, to: str, moved_at: datetime | None = None
) -> Exhibit:
    """Move an exhibit along its examination path: waiting, triage, full examination, then
    returned or destroyed. A move out of waiting takes it off the device queue."""
    here = exhibit.path
    if to not in MOVES:
        raise RecordError(
            _("%(to)r is not a place on the examination path (%(places)s).")
            % {"to": to, "places": ", ".join(MOVES)}
        )
    if to not in MOVES[here]:
        words = {
            "reference": exhibit.reference,
            "here": ExaminationPath(here).label.lower(),
            "to": ExaminationPath(to).label.lower(),
            "onward": ", ".join(MOVES[here]),
        }
        if MOVES[here]:
            message = _(
                "Exhibit %(reference)s is %(here)s: it cannot move to %(to)s (from here it can "
                "move to %(onward)s)."
            )
        else:
            message = _(
                "Exhibit %(reference)s is %(here)s: it cannot move to %(to)s (from here it can "
                "move nowhere: it is the end of the path)."
            )
        raise RecordError(message % words)
    moment = change.happened_at(moved_at)
    if moment < exhibit.queued_since:
        raise RecordError(
            _("Exhibit %(reference)s cannot move before it was seized or recorded.")
            % {"reference": exhibit.reference}
        )
    if exhibit.left_queue_at is not None and moment < exhibit.left_queue_at:
        raise RecordError(
            _("Exhibit %(reference)s cannot move before it left the queue (%(left)s).")
            % {"reference": exhibit.reference, "left": exhibit.left_queue_at.isoformat()}
        )
    exhibit.path = to
    fields = ["path"]
    if here == ExaminationPath.WAITING:
        exhibit.left_queue_at = moment
        exhibit.left_queue_to = to
        fields += ["left_queue_at", "left_queue_to"]
    exhibit.save(update_fields=fields)
    change.describe(
        exhibit,
        before={"reference": exhibit.reference, "path": here},
        after={"reference": exhibit.reference, "path": to, "moved_at": moment.isoformat()},
    )
    return exhibit


RECORDINGS = [record_exhibit, move_exhibit]


@clock_facts
def exhibit_clock_facts(referral: Referral) -> dict:
    """Each exhibit's ``device_triage`` clock: from its seizure (or record) until it left the
    queue, and where it went then."""
    return {
        "exhibits": tuple(
            (
                item.pk,
                item.reference,
                item.queued_since,
                item.left_queue_at,
                item.left_queue_to,
            )
            for item in referral.exhibits.order_by("pk")
        )
    }


# ---------------------------------------------------------------------------------------------
# Reading


def device_queue(actor, *, as_of: datetime, limit: int = 1000) -> list[dict]:
    """The devices waiting for examination at ``as_of`` in the open referrals this actor may
    see, most urgent first: the earliest due (so breaches first), then the longest waiting."""
    require(actor, Can.REFERRAL_VIEW)
    waiting = (
        Exhibit.objects.restrict(actor)
        .exclude(referral__status=ReferralStatus.CLOSED)
        .filter(Q(seized_at__lte=as_of) | Q(seized_at__isnull=True, recorded_at__lte=as_of))
        .filter(
            Q(path=ExaminationPath.WAITING, left_queue_at__isnull=True) | Q(left_queue_at__gt=as_of)
        )
        .select_related("referral", "referral__force")
    )
    items = _items(actor, list(waiting), as_of)
    far = datetime.max.isoformat()
    items.sort(
        key=lambda item: (
            item["clock"]["due_at"] if item["clock"] else far,
            item["waiting_since"],
            item["id"],
        )
    )
    return items[:limit]


def referral_exhibits(actor, referral: Referral, *, as_of: datetime) -> list[dict]:
    """Every exhibit of a referral the actor has opened, with its clock."""
    found = list(
        Exhibit.objects.restrict(actor)
        .filter(referral_id=referral.pk)
        .select_related("referral", "referral__force")
        .order_by("reference", "pk")
    )
    return _items(actor, found, as_of)


def exhibit_detail(actor, exhibit_id: int, *, as_of: datetime) -> dict:
    """One exhibit with its clock and its last triage's answer, if the actor may see it."""
    found = (
        Exhibit.objects.restrict(actor)
        .select_related("referral", "referral__force")
        .filter(pk=exhibit_id)
        .first()
    )
    if found is None:
        raise Http404("No exhibit found.")
    return _items(actor, [found], as_of)[0]


def _items(actor, exhibits: list[Exhibit], as_of: datetime) -> list[dict]:
    if not exhibits:
        return []
    clocks = {
        (clock.referral_id, clock.cycle): clock
        for clock in Clock.objects.restrict(actor).filter(
            kind=ClockKind.DEVICE_TRIAGE,
            referral_id__in={item.referral_id for item in exhibits},
            cycle__in=[item.pk for item in exhibits],
        )
    }
    _, escalation = clock_tables()
    return [
        _item(item, clocks.get((item.referral_id, item.pk)), as_of, escalation) for item in exhibits
    ]


def _item(exhibit: Exhibit, clock: Clock | None, as_of: datetime, escalation) -> dict:
    since = exhibit.queued_since
    ended = (
        exhibit.left_queue_at if exhibit.left_queue_at and exhibit.left_queue_at <= as_of else None
    )
    waited = ((ended or as_of) - since).total_seconds()
    referral = exhibit.referral
    return {
        "id": exhibit.pk,
        "referral_id": referral.pk,
        "referral": referral.source_reference,
        "force": referral.force.code,
        "grade": referral.grade,
        "reference": exhibit.reference,
        "kind": exhibit.kind,
        "kind_text": exhibit.get_kind_display(),
        "seized_at": exhibit.seized_at.isoformat() if exhibit.seized_at else None,
        "seized_where": exhibit.seized_where,
        "held_by": exhibit.held_by,
        "path": exhibit.path,
        "path_text": exhibit.get_path_display(),
        "moves": list(MOVES.get(exhibit.path, ())),
        "waiting_since": since.isoformat(),
        "left_queue_at": exhibit.left_queue_at.isoformat() if exhibit.left_queue_at else None,
        "days_waiting": round(max(waited, 0) / DAY_SECONDS, 1),
        "clock": clock_view(clock, as_of, escalation) if clock is not None else None,
        "triage": exhibit.triage,
    }

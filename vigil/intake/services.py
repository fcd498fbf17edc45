"""Importing referrals and reading them back: the use cases behind pages, API and CLI.

Each referral is stored in its own transaction with its audit event, so a bad referral stores
nothing and the good ones beside it in the same batch are kept.
"""

import hashlib
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from vigil.accounts.actors import Actor, SystemActor, actor_name
from vigil.accounts.choices import Action
from vigil.accounts.models import Force
from vigil.accounts.permissions import require
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.people import services as people_services
from vigil.risk import services as risk_services

from . import cybertip, native_json
from .choices import ReferralStatus
from .drafts import IntakeError, ReferralDraft
from .models import Document, Material, Referral
from .sources import JsonUnit, Limits, PackageUnit, Refusal, units_from_paths, units_from_uploads


@dataclass
class Imported:
    path: str
    referral_id: int
    source: str
    source_reference: str
    status: str  # created | duplicate
    grade: str = ""


@dataclass
class Rejected:
    path: str
    location: str
    error: str


@dataclass
class ImportReport:
    imported: list[Imported] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "imported": [asdict(item) for item in self.imported],
            "rejected": [asdict(item) for item in self.rejected],
        }

    @property
    def created(self) -> int:
        return sum(1 for item in self.imported if item.status == "created")

    @property
    def duplicates(self) -> int:
        return sum(1 for item in self.imported if item.status == "duplicate")


@dataclass(frozen=True)
class ImportOptions:
    """What the person importing says about documents that do not say it themselves."""

    force_code: str = ""
    source_reference: str = ""
    received_at: datetime | None = None
    fmt: str = "auto"


Progress = Callable[[int], None]


def limits() -> Limits:
    return Limits(
        max_document_bytes=settings.VIGIL_MAX_DOCUMENT_BYTES,
        max_package_bytes=settings.VIGIL_MAX_PACKAGE_BYTES,
        max_package_files=settings.VIGIL_MAX_PACKAGE_FILES,
    )


def import_paths(
    paths: Iterable[str | Path],
    *,
    actor: Actor,
    as_of: datetime,
    options: ImportOptions = ImportOptions(),
    progress: Progress | None = None,
) -> ImportReport:
    """Import every referral found in these files and folders."""
    require(actor, Action.REFERRAL_IMPORT)
    return _import_units(
        units_from_paths(paths, options.fmt, limits()), actor, as_of, options, progress
    )


def import_uploads(
    files: Iterable[tuple[str, bytes]],
    *,
    actor: Actor,
    as_of: datetime,
    options: ImportOptions = ImportOptions(),
) -> ImportReport:
    """Import uploaded files (name, content): JSON, JSON Lines, CyberTipline XML or zips."""
    require(actor, Action.REFERRAL_IMPORT)
    return _import_units(units_from_uploads(files, limits()), actor, as_of, options, None)


def import_json_referral(
    content: bytes, *, actor: Actor, as_of: datetime, label: str = "request body"
) -> Imported:
    """Import one native JSON referral (the API). Raises ``IntakeError`` if it is refused."""
    require(actor, Action.REFERRAL_IMPORT)
    if len(content) > settings.VIGIL_MAX_DOCUMENT_BYTES:
        raise IntakeError("the referral is larger than Vigil accepts", "$")
    draft = native_json.read_referral(label, content, as_of=as_of)
    referral, status = store_referral(draft, actor=actor, as_of=as_of)
    return Imported(
        label, referral.pk, referral.source, referral.source_reference, status, referral.grade
    )


def _import_units(units, actor, as_of, options, progress) -> ImportReport:
    report = ImportReport()
    for unit in units:
        if isinstance(unit, Refusal):
            report.rejected.append(Rejected(unit.name, unit.location, unit.error))
        elif isinstance(unit, PackageUnit):
            _import_package(unit, actor, as_of, options, report)
        else:
            _import_json(unit, actor, as_of, options, report, progress)
            continue
        if progress:
            progress(1)
    return report


def _import_package(unit: PackageUnit, actor, as_of, options, report: ImportReport) -> None:
    try:
        draft = cybertip.read_package(
            unit.name,
            unit.documents,
            force_code=options.force_code or _actor_force_code(actor),
            received_at=options.received_at or as_of,
            source_reference=options.source_reference,
            notes=unit.notes,
        )
        _store_and_report(draft, unit.origin or unit.name, actor, as_of, report)
    except IntakeError as error:
        report.rejected.append(Rejected(unit.origin or unit.name, error.location, error.message))


def _import_json(unit: JsonUnit, actor, as_of, options, report: ImportReport, progress) -> None:
    if options.source_reference:
        report.rejected.append(
            Rejected(
                unit.name,
                "",
                "--source-reference applies to CyberTipline packages; a JSON referral carries "
                "its own source_reference",
            )
        )
        return
    try:
        parts = _json_parts(unit)
        for label, content in parts:
            try:
                if len(content) > settings.VIGIL_MAX_DOCUMENT_BYTES:
                    raise IntakeError("this referral is larger than Vigil accepts", "")
                draft = native_json.read_referral(
                    label,
                    content,
                    as_of=as_of,
                    default_force=options.force_code,
                )
                _store_and_report(draft, label, actor, as_of, report)
            except IntakeError as error:
                report.rejected.append(Rejected(label, error.location, error.message))
            if progress:
                progress(1)
    except IntakeError as error:
        report.rejected.append(Rejected(unit.name, error.location, error.message))
        if progress:
            progress(1)


def _json_parts(unit: JsonUnit):
    if unit.path is not None and unit.is_lines:
        return _stream_lines(unit.path)
    return native_json.split_document(unit.name, unit.content)


def _stream_lines(path: Path):
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if line.strip():
                yield f"{path} line {number}", line.rstrip(b"\r\n")


def _store_and_report(draft: ReferralDraft, label: str, actor, as_of, report) -> None:
    referral, status = store_referral(draft, actor=actor, as_of=as_of)
    report.imported.append(
        Imported(
            label, referral.pk, referral.source, referral.source_reference, status, referral.grade
        )
    )


def _actor_force_code(actor: Actor) -> str:
    if isinstance(actor, SystemActor) or actor.force is None:
        return ""
    return actor.force.code


# ---------------------------------------------------------------------------------------------
# Storing one referral


def store_referral(draft: ReferralDraft, *, actor: Actor, as_of: datetime) -> tuple[Referral, str]:
    """Store a draft with its people, material and documents, or recognise it as held already.

    Returns the referral and ``created`` or ``duplicate``. The same (source, reference) with
    different content is refused: Vigil never silently overwrites what a force has been sent.
    """
    try:
        with transaction.atomic():
            return _store(draft, actor, as_of)
    except IntegrityError:
        # Another import of the same reference committed between our check and our insert.
        existing = Referral.objects.filter(
            source=draft.source, source_reference=draft.source_reference
        ).first()
        if existing is None:
            raise
        return _held_already(existing, draft), "duplicate"


def _store(draft: ReferralDraft, actor: Actor, as_of: datetime) -> tuple[Referral, str]:
    force = Force.objects.filter(code=draft.force_code).first()
    if force is None:
        raise IntakeError(
            f"force {draft.force_code!r} is not known to Vigil; an administrator adds it with "
            f"`vigil forces add {draft.force_code} NAME`",
            "$.force",
        )
    if not isinstance(actor, SystemActor) and actor.force_id != force.pk:
        raise IntakeError(
            f"you can import referrals for your own force only, not {force.code}", "$.force"
        )
    existing = Referral.objects.filter(
        source=draft.source, source_reference=draft.source_reference
    ).first()
    if existing is not None:
        return _held_already(existing, draft), "duplicate"

    user = None if isinstance(actor, SystemActor) else actor
    referral = Referral.objects.create(
        force=force,
        received_by_force=force,
        source=draft.source,
        source_reference=draft.source_reference,
        received_at=draft.received_at,
        summary=draft.summary,
        incident_type=draft.incident_type,
        incident_type_text=draft.incident_type_text,
        incident_occurred_at=draft.incident_occurred_at,
        platform=draft.platform,
        escalated=draft.escalated,
        escalation_reason=draft.escalation_reason,
        annotations=draft.annotations,
        indicators=draft.indicators,
        incident_details=draft.incident_details,
        source_details=draft.source_details,
        unmapped=draft.unmapped,
        content_digest=draft.content_digest,
        imported_at=as_of,
        imported_by=user,
        imported_by_name=actor_name(actor),
    )
    Document.objects.bulk_create(
        Document(
            referral=referral,
            name=document.name,
            media_type=document.media_type,
            content=document.content,
            size=len(document.content),
            sha256=hashlib.sha256(document.content).hexdigest(),
        )
        for document in draft.documents
    )
    Material.objects.bulk_create(
        Material(referral=referral, **asdict(material)) for material in draft.material
    )
    people = people_services.add_people(referral, draft.people, draft.access)
    links = people_services.link_people(referral, people)
    # Graded as of its receipt (ages on that day), then carried forward to today, in the same
    # transaction: a referral imported late keeps the grade it had when it arrived.
    risk_services.assess_at_receipt(referral, actor=actor, as_of=as_of)
    record(
        actor,
        AuditAction.REFERRAL_IMPORTED,
        referral,
        at=as_of,
        force_code=force.code,
        after={
            "source": referral.source,
            "source_reference": referral.source_reference,
            "received_at": referral.received_at,
            "content_digest": referral.content_digest,
            "documents": [document.name for document in draft.documents],
            "people": len(people),
            "material": len(draft.material),
            "links": len(links),
            "grade": referral.grade,
        },
    )
    return referral, "created"


def _held_already(existing: Referral, draft: ReferralDraft) -> Referral:
    if existing.content_digest == draft.content_digest:
        return existing
    raise IntakeError(
        f"{existing.get_source_display()} reference {existing.source_reference!r} is already "
        "held with different content; Vigil does not overwrite a referral it holds. Check "
        "the reference, or record the new facts on the existing referral",
        "$.source_reference" if draft.source != "ncmec" else "",
    )


# ---------------------------------------------------------------------------------------------
# Reading referrals back


def referrals_for(actor: Actor, *, force: str = "", source: str = "", status: str = ""):
    """The referrals this actor may see, filtered; the only door to the list."""
    require(actor, Action.REFERRAL_VIEW)
    referrals = Referral.objects.visible_to(actor).select_related("force")
    if force:
        referrals = referrals.filter(force__code=force)
    if source:
        referrals = referrals.filter(source=source)
    if status:
        referrals = referrals.filter(status=status)
    return referrals


class Conflict(Exception):
    """Someone else changed the referral since this person opened it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@contextmanager
def changing(referral: Referral, *, expected_version: int | None = None):
    """Lock the referral for a change, in one transaction, and raise its version.

    With ``expected_version`` (the version the person saw), a change made by someone else in
    the meantime is refused with what changed, rather than silently overwritten.
    """
    from vigil.audit.models import AuditEvent

    with transaction.atomic():
        locked = Referral.objects.select_for_update().select_related("force").get(pk=referral.pk)
        if locked.status == ReferralStatus.CLOSED:
            raise Conflict(
                f"{locked.source_reference} is closed; nothing more can be recorded on it"
            )
        if expected_version is not None and locked.version != expected_version:
            last = (
                AuditEvent.objects.filter(object_type="intake.referral", object_id=str(locked.pk))
                .exclude(action=AuditAction.REFERRAL_VIEWED)
                .order_by("-id")
                .first()
            )
            what = (
                f"{last.get_action_display()} by {last.actor_name} at "
                f"{timezone.localtime(last.at):%d %b %Y %H:%M}"
                if last
                else "another change"
            )
            raise Conflict(
                f"{locked.source_reference} was changed since you opened it ({what}). "
                "Look at it again and decide again."
            )
        yield locked
        Referral.objects.filter(pk=locked.pk).update(version=F("version") + 1)
        locked.version += 1
        referral.version = locked.version


def advance(referral: Referral, status: str) -> bool:
    """Move the referral forward to ``status`` when what was recorded implies it (never back)."""
    order = ReferralStatus.values
    if referral.status == ReferralStatus.CLOSED or order.index(status) <= order.index(
        referral.status
    ):
        return False
    referral.status = status
    Referral.objects.filter(pk=referral.pk).update(status=status)
    return True


def restrict(
    actor: Actor, referral: Referral, *, restricted: bool, usernames: list[str], as_of: datetime
) -> Referral:
    """Restrict a referral to named people (the restricting person is always named), or lift
    the restriction. Everyone else in the force then finds nothing, as if it did not exist."""
    from vigil.accounts.models import User

    from .models import NamedAccess

    require(actor, Action.REFERRAL_RESTRICT)
    require_visible(actor, referral)
    users = list(User.objects.filter(username__in=usernames, is_active=True))
    missing = set(usernames) - {user.username for user in users}
    if missing:
        raise IntakeError(f"no active user called {', '.join(sorted(missing))}", "usernames")
    if not isinstance(actor, SystemActor) and actor not in users:
        users.append(actor)
    with changing(referral) as locked:
        before = {
            "restricted": locked.is_restricted,
            "named": sorted(locked.named_people.values_list("user__username", flat=True)),
        }
        locked.is_restricted = restricted
        flags = set(locked.flags) - {"restricted"}
        locked.flags = sorted(flags | ({"restricted"} if restricted else set()))
        locked.save(update_fields=["is_restricted", "flags"])
        locked.named_people.exclude(user__in=users).delete()
        for user in users:
            NamedAccess.objects.get_or_create(
                referral=locked,
                user=user,
                defaults={"granted_by_name": actor_name(actor), "granted_at": as_of},
            )
        from vigil.clocks.services import sync_clocks

        sync_clocks(locked, as_of=as_of)
        record(
            actor,
            AuditAction.REFERRAL_RESTRICTED,
            locked,
            at=as_of,
            force_code=locked.force.code,
            before=before,
            after={"restricted": restricted, "named": sorted(u.username for u in users)},
        )
    referral.is_restricted = restricted
    return referral


def require_visible(actor: Actor, referral: Referral) -> None:
    """Http404 unless this actor may see this referral (another force's is "not found")."""
    if not Referral.objects.visible_to(actor).filter(pk=referral.pk).exists():
        raise Http404("No referral found.")


def add_indicator(
    actor: Actor,
    referral: Referral,
    indicator: str,
    *,
    source: str,
    learned_at: datetime | None = None,
    as_of: datetime,
) -> Referral:
    """Record behaviour found after receipt (grooming, production…) and re-grade."""
    from .choices import Indicator

    require(actor, Action.FACTS_RECORD)
    require_visible(actor, referral)
    if indicator not in Indicator.values:
        raise IntakeError(f"indicator must be one of {', '.join(Indicator.values)}", "indicator")
    learned_at = learned_at or as_of
    if learned_at > as_of or learned_at < referral.received_at:
        raise IntakeError(
            "a fact is learned after the referral was received and not in the future",
            "learned_at",
        )
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if indicator not in referral.indicators:
            referral.indicators = [*referral.indicators, indicator]
            referral.fact_sources = {
                **referral.fact_sources,
                f"indicator:{indicator}": {"source": source, "at": learned_at.isoformat()},
            }
            referral.save(update_fields=["indicators", "fact_sources"])
        record(
            actor,
            AuditAction.FACT_RECORDED,
            referral,
            at=as_of,
            force_code=referral.force.code,
            after={
                "fact": "indicator recorded",
                "indicator": indicator,
                "source": source,
                "learned_at": learned_at,
            },
        )
        risk_services.assess(referral, actor=actor, as_of=as_of, trigger="indicator recorded")
    return referral


def find_referral(actor: Actor, id_or_reference: str | int) -> Referral:
    """One referral by id or source reference, if this actor may see it; else Http404."""
    visible = Referral.objects.visible_to(actor).select_related("force")
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


def open_referral(actor: Actor, id_or_reference: str | int, *, as_of: datetime) -> Referral:
    """A referral for reading in full: checks permission and scope, and records the look."""
    require(actor, Action.REFERRAL_VIEW)
    referral = find_referral(actor, id_or_reference)
    record(actor, AuditAction.REFERRAL_VIEWED, referral, at=as_of, force_code=referral.force.code)
    return referral


def referral_detail(referral: Referral, viewer: Actor, *, as_of: datetime) -> dict:
    """Everything held on a referral as plain data (the API, ``vigil referral show --json``)."""
    from vigil.clocks import services as clocks_services
    from vigil.investigations.services import investigation_detail, timeline

    people = people_services.people_detail(referral, as_of=as_of)
    investigation = investigation_detail(referral, as_of=as_of)
    investigation["timeline"] = timeline(investigation, risk_services.risk_history(referral))
    return {
        "id": referral.pk,
        "source": referral.source,
        "source_reference": referral.source_reference,
        "received_at": referral.received_at.isoformat(),
        "force": referral.force.code,
        "status": referral.status,
        "summary": referral.summary,
        "incident": {
            "type": referral.incident_type,
            "type_as_given": referral.incident_type_text,
            "occurred_at": (
                referral.incident_occurred_at.isoformat() if referral.incident_occurred_at else None
            ),
            "platform": referral.platform,
            "escalated": referral.escalated,
            "escalation_reason": referral.escalation_reason,
            "annotations": referral.annotations,
            "details": referral.incident_details,
        },
        "indicators": referral.indicators,
        "source_details": referral.source_details,
        "material": [
            {
                "kind": item.kind,
                "count": item.count,
                "category": item.category or None,
                "industry_classification": item.industry_classification or None,
                "md5": item.md5 or None,
                "sha1": item.sha1 or None,
                "pdq": item.pdq or None,
                "photodna": item.photodna or None,
                "annotations": item.annotations,
                "file_name": item.file_name,
                "file_id": item.file_id,
                "details": item.details,
            }
            for item in referral.material.all()
        ],
        "subjects": people,
        "access": people_services.access_detail(referral),
        "linked_referrals": people_services.linked_referrals(referral, viewer),
        "documents": [
            {"name": name, "media_type": media_type, "size": size, "sha256": sha256}
            for name, media_type, size, sha256 in referral.documents.values_list(
                "name", "media_type", "size", "sha256"
            )
        ],
        "unmapped": referral.unmapped,
        "risk": risk_services.risk_summary(referral, as_of=as_of),
        "clocks": clocks_services.referral_clocks(referral, as_of=as_of),
        **investigation,
        "imported_at": referral.imported_at.isoformat(),
        "imported_by": referral.imported_by_name,
    }

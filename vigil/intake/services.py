"""The intake pipeline: files in, referrals stored, people linked, graded and on the clock.

Each referral is stored in its own transaction with its audit event, so a bad referral stores
nothing and the good ones beside it in the same batch are kept.
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from vigil.accounts.actors import Actor
from vigil.accounts.models import Force
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.clocks.services import sync_clocks
from vigil.core.actors import SystemActor, actor_name
from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.people import services as people_services
from vigil.referrals.drafts import IntakeError, ReferralDraft
from vigil.referrals.models import Document, Material, Referral
from vigil.risk import services as risk_services

from . import cybertip, native_json
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
    require(actor, Action.REFERRAL_IMPORT)
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
    sync_clocks(referral, as_of=as_of)
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

"""The intake pipeline: files in, referrals stored, people linked, graded and on the clock.

Each referral is stored whole with its audit event, or not at all: alone in its own transaction
(``store_referral``), or, in an import, in its own savepoint of a batch's transaction
(``_Batch``), so a bad referral stores nothing and the good ones beside it are kept.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.fields import AutoFieldMixin
from django.http import Http404
from django.utils.translation import gettext as _

from vigil.accounts.actors import Actor
from vigil.accounts.models import Force
from vigil.audit.choices import AuditAction
from vigil.audit.services import event as audit_event
from vigil.audit.services import record_many
from vigil.clocks.services import add_clocks, sync_clocks
from vigil.core.actors import SystemActor, actor_name
from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.people import services as people_services
from vigil.people.models import Access, Address, History, Link, LivesWith, MatchKey, Person
from vigil.referrals.changes import Conflict, RecordError, changing
from vigil.referrals.drafts import IntakeError, ReferralDraft, ResearchDraft
from vigil.referrals.models import Document, Material, Referral
from vigil.risk import services as risk_services
from vigil.risk.models import Assessment, Override, RegradeDue

from . import cybertip, native_json, unknown_values
from .models import ImportBatch, ImportBatchFile
from .sources import JsonUnit, Limits, PackageUnit, Refusal, units_from_paths, units_from_uploads


@dataclass
class Imported:
    path: str
    referral_id: int
    source: str
    source_reference: str
    status: str  # created | supplemented | duplicate
    grade: str = ""
    # Words Vigil did not know or could not read, each {"path", "field", "value", "mapped_to",
    # "message"}: the referral is stored, with the word kept as written.
    warnings: list[dict] = field(default_factory=list)


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
    def supplemented(self) -> int:
        return sum(1 for item in self.imported if item.status == "supplemented")

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
    mappings: dict = field(default_factory=dict)
    # Referrals stored per transaction (each in its own savepoint); 1: one transaction each.
    batch_size: int = 500


Progress = Callable[[int], None]
# A supplementary report is imported (the import permission) and recorded as a supplement.
_SUPPLEMENTING = {"permission": Action.REFERRAL_IMPORT, "audit": AuditAction.REFERRAL_SUPPLEMENTED}


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
    progress: Progress | None = None,
) -> ImportReport:
    """Import uploaded files (name, content): JSON, JSON Lines, CyberTipline XML or zips."""
    require(actor, Action.REFERRAL_IMPORT)
    return _import_units(units_from_uploads(files, limits()), actor, as_of, options, progress)


def queue_uploads(
    files: Iterable[tuple[str, bytes]],
    *,
    actor: Actor,
    as_of: datetime,
    requested_at: datetime,
    source_reference: str = "",
) -> ImportBatch:
    """Keep uploaded files to be imported in the background, as the uploader, as of ``as_of``
    (``tasks.import_batch`` imports them; the batch's page shows the report)."""
    require(actor, Action.REFERRAL_IMPORT)
    files = list(files)
    if not files:
        raise ValidationError("Upload at least one file.")
    limit = settings.VIGIL_MAX_PACKAGE_BYTES
    for name, content in files:
        if len(content) > limit:
            raise ValidationError(
                f"{name} is {len(content) / 1_048_576:.1f} MB, over the "
                f"{limit / 1_048_576:.0f} MB limit"
            )
    batch = ImportBatch.objects.create(
        requested_by=actor,
        requested_at=requested_at,
        as_of=as_of,
        source_reference=source_reference,
        file_count=len(files),
    )
    ImportBatchFile.objects.bulk_create(
        ImportBatchFile(batch=batch, name=name[:255], content=content) for name, content in files
    )
    return batch


def import_batch(batch_id: int, *, now: Callable[[], datetime]) -> ImportReport | None:
    """Import a waiting batch's files as its uploader would have on the page, keep the report
    on the batch and let the files go; None if the batch is gone or imported already.

    Tried again after a failure half-way, what was stored the first time is recognised as
    already held."""
    batch = (
        ImportBatch.objects.select_related("requested_by")
        .filter(pk=batch_id, finished_at__isnull=True)
        .first()
    )
    if batch is None:
        return None
    files = [(name, bytes(content)) for name, content in batch.files.values_list("name", "content")]
    # Counted afresh on each try: a batch tried again after a failure starts from nothing read.
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=now(), referrals_read=0)

    report = import_uploads(
        files,
        actor=batch.requested_by,
        as_of=batch.as_of,
        options=ImportOptions(source_reference=batch.source_reference),
        progress=_BatchProgress(batch.pk),
    )
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            report=report.as_dict(),
            finished_at=now(),
            referrals_read=len(report.imported) + len(report.rejected),
        )
        batch.files.all().delete()
    return report


class _BatchProgress:
    """Adds the referrals read to their batch's count, a few at a time (each write joins the
    transaction storing them, so the count shown is of referrals stored)."""

    EVERY = 20

    def __init__(self, batch_id: int):
        self.batch_id, self.unwritten = batch_id, 0

    def __call__(self, count: int) -> None:
        self.unwritten += count
        if self.unwritten >= self.EVERY:
            ImportBatch.objects.filter(pk=self.batch_id).update(
                referrals_read=F("referrals_read") + self.unwritten
            )
            self.unwritten = 0


def import_batch_answer(batch: ImportBatch, report: ImportReport | None) -> dict:
    """A batch as the API answers it."""
    return {
        "id": batch.pk,
        "file_count": batch.file_count,
        "requested_at": batch.requested_at,
        "state": batch_state(batch),
        "started_at": batch.started_at,
        "referrals_read": batch.referrals_read,
        "finished_at": batch.finished_at,
        "report": report.as_dict() if report is not None else None,
    }


def batch_state(batch: ImportBatch) -> str:
    """``waiting`` for a worker, ``importing``, or ``finished``."""
    if batch.finished_at is not None:
        return "finished"
    return "importing" if batch.started_at is not None else "waiting"


def import_batch_for(actor: Actor, batch_id: int) -> tuple[ImportBatch, ImportReport | None]:
    """A batch and, once imported, its report: for its uploader only (else not found)."""
    batch = ImportBatch.objects.filter(
        pk=batch_id, requested_by_id=getattr(actor, "pk", None)
    ).first()
    if batch is None:
        raise Http404("No such import.")
    if batch.finished_at is None:
        return batch, None
    return batch, ImportReport(
        imported=[Imported(**item) for item in batch.report.get("imported", [])],
        rejected=[Rejected(**item) for item in batch.report.get("rejected", [])],
    )


def import_json_referral(
    content: bytes, *, actor: Actor, as_of: datetime, label: str = "request body"
) -> Imported:
    """Import one native JSON referral (the API). Raises ``IntakeError`` if it is refused."""
    require(actor, Action.REFERRAL_IMPORT)
    if len(content) > settings.VIGIL_MAX_DOCUMENT_BYTES:
        raise IntakeError(_("the referral is larger than Vigil accepts"), "$")
    draft = native_json.read_referral(
        label, content, as_of=as_of, mappings=unknown_values.mappings()
    )
    referral, status = store_referral(draft, actor=actor, as_of=as_of)
    return _imported(label, referral, status, draft)


def _imported(label: str, referral: Referral, status: str, draft: ReferralDraft) -> Imported:
    warnings = [] if status == "duplicate" else [w.as_dict() for w in draft.warnings]
    return Imported(
        label,
        referral.pk,
        referral.source,
        referral.source_reference,
        status,
        referral.grade,
        warnings,
    )


def _import_units(units, actor, as_of, options, progress) -> ImportReport:
    report = ImportReport()
    # What administrators have said unknown words mean, read once for the whole import.
    options = replace(options, mappings=unknown_values.mappings())
    batch = _Batch(actor, as_of, report, progress, options.batch_size)
    try:
        for unit in units:
            if isinstance(unit, Refusal):
                batch.reject(Rejected(unit.name, unit.location, unit.error))
            elif isinstance(unit, PackageUnit):
                _import_package(unit, actor, as_of, options, batch)
            else:
                _import_json(unit, options, batch)
    except Exception:
        # Reading failed unexpectedly: what was read before it is stored, as it would have
        # been one referral at a time.
        batch.flush()
        raise
    batch.flush()
    return report


def _import_package(unit: PackageUnit, actor, as_of, options, batch: "_Batch") -> None:
    try:
        draft = cybertip.read_package(
            unit.name,
            unit.documents,
            force_code=options.force_code or _actor_force_code(actor),
            received_at=options.received_at or as_of,
            source_reference=options.source_reference,
            notes=unit.notes,
            mappings=options.mappings,
        )
    except IntakeError as error:
        batch.reject(Rejected(unit.origin or unit.name, error.location, error.message))
    else:
        batch.add(draft, unit.origin or unit.name)


def _import_json(unit: JsonUnit, options, batch: "_Batch") -> None:
    if options.source_reference:
        batch.reject(
            Rejected(
                unit.name,
                "",
                "--source-reference applies to CyberTipline packages; a JSON referral carries "
                "its own source_reference",
            ),
            counted=False,
        )
        return
    try:
        parts = _json_parts(unit)
        for label, content in parts:
            try:
                if len(content) > settings.VIGIL_MAX_DOCUMENT_BYTES:
                    raise IntakeError(_("this referral is larger than Vigil accepts"), "")
                draft = native_json.read_referral(
                    label,
                    content,
                    as_of=batch.as_of,
                    default_force=options.force_code,
                    mappings=options.mappings,
                )
            except IntakeError as error:
                batch.reject(Rejected(label, error.location, error.message))
            else:
                batch.add(draft, label)
    except IntakeError as error:
        batch.reject(Rejected(unit.name, error.location, error.message))


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


def _actor_force_code(actor: Actor) -> str:
    if isinstance(actor, SystemActor) or actor.force is None:
        return ""
    return actor.force.code


# ---------------------------------------------------------------------------------------------
# Storing one referral


class _Batch:
    """What an import has read and not yet stored, in the order it was read.

    Up to ``size`` referrals are stored in one transaction (``_store_waiting``), each inside
    its own savepoint: a referral that is refused rolls back to its savepoint and stores
    nothing, its neighbours are kept, and everything happens exactly as it would one referral
    per transaction (the same code, in the same order), with one commit per batch. Refusals
    met while reading wait their turn, so the report lists everything in the order read.
    """

    def __init__(self, actor, as_of, report: ImportReport, progress, size: int):
        self.actor, self.as_of, self.report, self.progress = actor, as_of, report, progress
        self.size = max(1, size)
        self.waiting: list[tuple] = []
        self.drafts = 0

    def add(self, draft: ReferralDraft, label: str) -> None:
        self.waiting.append((draft, label))
        self.drafts += 1
        if self.drafts >= self.size:
            self.flush()

    def reject(self, rejected: Rejected, *, counted: bool = True) -> None:
        self.waiting.append((rejected, counted))

    def flush(self) -> None:
        waiting, self.waiting, self.drafts = self.waiting, [], 0
        if waiting:
            _store_waiting(waiting, self.actor, self.as_of, self.report, self.progress)


def _store_waiting(waiting: list[tuple], actor, as_of, report: ImportReport, progress) -> None:
    """Store a batch in one transaction; if the batch's own inserts fail at its end (clocks,
    audit events), store its referrals again one per transaction, as ``--batch-size 1`` would."""
    try:
        _store_batch(waiting, actor, as_of, report, progress)
    except _WriteFailed:
        if len(waiting) == 1:
            raise
        for item in waiting:
            _store_batch([item], actor, as_of, report, progress)


class _WriteFailed(DatabaseError):
    """A batch's inserts at its end failed: nothing of the batch is stored."""


def _store_batch(waiting: list[tuple], actor, as_of, report: ImportReport, progress) -> None:
    drafts = [item for item, _ in waiting if isinstance(item, ReferralDraft)]
    failure = None
    done = ImportReport()
    with transaction.atomic():
        lookups = _Lookups(drafts)
        for item, extra in waiting:
            if isinstance(item, Rejected):
                done.rejected.append(item)
                if progress and extra:
                    progress(1)
                continue
            try:
                referral, status = _store_atomically(item, actor, as_of, lookups)
            except IntakeError as error:
                done.rejected.append(Rejected(extra, error.location, error.message))
            except _WriteFailed:
                # The batch's own inserts: nothing of it is stored.
                raise
            except BaseException as error:
                # As one referral per transaction would: those before it stay stored.
                failure = error
                break
            else:
                done.imported.append(_imported(extra, referral, status, item))
            if progress:
                progress(1)
        lookups.flush()
    report.imported.extend(done.imported)
    report.rejected.extend(done.rejected)
    if failure is not None:
        raise failure


class _Ids:
    """The ids of rows a batch plans now and inserts at its end: those the database would have
    given them inserted one referral at a time, in the order they are planned.

    On SQLite they follow each table's sequence, read once (the batch's transaction holds the
    write lock from its start, so no one else inserts meanwhile; a referral rolled back gives
    its ids back, as its savepoint gives back the sequence). On PostgreSQL each is taken from
    the table's sequence when planned, exactly as many as are needed, so no other writer can
    be given one, and none is ever given back (a sequence is never rolled back: a referral
    rolled back leaves a gap, as it would inserted one at a time). Taking ids ahead and giving
    back those not used would save a query a table a referral, but giving back is not atomic
    against another writer taking one, which could then be given twice."""

    def __init__(self):
        self.next: dict[type, int] = {}

    def take(self, model, count: int) -> list[int]:
        if not count:
            return []
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)::regclass) AS id "
                    "FROM generate_series(1, %s) ORDER BY id",
                    [model._meta.db_table, model._meta.pk.column, count],
                )
                return [pk for (pk,) in cursor.fetchall()]
        if model not in self.next:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table]
                )
                row = cursor.fetchone()
            self.next[model] = (row[0] if row else 0) + 1
        first = self.next[model]
        self.next[model] += count
        return list(range(first, first + count))

    def mark(self) -> dict:
        return dict(self.next)

    def back_to(self, mark: dict) -> None:
        """A referral's savepoint was rolled back: on SQLite, so were the ids it took."""
        self.next = mark

    def give_back(self) -> None:
        """Forget where the sequences stand: others may insert now."""
        self.next = {}


# Tables a batch's new referrals plan rows for, in the order they are inserted at its end.
_PLANNED = (
    Referral,
    Person,
    Address,
    History,
    LivesWith,
    Access,
    MatchKey,
    Link,
    Assessment,
    Override,
    RegradeDue,
)


class _Writes:
    """Rows a batch's new referrals leave to be inserted together at the batch's end, in the
    order they were made (so each gets the id it would have had one referral at a time): the
    referrals themselves, their people, addresses, history, ties, access, match keys, links,
    assessments and re-grade index rows (given their ids when planned, see ``_Ids``), and
    their documents, material, identifiers, clocks and audit events.

    Nothing stored later in the batch reads them from the database: a referral's grade is made
    from the rows in hand, and its links from the batch's match keys (``_Lookups.held_keys``).
    A referral that may be linked to one of the batch's whose rows wait (whose grade reads that
    referral's people), or that may be a supplement (which reads and writes such rows at once),
    has those before it written first. A referral whose reference another import commits
    meanwhile then fails the batch's insert, and is found held when the batch is stored again
    one referral at a time."""

    def __init__(self, ids: "_Ids | None" = None):
        self.ids = ids
        self.planned: dict[type, list] = {model: [] for model in _PLANNED}
        self.documents: list = []
        self.material: list = []
        self.identifiers: list = []
        self.clocks: list = []
        self.events: list = []

    def plan(self, model, rows: list) -> list:
        """``people.services.Plan``: the rows, with their ids, to be inserted at the end (a row
        whose key is another row's, the re-grade index's, has its key already)."""
        if isinstance(model._meta.pk, AutoFieldMixin):
            for row, pk in zip(rows, self.ids.take(model, len(rows)), strict=True):
                row.pk = pk
        self.planned[model].extend(rows)
        return rows

    def take(self, other: "_Writes") -> None:
        for model, rows in other.planned.items():
            self.planned[model].extend(rows)
        self.documents.extend(other.documents)
        self.material.extend(other.material)
        self.identifiers.extend(other.identifiers)
        self.clocks.extend(other.clocks)
        self.events.extend(other.events)

    def write(self) -> None:
        for model, rows in self.planned.items():
            if rows:
                model.objects.bulk_create(rows)
            if model is Person and self.identifiers:
                people_services.add_identifiers(self.identifiers)
        if self.documents:
            Document.objects.bulk_create(self.documents)
        if self.material:
            Material.objects.bulk_create(self.material)
        if self.clocks:
            add_clocks(self.clocks)
        if self.events:
            record_many(self.events)
        self.__init__(self.ids)


class _Lookups:
    """What storing a referral looks up that a whole batch can answer at once: the forces,
    which references were not held when the batch began (one query for the batch), and, when
    the batch plans its rows (``planning``: more than one referral), the match keys its
    referrals' people can be linked on, held before it (one lookup) or made in it, and the
    stored version of the policy its referrals are graded under."""

    def __init__(self, drafts: Iterable[ReferralDraft] = ()):
        drafts = list(drafts)
        self.forces: dict[str, Force | None] = {}
        self.ids = _Ids()
        self.writes = _Writes(self.ids)
        self.planning = len(drafts) > 1
        # The policy version the batch's referrals were graded under, once one is stored.
        self.policy_version = None
        wanted = {(draft.source, draft.supplements or draft.source_reference) for draft in drafts}
        held = set()
        if wanted:
            held = set(
                Referral.objects.filter(
                    source__in={source for source, _ in wanted},
                    source_reference__in={reference for _, reference in wanted},
                ).values_list("source", "source_reference")
            )
        self.absent = wanted - held
        # Each draft's keys, those held under any of them before the batch, and those the
        # batch's stored referrals made (in the order made; those not yet written apart).
        self.draft_keys: dict[int, set[str]] = {}
        if self.planning:
            self.draft_keys = {id(d): people_services.draft_keys(d.people) for d in drafts}
        self.keys_before: dict[str, list[dict]] = {}
        self.keys_made: dict[str, list[dict]] = defaultdict(list)
        self.keys_waiting: set[str] = set()
        self._look_keys_up()

    def _look_keys_up(self) -> None:
        self.keys_before = people_services.keys_held(set().union(*self.draft_keys.values()))
        self.keys_made.clear()

    def held_keys(self, keys: set[str]) -> dict[str, list[dict]]:
        """The match key rows under these keys, as a lookup in the database would give them
        if every referral stored before in the batch were written (``link_people``)."""
        return {key: [*self.keys_before.get(key, ()), *self.keys_made.get(key, ())] for key in keys}

    def may_link_to_waiting(self, draft: ReferralDraft) -> bool:
        return bool(self.keys_waiting & self.draft_keys.get(id(draft), set()))

    def stored(self, mine: _Writes, status: str) -> None:
        """A referral is stored (its savepoint released): what it leaves joins the batch's."""
        for row in mine.planned[MatchKey]:
            self.keys_made[row.key].append(
                {
                    "person_id": row.person_id,
                    "referral_id": row.referral_id,
                    "key": row.key,
                    "is_suspect": row.is_suspect,
                }
            )
            self.keys_waiting.add(row.key)
        if mine.planned[Assessment]:
            self.policy_version = mine.planned[Assessment][0].policy
        self.writes.take(mine)
        if status == "supplemented" and self.planning:
            # Its research wrote keys at once (everything before it was written first).
            self._look_keys_up()

    def flush(self, *, give_back: bool = True) -> None:
        """Write what the batch's stored referrals left, and give back the ids not used (unless
        only the batch's own referrals insert before the next flush)."""
        try:
            self.writes.write()
        except DatabaseError as error:
            raise _WriteFailed(str(error)) from error
        self.keys_waiting.clear()
        if give_back:
            self.ids.give_back()

    def force(self, code: str) -> Force | None:
        if code not in self.forces:
            self.forces[code] = Force.objects.filter(code=code).first()
        return self.forces[code]

    def surely_new(self, draft: ReferralDraft) -> bool:
        """Its reference was not held when the batch began, nor met since in the batch."""
        return (draft.source, draft.supplements or draft.source_reference) in self.absent

    def held(self, draft: ReferralDraft) -> Referral | None:
        reference = draft.supplements or draft.source_reference
        key = (draft.source, reference)
        if key in self.absent:
            # Not held before the batch; once a referral of the batch may have stored it, ask.
            self.absent.discard(key)
            return None
        return Referral.objects.filter(source=draft.source, source_reference=reference).first()


def store_referral(draft: ReferralDraft, *, actor: Actor, as_of: datetime) -> tuple[Referral, str]:
    """Store a draft with its people, material and documents, or add it to the referral it
    supplements, or recognise it as held already.

    Returns the referral and ``created``, ``supplemented`` or ``duplicate``. A document for a
    reference already held, with different content (an updated package, a further report), is
    a supplementary report: kept beside the first byte for byte, its new facts recorded as
    research. Nothing the force was sent before is ever changed.
    """
    require(actor, Action.REFERRAL_IMPORT)
    # A batch of one.
    lookups = _Lookups()
    with transaction.atomic():
        stored = _store_atomically(draft, actor, as_of, lookups)
        lookups.flush()
    return stored


def _store_atomically(draft: ReferralDraft, actor, as_of, lookups: _Lookups):
    """One referral in its own savepoint of the batch's transaction; what it leaves to be
    written at the batch's end joins the batch's only once it is stored."""
    if not lookups.surely_new(draft):
        # It may be a supplement, which writes its rows at once (with the ids the database
        # gives): those of the batch's referrals before it go first, as one at a time (and
        # outside its savepoint), and the ids taken ahead are given back.
        lookups.flush()
    elif lookups.may_link_to_waiting(draft):
        # Its grade may read the people of a referral of the batch whose rows wait.
        lookups.flush(give_back=False)
    mark = lookups.ids.mark()
    mine = _Writes(lookups.ids)
    try:
        try:
            with transaction.atomic():
                stored = _store(draft, actor, as_of, lookups, mine)
        except IntegrityError:
            # Another import of the same reference committed between our check and our insert:
            # this document is now the same again, or a supplement to it.
            lookups.ids.back_to(mark)
            mine = _Writes(lookups.ids)
            with transaction.atomic():
                stored = _store(draft, actor, as_of, lookups, mine)
    except BaseException:
        lookups.ids.back_to(mark)
        raise
    lookups.stored(mine, stored[1])
    return stored


def _store(
    draft: ReferralDraft, actor: Actor, as_of: datetime, lookups: _Lookups, writes: "_Writes"
) -> tuple[Referral, str]:
    force = lookups.force(draft.force_code)
    if force is None:
        raise IntakeError(
            _(
                "force %(force)s is not known to Vigil; an administrator adds it with "
                "`vigil forces add %(code)s NAME`"
            )
            % {"force": repr(draft.force_code), "code": draft.force_code},
            "$.force",
        )
    if not isinstance(actor, SystemActor) and actor.force_id != force.pk:
        raise IntakeError(
            _("you can import referrals for your own force only, not %(force_code)s")
            % {"force_code": force.code},
            "$.force",
        )
    existing = _held(draft, lookups)
    if existing is not None:
        if _is_held_document(existing, draft):
            return existing, "duplicate"
        return _supplement(existing, draft, actor, as_of), "supplemented"

    user = None if isinstance(actor, SystemActor) else actor
    referral = Referral(
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
        intake_warnings=[warning.as_dict() for warning in draft.warnings],
        content_digest=draft.content_digest,
        imported_at=as_of,
        imported_by=user,
        imported_by_name=actor_name(actor),
    )
    # In a batch, the referral and its people, their rows, links and grades are planned, to be
    # inserted with the batch's; alone, each is inserted at once.
    plan = writes.plan if lookups.planning else None
    if plan is None:
        referral.save(force_insert=True)
    else:
        plan(Referral, [referral])
    writes.documents.extend(_documents(referral, draft, received_at=draft.received_at))
    material = [Material(referral=referral, **asdict(material)) for material in draft.material]
    writes.material.extend(material)
    stored = people_services.add_people(
        referral, draft.people, draft.access, defer_identifiers=writes.identifiers, plan=plan
    )
    people = stored.people
    links = people_services.link_people(
        referral, people, held_keys=lookups.held_keys if plan else None, plan=plan
    )
    unknown_values.count(draft.warnings, at=as_of)
    # Graded as of its receipt (ages on that day), then carried forward to today, in the same
    # transaction: a referral imported late keeps the grade it had when it arrived. Its record
    # is built from the rows just written, not read back.
    new = risk_services.NewRows(
        people=people_services.new_people_records(referral, stored, links),
        refs={person.pk: person.ref for person in people},
        history=stored.history,
        material=material,
        linked={link.linked_referral_id for link in links} - {referral.pk},
        plan=plan,
        version=lookups.policy_version,
    )
    risk_services.assess_at_receipt(referral, actor=actor, as_of=as_of, new=new)
    sync_clocks(referral, as_of=as_of, new=True, assessments=new.assessments, defer=writes.clocks)
    writes.events.extend(new.events)
    writes.events.append(
        audit_event(
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
                "warnings": len(draft.warnings),
            },
        )
    )
    return referral, "created"


def _held(draft: ReferralDraft, lookups: _Lookups) -> Referral | None:
    existing = lookups.held(draft)
    if existing is None and draft.supplements:
        raise IntakeError(
            _(
                "no %(source)s referral %(supplements)s is held to add this to; import the "
                "referral it supplements first"
            )
            % {"source": draft.source, "supplements": repr(draft.supplements)},
            "$.supplements",
        )
    return existing


def _is_held_document(existing: Referral, draft: ReferralDraft) -> bool:
    """The same content as the referral or one of its supplements: the same report again."""
    return (
        existing.content_digest == draft.content_digest
        or Document.objects.filter(referral=existing, content_digest=draft.content_digest).exists()
    )


def _supplement(existing: Referral, draft: ReferralDraft, actor: Actor, as_of: datetime):
    """Add a supplementary report to the referral it concerns, through the guarded path: its
    documents kept, its people added as research (matched again, holders of new links told),
    new material and indicators added beside what was held, the referral re-graded."""
    label = (
        f"{existing.get_source_display()} supplementary report "
        f"{(draft.supplements and draft.source_reference) or existing.source_reference}"
    )
    try:
        with changing(actor, existing, as_of=as_of, **_SUPPLEMENTING) as change:
            referral = change.referral
            # Learned when the report was received, never before the referral itself.
            learned_at = min(max(draft.received_at, referral.received_at), as_of)
            Document.objects.bulk_create(
                _documents(referral, draft, supplementary=True, received_at=draft.received_at)
            )
            material = _new_material(referral, draft)
            if draft.warnings:
                referral.intake_warnings = [
                    *referral.intake_warnings,
                    *(
                        {**warning.as_dict(), "document": draft.source_reference}
                        for warning in draft.warnings
                    ),
                ]
                referral.save(update_fields=["intake_warnings"])
                unknown_values.count(draft.warnings, at=as_of)
            indicators = [i for i in draft.indicators if i not in referral.indicators]
            annotations = [a for a in draft.annotations if a not in referral.annotations]
            if indicators or annotations:
                referral.indicators = [*referral.indicators, *indicators]
                referral.annotations = [*referral.annotations, *annotations]
                referral.fact_sources = {
                    **referral.fact_sources,
                    **{
                        f"indicator:{code}": {"source": label, "at": learned_at.isoformat()}
                        for code in indicators
                    },
                }
                referral.save(update_fields=["indicators", "annotations", "fact_sources"])
            found = people_services.record_research(
                change,
                ResearchDraft(
                    source=label, learned_at=learned_at, people=draft.people, access=draft.access
                ),
                content={
                    "supplementary_report": draft.source_reference,
                    "documents": [document.name for document in draft.documents],
                },
                learned_at=learned_at,
            )
            change.facts_changed("supplementary report")
            change.describe(
                after={
                    "source_reference": draft.source_reference,
                    "content_digest": draft.content_digest,
                    "documents": [document.name for document in draft.documents],
                    "material": material,
                    "indicators": indicators,
                    "warnings": len(draft.warnings),
                    **found.research.summary,
                }
            )
    except Http404:
        raise IntakeError(
            _(
                "%(source)s reference %(source_reference)s is held by another force; send the "
                "supplementary report to them"
            )
            % {
                "source": existing.get_source_display(),
                "source_reference": repr(existing.source_reference),
            },
            "",
        ) from None
    except Conflict as error:
        raise IntakeError(
            _("%(message)s; reopen it to add a supplementary report") % {"message": error.message},
            "",
        ) from None
    except RecordError as error:
        raise IntakeError(" ".join(error.messages), "") from None
    return existing


def _documents(referral, draft: ReferralDraft, **fields) -> list[Document]:
    return [
        Document(
            referral=referral,
            name=document.name,
            media_type=document.media_type,
            content=document.content,
            size=len(document.content),
            sha256=hashlib.sha256(document.content).hexdigest(),
            content_digest=draft.content_digest,
            **fields,
        )
        for document in draft.documents
    ]


def _new_material(referral, draft: ReferralDraft) -> int:
    """Material the supplement reports that the referral did not hold (by its hashes)."""
    held = set(
        Material.objects.filter(referral=referral).values_list("md5", "sha1", "pdq", "file_name")
    )
    new = [
        item
        for item in draft.material
        if (item.md5, item.sha1, item.pdq, item.file_name) not in held
    ]
    Material.objects.bulk_create(Material(referral=referral, **asdict(item)) for item in new)
    return sum(item.count for item in new)

"""Exhibits, the known-image hash sets and triage: the use cases.

An exhibit belongs to a referral: it is read through ``restrict`` and changed through the guarded
path (``changing``). Hash sets are national or force reference data, not a referral's: importing
one is checked against ``hashset.manage`` and audited. A triage reads files only to hash them and
keeps paths, sizes, hashes, matches and counts: never a pixel.
"""

import functools
from array import array
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from vigil.audit.choices import AuditAction as Audit
from vigil.audit.services import record
from vigil.core.actors import actor_name, is_system
from vigil.core.permissions import Refused, has_permission, require
from vigil.core.roles import Action
from vigil.referrals.changes import Change, RecordError, changing
from vigil.referrals.services import find_referral, set_possession

from . import categories, hashing, hashlists, hashsets
from .choices import ExaminationPath, ExhibitKind, HashSetFormat
from .matching import PdqIndex
from .models import (
    Exhibit,
    HashSet,
    HashSetVersion,
    KnownHash,
    TriageFile,
    TriageMatch,
    TriageRun,
)

# Rows written per statement when importing a hash set (SQLite; PostgreSQL streams one COPY).
IMPORT_BATCH = 20_000
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
# Files hashed between two saves of a triage's progress.
TRIAGE_BATCH = 50
LOOKUP_BATCH = 500
# Known PDQ hashes read at a time into the near-match index.
PDQ_CHUNK = 50_000
# From this many images, the near-match index is built with multi-index hashing (its tables take
# about as long to build as this many flat queries; docs/performance.md#pdq-queries).
MULTI_HASH_FROM = 10_000

Progress = Callable[[int], None]


def _no_progress(_count: int) -> None:
    return None


# Exhibits ------------------------------------------------------------------------------------


def add_exhibit(
    actor,
    referral,
    reference: str,
    *,
    kind: str,
    as_of: datetime,
    seized_at: datetime | None = None,
    seized_where: str = "",
    held_by: str = "",
    expected_version: int | None = None,
) -> Exhibit:
    """Record a device seized or produced in a referral, under its exhibit reference."""
    if isinstance(referral, str):
        referral = find_referral(actor, referral, Action.EXHIBIT_RECORD).pk
    with changing(
        actor,
        referral,
        permission=Action.EXHIBIT_RECORD,
        audit=Audit.EXHIBIT_ADDED,
        as_of=as_of,
        expected_version=expected_version,
    ) as change:
        exhibit = new_exhibit(
            change,
            reference,
            kind=kind,
            seized_at=seized_at,
            seized_where=seized_where,
            held_by=held_by,
        )
    return exhibit


def new_exhibit(
    change: Change,
    reference: str,
    *,
    kind: str,
    seized_at: datetime | None = None,
    seized_where: str = "",
    held_by: str = "",
) -> Exhibit:
    """The exhibit made inside a change of its referral (``add_exhibit``, the page, the API)."""
    reference = reference.strip()
    if not reference:
        raise RecordError(_("An exhibit needs its reference."))
    if kind not in ExhibitKind.values:
        raise RecordError(
            _("%(kind)r is not a kind of exhibit (%(kinds)s).")
            % {"kind": kind, "kinds": ", ".join(ExhibitKind.values)}
        )
    if seized_at is not None and seized_at > change.as_of:
        raise RecordError(_("A device cannot have been seized in the future."))
    if Exhibit.objects.filter(referral=change.referral, reference=reference).exists():
        raise RecordError(
            _("%(referral)s already has an exhibit %(reference)s.")
            % {"referral": change.referral.source_reference, "reference": reference}
        )
    exhibit = Exhibit.objects.create(
        referral=change.referral,
        reference=reference,
        kind=kind,
        seized_at=seized_at,
        seized_where=seized_where,
        held_by=held_by,
        **change.recorded(),
    )
    change.describe(
        exhibit,
        after={
            "referral": change.referral.pk,
            "reference": reference,
            "kind": kind,
            "seized_at": seized_at.isoformat() if seized_at else None,
        },
    )
    return exhibit


def find_exhibit(actor, text: str, action: str = Action.REFERRAL_VIEW) -> Exhibit:
    """One exhibit by its reference (or ``#id``), if this actor may see it; else Http404."""
    require(actor, action)
    visible = Exhibit.objects.restrict(actor, action).select_related("referral")
    text = str(text).strip()
    if text.startswith("#") and text[1:].isdigit():
        found = list(visible.filter(pk=int(text[1:])))
    else:
        found = list(visible.filter(reference=text)[:2])
    if len(found) > 1:
        raise Http404(f"more than one referral has an exhibit {text}; give its id as #ID")
    if not found:
        raise Http404(f"No exhibit {text} found.")
    return found[0]


# Hash sets -----------------------------------------------------------------------------------


def category_table() -> categories.CategoryTable:
    """The category table in use (``VIGIL_CATEGORY_TABLE``, else the one shipped)."""
    return categories.load(getattr(settings, "VIGIL_CATEGORY_TABLE", None))


def import_hashset(
    actor,
    path: Path | str,
    *,
    name: str,
    format: str | None = None,
    as_of: datetime,
    progress: Progress = _no_progress,
) -> HashSetVersion:
    """Import a hash set file as the new version of the named set.

    The hashes are written beside the current version, then the set switches to them in one
    transaction: triage sees the old set or the new one, never a mixture. A failed or stopped
    import leaves the old version in place.
    """
    require(actor, Action.HASHSET_MANAGE)
    name = name.strip()
    if not name:
        raise hashsets.HashSetError("a hash set needs a name")
    format = format or hashsets.guess_format(path)
    if format not in HashSetFormat.values:
        raise hashsets.HashSetError(f"unknown hash set format {format!r} (vics or csv)")
    format_version = "csv" if format == "csv" else hashsets.inspect_vics(path).version
    rows = hashsets.read(path, format)
    table = category_table()
    with transaction.atomic():
        hash_set, _ = HashSet.objects.get_or_create(name=name)
        last = HashSetVersion.objects.filter(hash_set=hash_set).aggregate(Max("number"))
        version = HashSetVersion.objects.create(
            hash_set=hash_set,
            number=(last["number__max"] or 0) + 1,
            source=str(Path(path).resolve())[:500],
            format=format,
            format_version=format_version,
            category_table=f"{table.version} ({table.profile})"[:80],
            imported_at=as_of,
            imported_by=None if is_system(actor) else actor,
            imported_by_name=actor_name(actor),
        )
    try:
        size = _write_hashes(
            version.pk, rows, functools.lru_cache(maxsize=4096)(table.name), progress
        )
    except BaseException:
        KnownHash.objects.filter(version=version).delete()
        version.delete()
        raise
    with transaction.atomic():
        hash_set = HashSet.objects.select_for_update().get(pk=hash_set.pk)
        old = hash_set.current
        version.size = size
        version.complete = True
        version.save(update_fields=["size", "complete"])
        hash_set.current = version
        hash_set.save(update_fields=["current"])
        record(
            actor,
            Audit.HASHSET_IMPORTED,
            version,
            at=as_of,
            before=_version_summary(old) if old else None,
            after=_version_summary(version),
        )
    if old is not None:
        # The old version's hashes are out of use once the switch commits.
        KnownHash.objects.filter(version=old).delete()
    if connection.vendor == "postgresql":
        # Fresh statistics: without them, after a bulk load the planner expects thousands of
        # rows a hash and reads the table instead of the index (seconds, not milliseconds).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {KnownHash._meta.db_table}")
    return version


def _version_summary(version: HashSetVersion) -> dict:
    return {
        "name": version.hash_set.name,
        "version": version.number,
        "source": version.source,
        "format": version.format,
        "format_version": version.format_version,
        "size": version.size,
        "category_table": version.category_table,
    }


def _write_hashes(version_id: int, rows: Iterable, category_of, progress: Progress) -> int:
    columns = "(version_id, md5, sha1, pdq, category, victim_identified, series)"
    table = KnownHash._meta.db_table
    count = 0
    if connection.vendor == "postgresql":
        # One COPY streams every row: the fastest way into PostgreSQL.
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy,
        ):
            for md5, sha1, pdq, raw, victim, series in rows:
                copy.write_row((version_id, md5, sha1, pdq, category_of(raw)[:40], victim, series))
                count += 1
                if count % IMPORT_BATCH == 0:
                    progress(IMPORT_BATCH)
        progress(count % IMPORT_BATCH)
        return count
    sql = f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        # A larger page cache while importing: the hash indexes take random keys.
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        return _insert_batches(sql, version_id, rows, category_of, progress)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


def _insert_batches(sql, version_id, rows, category_of, progress) -> int:
    count = 0
    batch = []
    for md5, sha1, pdq, raw, victim, series in rows:
        batch.append((version_id, md5, sha1, pdq, category_of(raw)[:40], victim, series))
        if len(batch) >= IMPORT_BATCH:
            count += _insert(sql, batch)
            progress(len(batch))
            batch = []
    if batch:
        count += _insert(sql, batch)
        progress(len(batch))
    return count


def _insert(sql: str, batch: list) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, batch)
    return len(batch)


def hash_set_list(actor) -> list[dict]:
    """Every hash set with its current version's source, format and size."""
    if not (
        has_permission(actor, Action.HASHSET_MANAGE) or has_permission(actor, Action.TRIAGE_RUN)
    ):
        raise Refused(Action.HASHSET_MANAGE)
    listed = []
    for hash_set in HashSet.objects.select_related("current").order_by("name"):
        if hash_set.current is None:
            continue
        summary = _version_summary(hash_set.current)
        summary["imported_at"] = hash_set.current.imported_at.isoformat()
        summary["imported_by"] = hash_set.current.imported_by_name
        listed.append(summary)
    return listed


# Triage --------------------------------------------------------------------------------------


def start_triage(actor, exhibit: str, source: Path | str, *, as_of: datetime) -> TriageRun:
    """Start a triage of an exhibit from a folder (a mounted device) or a hash list, or take up
    the unfinished one from the same place (a stopped run resumes where it stopped)."""
    require(actor, Action.TRIAGE_RUN)
    found = find_exhibit(actor, exhibit, Action.TRIAGE_RUN)
    refuse_if_gone(found)
    source = Path(source).resolve()
    if not source.exists():
        raise RecordError(_("%(source)s does not exist.") % {"source": source})
    kind = "folder" if source.is_dir() else "list"
    unfinished = (
        TriageRun.objects.restrict(actor, Action.TRIAGE_RUN)
        .filter(exhibit=found, source=str(source), finished_at=None)
        .order_by("-pk")
        .first()
    )
    if unfinished is not None:
        return unfinished
    with changing(
        actor,
        found.referral_id,
        permission=Action.TRIAGE_RUN,
        audit=Audit.TRIAGE_STARTED,
        as_of=as_of,
    ) as change:
        run = TriageRun.objects.create(
            exhibit=found,
            source=str(source),
            source_kind=kind,
            started_at=as_of,
            started_by_name=actor_name(actor),
        )
        if found.path == ExaminationPath.WAITING:
            # Its examination has started: the device leaves the queue (its clock is met).
            found.path = ExaminationPath.TRIAGE
            found.left_queue_at = as_of
            found.left_queue_to = ExaminationPath.TRIAGE
            found.save(update_fields=["path", "left_queue_at", "left_queue_to"])
        change.describe(
            run, after={"exhibit": found.reference, "source": str(source), "kind": kind}
        )
    return run


def refuse_if_gone(exhibit: Exhibit) -> None:
    """A device returned or destroyed is no longer held: it cannot be triaged."""
    if exhibit.path == ExaminationPath.RETURNED:
        raise RecordError(
            _("Exhibit %(reference)s has been returned: a device no longer held cannot be triaged.")
            % {"reference": exhibit.reference}
        )
    if exhibit.path == ExaminationPath.DESTROYED:
        raise RecordError(
            _(
                "Exhibit %(reference)s has been destroyed: a device no longer held cannot be "
                "triaged."
            )
            % {"reference": exhibit.reference}
        )


def files_to_read(run: TriageRun) -> int:
    """How many files the run has still to read (for a progress bar), or 0 for a hash list."""
    if run.source_kind != "folder":
        return 0
    return sum(1 for _ in hashing.walk(run.source)) - run.files.count()


def read_files(run: TriageRun, progress: Progress = _no_progress) -> int:
    """Hash every file of the run's source not yet hashed, saving progress every few files (and
    when stopped), so a stopped run never reads a file twice. Returns how many it read."""
    done = set(TriageFile.objects.filter(run=run).values_list("path", flat=True))
    pending: list[TriageFile] = []
    count = 0
    try:
        for item in _items(run):
            if item.path in done:
                continue
            # A list may name a file twice: it is read once.
            done.add(item.path)
            pending.append(item)
            count += 1
            progress(1)
            if len(pending) >= TRIAGE_BATCH:
                TriageFile.objects.bulk_create(pending)
                pending = []
    finally:
        if pending:
            TriageFile.objects.bulk_create(pending)
    return count


def _items(run: TriageRun):
    root = Path(run.source)
    if run.source_kind == "list":
        for path, size, md5, sha1 in hashlists.read(root):
            yield TriageFile(run=run, path=_storable(path), size=size, md5=md5, sha1=sha1)
        return
    for path in hashing.walk(root):
        relative = _storable(str(path.relative_to(root)))
        try:
            size, md5, sha1 = hashing.file_digests(path)
        except OSError:
            # Unreadable (a bad sector, no permission): kept with no hashes, so it is counted.
            yield TriageFile(run=run, path=relative)
            continue
        pdq = hashing.pdq_of(path)
        yield TriageFile(
            run=run,
            path=relative,
            size=size,
            md5=md5,
            sha1=sha1,
            is_image=pdq is not None,
            pdq=pdq[0] if pdq else "",
            pdq_quality=pdq[1] if pdq else None,
        )


def _storable(path: str) -> str:
    """A path as text the database takes: a name that is not UTF-8 keeps its bytes as escapes."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")[:1000]


def finish_triage(actor, run: TriageRun, *, as_of: datetime) -> dict:
    """Match the run's files against the current hash sets, and record the answer and the
    matches on the exhibit: exact matches by MD5 or SHA-1, near matches by PDQ (distance 31 or
    less, quality 50 or more)."""
    require(actor, Action.TRIAGE_RUN)
    files = list(
        TriageFile.objects.filter(run=run).values_list(
            "path", "md5", "sha1", "is_image", "pdq", "pdq_quality"
        )
    )
    versions = {
        version.pk: version
        for version in HashSetVersion.objects.filter(
            pk__in=HashSet.objects.exclude(current=None).values("current")
        ).select_related("hash_set")
    }
    exact = _exact_matches(files, versions)
    near = _near_matches(files, versions, exclude=set(exact))
    result = _answer(files, exact, near)
    with changing(
        actor,
        run.exhibit.referral_id,
        permission=Action.TRIAGE_RUN,
        audit=Audit.TRIAGE_RECORDED,
        as_of=as_of,
    ) as change:
        run = TriageRun.objects.select_related("exhibit").get(pk=run.pk)
        if run.finished_at is not None:
            raise RecordError(_("This triage is already recorded."))
        # Returned or destroyed while the run was stopped: its answer is not recorded.
        refuse_if_gone(run.exhibit)
        TriageMatch.objects.bulk_create(
            TriageMatch(run=run, **match)
            for matches in (exact, near)
            for found in matches.values()
            for match in found
        )
        run.result = result
        run.finished_at = as_of
        run.hash_sets = {version.hash_set.name: version.number for version in versions.values()}
        run.save(update_fields=["result", "finished_at", "hash_sets"])
        run.exhibit.triage = result
        run.exhibit.unknown_images = result["unknown_images"]
        run.exhibit.save(update_fields=["triage", "unknown_images"])
        # The counts by category become facts of the referral, with the exhibit and the run as
        # their source, replacing what an earlier triage of the exhibit found; the referral is
        # re-graded when they changed (by the guarded path, after this).
        regraded = set_possession(
            change,
            f"exhibit:{run.exhibit.pk}",
            result["categories"],
            source=f"triage of exhibit {run.exhibit.reference} (run {run.pk})",
            learned_at=as_of,
        )
        change.describe(
            run,
            after={
                "exhibit": run.exhibit.reference,
                **result,
                "hash_sets": run.hash_sets,
                "possession_changed": regraded,
            },
        )
    return result


def triage(
    actor,
    exhibit: str,
    source: Path | str,
    *,
    as_of: datetime,
    finished_as_of: datetime | None = None,
    progress: Progress = _no_progress,
) -> dict:
    """Triage an exhibit from a folder or hash list: start (or resume), read, match, record."""
    run = start_triage(actor, exhibit, source, as_of=as_of)
    read_files(run, progress)
    return finish_triage(actor, run, as_of=finished_as_of or as_of)


def _exact_matches(files, versions) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    if not versions:
        return found
    for kind, column in (("md5", 1), ("sha1", 2)):
        by_hash: dict[str, list[str]] = {}
        for row in files:
            if row[column]:
                by_hash.setdefault(row[column], []).append(row[0])
        values = list(by_hash)
        for start in range(0, len(values), LOOKUP_BATCH):
            # By the hash's index alone: the current versions are picked out here, as a filter
            # on the version in SQL can lead the planner to scan the whole version instead.
            known = KnownHash.objects.filter(
                **{f"{kind}__in": values[start : start + LOOKUP_BATCH]}
            ).values_list(kind, "version_id", "category", "victim_identified", "series")
            for value, version_id, category, victim, series in known:
                version = versions.get(version_id)
                if version is None:
                    continue
                for path in by_hash[value]:
                    matches = found.setdefault(path, [])
                    if any(
                        m["hash_set"] == version.hash_set.name
                        and m["category"] == category
                        and (m["victim_identified"], m["series"]) == (victim, series)
                        for m in matches
                    ):
                        continue
                    matches.append(
                        {
                            "path": path,
                            "kind": kind,
                            "hash": value,
                            "hash_set": version.hash_set.name,
                            "hash_set_version": version.number,
                            "category": category,
                            "distance": 0,
                            "victim_identified": victim,
                            "series": series,
                        }
                    )
    return found


def _near_matches(files, versions, exclude: set[str]) -> dict[str, list[dict]]:
    queries = [
        row
        for row in files
        if row[3] and row[4] and (row[5] or 0) >= hashing.PDQ_MIN_QUALITY and row[0] not in exclude
    ]
    if not queries or not versions:
        return {}
    # Only the packed codes and the rows' ids are held (32 + 8 bytes a hash); the few rows
    # matched are read afterwards.
    index = PdqIndex(multi_hash=len(queries) >= MULTI_HASH_FROM)
    ids = array("q")
    chunk: list[tuple[int, str]] = []
    known = (
        KnownHash.objects.filter(version_id__in=list(versions))
        .exclude(pdq="")
        .values_list("pk", "pdq")
        .iterator(chunk_size=PDQ_CHUNK)
    )
    for row in known:
        chunk.append(row)
        if len(chunk) >= PDQ_CHUNK:
            _add_chunk(index, ids, chunk)
            chunk = []
    _add_chunk(index, ids, chunk)
    hits = index.near(row[4] for row in queries)
    rows = {
        row["pk"]: row
        for row in KnownHash.objects.filter(
            pk__in={ids[position] for _, position, _ in hits}
        ).values("pk", "pdq", "version_id", "category", "victim_identified", "series")
    }
    found: dict[str, list[dict]] = {}
    for query, position, distance in hits:
        path = queries[query][0]
        known_row = rows[ids[position]]
        version = versions[known_row["version_id"]]
        found.setdefault(path, []).append(
            {
                "path": path,
                "kind": "pdq",
                "hash": known_row["pdq"],
                "hash_set": version.hash_set.name,
                "hash_set_version": version.number,
                "category": known_row["category"],
                "distance": distance,
                "victim_identified": known_row["victim_identified"],
                "series": known_row["series"],
            }
        )
    return found


def _add_chunk(index: PdqIndex, ids: array, chunk: list[tuple[int, str]]) -> None:
    if chunk:
        ids.extend(pk for pk, _ in chunk)
        index.add(pdq for _, pdq in chunk)


def _answer(files, exact: dict, near: dict) -> dict:
    counts = {"A": 0, "B": 0, "C": 0, "other": 0}
    for matches in (exact, near):
        for found in matches.values():
            severest = categories.most_severe(match["category"] for match in found)
            counts[categories.bucket(severest)] += 1
    images = [row[0] for row in files if row[3]]
    return {
        "files": len(files),
        "images": len(images),
        "exact": len(exact),
        "near": len(near),
        "categories": counts,
        "unknown_images": sum(1 for path in images if path not in exact and path not in near),
    }


def triage_matches(actor, exhibit: str) -> list[dict]:
    """The match list of an exhibit's last finished triage (hash, path, set, category,
    distance, and the entry's victim-identified and series fields)."""
    return list(_match_rows(actor, _last_run(actor, find_exhibit(actor, exhibit))))


MATCH_FIELDS = (
    "path",
    "kind",
    "hash",
    "hash_set",
    "hash_set_version",
    "category",
    "distance",
    "victim_identified",
    "series",
)
# Matches on one page of the exhibit page and the API.
MATCHES_PER_PAGE = 100


def _match_rows(actor, run: TriageRun | None):
    if run is None:
        return TriageMatch.objects.none().values(*MATCH_FIELDS)
    return (
        TriageMatch.objects.restrict(actor)
        .filter(run=run)
        .order_by("path", "distance", "pk")
        .values(*MATCH_FIELDS)
    )


def _last_run(actor, exhibit: Exhibit) -> TriageRun | None:
    return (
        TriageRun.objects.restrict(actor)
        .filter(exhibit=exhibit)
        .exclude(finished_at=None)
        .order_by("-finished_at", "-pk")
        .first()
    )


def victim_identification(actor, exhibit: str) -> list[dict]:
    """The files of an exhibit's last finished triage that matched a set entry saying whether
    its victim is identified, or naming its series: for the victim identification officers.

    Victims not yet identified first, then those the set says nothing of, then those already
    identified; within each, by series and path. Each row is a match (a file matching two such
    entries is listed twice)."""
    found = find_exhibit(actor, exhibit)
    return _victim_rows(actor, _last_run(actor, found))


def _victim_rows(actor, run: TriageRun | None) -> list[dict]:
    if run is None:
        return []
    rows = list(_match_rows(actor, run).filter(Q(victim_identified__isnull=False) | ~Q(series="")))
    order = {False: 0, None: 1, True: 2}
    rows.sort(
        key=lambda row: (order[row["victim_identified"]], row["series"], row["path"], row["kind"])
    )
    return rows


def triage_summary(actor, exhibit: str) -> dict:
    """An exhibit and its last finished triage: the answer, the unknown images waiting for an
    examiner, when and from where it ran, and how many files are listed for victim
    identification."""
    found = find_exhibit(actor, exhibit)
    run = _last_run(actor, found)
    return _summary(found, run, len(_victim_rows(actor, run)))


def _summary(found: Exhibit, run: TriageRun | None, victims: int) -> dict:
    return {
        "exhibit": found.reference,
        "referral": found.referral.source_reference,
        "kind": found.kind,
        "path": found.path,
        "triage": found.triage,
        "unknown_images": found.unknown_images,
        "run": None
        if run is None
        else {
            "id": run.pk,
            "source": run.source,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat(),
            "hash_sets": run.hash_sets,
        },
        "victim_identification": victims,
    }


def triage_results(actor, exhibit: str, *, page: int = 1, per_page: int | None = None) -> dict:
    """What the exhibit page and the API show of its last finished triage: the summary (as
    ``triage_summary``, with the exhibit's and referral's ids), the whole victim identification
    list, and one page of the match list (past the last page, an empty one)."""
    per_page = per_page or MATCHES_PER_PAGE
    found = find_exhibit(actor, exhibit)
    run = _last_run(actor, found)
    victims = _victim_rows(actor, run)
    matches = _match_rows(actor, run)
    count = matches.count()
    # Past any real list a page is just empty; an offset over 64 bits is a database error.
    page = min(max(page, 1), 1_000_000)
    start = (page - 1) * per_page
    return {
        **_summary(found, run, len(victims)),
        "exhibit_id": found.pk,
        "referral_id": found.referral_id,
        "victim_identification_list": victims,
        "matches": {
            "count": count,
            "page": page,
            "pages": max(1, -(-count // per_page)),
            "per_page": per_page,
            "results": list(matches[start : start + per_page]),
        },
    }


def unknown_images_by_force(actor) -> dict[str, int]:
    """Images that matched nothing in the last triage of each exhibit, summed per force holding
    the referral (the examiners' queue): only the referrals this actor may see."""
    totals = (
        Exhibit.objects.restrict(actor)
        .exclude(unknown_images=None)
        .values("referral__force__code")
        .annotate(total=Sum("unknown_images"))
        .order_by("referral__force__code")
    )
    return {row["referral__force__code"]: row["total"] for row in totals}

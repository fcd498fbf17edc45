"""Finding referrals in what a user hands over: files, folders, zips and uploads.

Each path becomes one or more *units*: a JSON file (which may hold many referrals) or a
CyberTipline package (one referral). Anything refused before it is read (too large, not a
format Vigil reads, a broken zip) becomes a ``Refusal`` naming the file and why. Nothing here
touches the database.
"""

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from vigil.referrals.drafts import SourceDocument

from . import cybertip

JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
FORMATS = ("auto", "json", "cybertip")


@dataclass(frozen=True)
class Limits:
    max_document_bytes: int
    max_package_bytes: int
    max_package_files: int


@dataclass
class JsonUnit:
    """A JSON or JSON Lines file; ``lines`` streams a JSON Lines file from disk."""

    name: str
    content: bytes = b""
    path: Path | None = None

    @property
    def is_lines(self) -> bool:
        return self.name.lower().endswith((".jsonl", ".ndjson"))


@dataclass
class PackageUnit:
    """One CyberTipline package: its XML documents, and notes on anything left out of it."""

    name: str
    documents: list[SourceDocument]
    notes: list[str] = field(default_factory=list)
    # Where it came from, for messages: the folder, the zip (and folder in it) or the file.
    origin: str = ""


@dataclass(frozen=True)
class Refusal:
    name: str
    error: str
    location: str = ""


Unit = JsonUnit | PackageUnit | Refusal


def _too_large(size: int, limit: int) -> str:
    return (
        f"the file is {size / 1_048_576:.1f} MB, over the {limit / 1_048_576:.0f} MB limit "
        "for one document; split it, or send a batch as JSON Lines (.jsonl)"
    )


def units_from_paths(paths: Iterable[str | Path], fmt: str, limits: Limits) -> Iterator[Unit]:
    for given in paths:
        path = Path(given)
        if not path.exists():
            yield Refusal(str(given), "no such file or folder")
        elif path.is_dir():
            yield from _folder(path, fmt, limits)
        else:
            yield from _file(path, fmt, limits)


def _folder(path: Path, fmt: str, limits: Limits) -> Iterator[Unit]:
    entries = sorted(path.iterdir())
    if fmt != "json" and any(entry.name.lower() == "report.xml" for entry in entries):
        yield _folder_package(path, entries, limits)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _folder(entry, fmt, limits)
        else:
            yield from _file(entry, fmt, limits)


def _folder_package(path: Path, entries: list[Path], limits: Limits) -> Unit:
    documents, notes, total = [], [], 0
    for entry in entries:
        if entry.is_dir() or entry.suffix.lower() != ".xml":
            if not entry.name.startswith("."):
                notes.append(_left_out(entry.name))
            continue
        size = entry.stat().st_size
        if size > limits.max_document_bytes:
            return Refusal(str(entry), _too_large(size, limits.max_document_bytes))
        total += size
        if total > limits.max_package_bytes or len(documents) >= limits.max_package_files:
            return Refusal(str(path), "the package is larger than Vigil accepts")
        documents.append(SourceDocument(entry.name, cybertip.MEDIA_TYPE, entry.read_bytes()))
    return PackageUnit(path.name, documents, notes, origin=str(path))


def _left_out(name: str) -> str:
    return (
        f"{name} was left out: Vigil keeps a package's XML documents only, never reported "
        "files or anything else"
    )


def _file(path: Path, fmt: str, limits: Limits) -> Iterator[Unit]:
    size = path.stat().st_size
    kind = _kind(path.name, fmt, lambda: _head(path))
    if kind == "jsonl":
        yield JsonUnit(str(path), path=path)
        return
    if kind == "zip":
        if size > limits.max_package_bytes:
            yield Refusal(str(path), _too_large(size, limits.max_package_bytes))
            return
        yield from _zip(str(path), path.read_bytes(), limits)
        return
    if size > limits.max_document_bytes:
        yield Refusal(str(path), _too_large(size, limits.max_document_bytes))
        return
    yield from _loaded(str(path), kind, path.read_bytes())


def units_from_uploads(files: Iterable[tuple[str, bytes]], limits: Limits) -> Iterator[Unit]:
    """Uploaded files (name, bytes); the web server has already capped their size."""
    for name, content in files:
        kind = _kind(name, "auto", lambda content=content: content[:64])
        if kind == "zip":
            yield from _zip(name, content, limits)
        elif len(content) > limits.max_document_bytes and kind != "jsonl":
            yield Refusal(name, _too_large(len(content), limits.max_document_bytes))
        elif kind == "jsonl":
            yield JsonUnit(name, content=content)
        else:
            yield from _loaded(name, kind, content)


def _loaded(name: str, kind: str, content: bytes) -> Iterator[Unit]:
    if kind == "json":
        yield JsonUnit(name, content=content)
    elif kind == "xml":
        tag = cybertip.root_tag(content)
        if tag == "fileDetails":
            yield Refusal(
                name,
                "a <fileDetails> document on its own is not a referral; import the folder or "
                "zip that holds it with its report.xml",
            )
        else:
            document = SourceDocument(PurePosixPath(name).name, cybertip.MEDIA_TYPE, content)
            yield PackageUnit(PurePosixPath(name).stem, [document], origin=name)
    else:
        yield Refusal(
            name,
            "not a referral document Vigil reads: give JSON (.json, .jsonl), CyberTipline XML "
            "(.xml), a CyberTipline folder or a .zip of one",
        )


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(64)


def _kind(name: str, fmt: str, head) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if fmt == "json" or suffix == ".json":
        return "json"
    if suffix == ".zip":
        return "zip"
    if fmt == "cybertip" or suffix == ".xml":
        return "xml"
    start = head().lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"PK\x03\x04"):
        return "zip"
    if start[:1] in {b"{", b"["}:
        return "json"
    if start[:1] == b"<":
        return "xml"
    return "unknown"


def _zip(name: str, content: bytes, limits: Limits) -> Iterator[Unit]:
    """Each folder in the zip that holds a report.xml is one package."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError):
        yield Refusal(name, "not a readable zip file")
        return
    if len(members) > limits.max_package_files:
        yield Refusal(name, f"the zip holds {len(members)} files, more than Vigil accepts")
        return
    declared = sum(info.file_size for info in members)
    if declared > limits.max_package_bytes:
        yield Refusal(name, "the zip expands to more than Vigil accepts (a possible zip bomb)")
        return
    folders: dict[str, list[zipfile.ZipInfo]] = {}
    for info in members:
        folders.setdefault(str(PurePosixPath(info.filename).parent), []).append(info)
    packages = {
        folder: infos
        for folder, infos in folders.items()
        if any(PurePosixPath(i.filename).name.lower() == "report.xml" for i in infos)
    }
    if not packages:
        yield Refusal(name, "the zip holds no report.xml, so it is not a CyberTipline package")
        return
    stem = PurePosixPath(name).stem
    for folder, infos in sorted(packages.items()):
        yield _zip_package(archive, name, stem if folder == "." else folder, infos, limits)
    for folder in sorted(set(folders) - set(packages)):
        yield Refusal(f"{name}/{folder}", "this folder in the zip holds no report.xml")


def _zip_package(
    archive: zipfile.ZipFile, zip_name: str, package: str, infos, limits: Limits
) -> Unit:
    documents, notes = [], []
    for info in sorted(infos, key=lambda i: i.filename):
        base = PurePosixPath(info.filename).name
        if base.startswith(".") or PurePosixPath(base).suffix.lower() != ".xml":
            notes.append(_left_out(base))
            continue
        if info.flag_bits & 0x1:
            return Refusal(f"{zip_name}/{info.filename}", "the file is encrypted")
        if info.file_size > limits.max_document_bytes:
            return Refusal(
                f"{zip_name}/{info.filename}",
                _too_large(info.file_size, limits.max_document_bytes),
            )
        try:
            with archive.open(info) as handle:
                # Read one byte past the limit: a header can lie about the size.
                data = handle.read(limits.max_document_bytes + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            return Refusal(f"{zip_name}/{info.filename}", "this file in the zip cannot be read")
        if len(data) > limits.max_document_bytes:
            return Refusal(
                f"{zip_name}/{info.filename}", _too_large(len(data), limits.max_document_bytes)
            )
        documents.append(SourceDocument(base, cybertip.MEDIA_TYPE, data))
    origin = zip_name if package == PurePosixPath(zip_name).stem else f"{zip_name}/{package}"
    return PackageUnit(PurePosixPath(package).name, documents, notes, origin=origin)


def estimate_count(paths: Iterable[str | Path]) -> int:
    """Roughly how many referrals these paths hold, for a progress bar's time left."""
    total = 0
    for given in paths:
        path = Path(given)
        if path.is_dir():
            if (path / "report.xml").exists():
                total += 1
            else:
                total += estimate_count(sorted(path.iterdir()))
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix in {".jsonl", ".ndjson"}:
                with path.open("rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            elif suffix == ".json" and path.stat().st_size < 1_048_576:
                total += max(1, path.read_bytes().count(b'"schema"'))
            elif suffix == ".zip":
                try:
                    with zipfile.ZipFile(path) as archive:
                        total += sum(
                            PurePosixPath(name).name.lower() == "report.xml"
                            for name in archive.namelist()
                        )
                except (zipfile.BadZipFile, OSError):
                    total += 1
            else:
                total += 1
    return total

"""Reading known-image hash sets: Project VIC / CAID "VICS" JSON and plain CSV.

Pure: no Django. Both readers stream (a set of 10,000,000 hashes is never held in memory) and
yield ``(md5, sha1, pdq, category, victim_identified, series)`` with the hashes as lower-case
hex ("" when absent), the category as the set wrote it (a VICS number, or a CSV name; the
caller maps it through ``categories``), whether the victim is identified (True, False, or None
when the set does not say) and the series the image belongs to ("" when none): the two last for
victim identification.
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ijson

HEX = {"md5": 32, "sha1": 40, "pdq": 64}
_HEX_DIGITS = re.compile(r"\A[0-9a-f]*\Z")
_MODEL_VERSION = re.compile(r"DataModels/(\d+(?:\.\d+)*)", re.IGNORECASE)


SERIES_LENGTH = 200
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})

Row = tuple[str, str, str, str, bool | None, str]


def flag(value) -> bool | None:
    """A VICS boolean (``true``, ``"true"``, ``"True"``, 1…) as True or False; None when absent
    or unreadable (the set then says nothing)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def series_name(value) -> str:
    """A VICS ``Series``: a name, or an object with a ``Name``, or a list of either."""
    if value is None:
        return ""
    if isinstance(value, dict):
        named = {str(key).lower(): item for key, item in value.items()}
        return series_name(named.get("name"))
    if isinstance(value, list):
        return ", ".join(name for name in map(series_name, value) if name)[:SERIES_LENGTH]
    return str(value).strip()[:SERIES_LENGTH]


class HashSetError(ValueError):
    """A hash set Vigil cannot read, with where and why."""


@dataclass(frozen=True)
class VicsDocument:
    """What the start of a VICS document says about it."""

    version: str  # "1.2", "1.3", "2.0" (from the metadata URL; "1" or "2" when it names none)
    shape: str  # "media" (a hash set) or "cases" (a case export, each case with its Media)

    @property
    def prefix(self) -> str:
        return "value.item" if self.shape == "media" else "value.item.Media.item"


def clean(kind: str, value, where: str) -> str:
    """A hash as lower-case hex, or "" when absent; a malformed one is refused with where."""
    if value is None:
        return ""
    text = str(value).strip().lower()
    if not text:
        return ""
    if len(text) != HEX[kind] or not _HEX_DIGITS.match(text):
        raise HashSetError(
            f"{where}: {kind.upper()} {str(value)[:80]!r} is not {HEX[kind]} hex digits"
        )
    return text


def inspect_vics(path: Path | str) -> VicsDocument:
    """Read the start of a VICS document: its model version and whether it is a hash set (a
    ``value`` array of Media) or a case export (a ``value`` array of cases, each with Media)."""
    version = ""
    metadata_key = ""
    with open(path, "rb") as stream:
        try:
            for prefix, event, value in ijson.parse(stream):
                if prefix in ("odata.metadata", "@odata.context") and event == "string":
                    metadata_key = prefix
                    found = _MODEL_VERSION.search(value)
                    version = found.group(1) if found else ""
                elif prefix == "value.item" and event == "map_key":
                    if value == "Media":
                        shape = "cases"
                        break
                    if value.upper() in ("MD5", "SHA1", "PDQ", "CATEGORY"):
                        shape = "media"
                        break
                elif prefix == "value" and event == "end_array":
                    shape = "media"
                    break
            else:
                raise HashSetError(f"{path}: not a VICS document (no value array)")
        except ijson.JSONError as error:
            raise HashSetError(f"{path}: not valid JSON ({error})") from None
    if not metadata_key:
        raise HashSetError(
            f"{path}: not a VICS document (neither odata.metadata nor @odata.context before Media)"
        )
    if not version:
        version = "1" if metadata_key == "odata.metadata" else "2"
    return VicsDocument(version=version, shape=shape)


def read_vics(path: Path | str) -> Iterator[Row]:
    """Each Media of a VICS document (1.2, 1.3 or 2.0; hash set or case export), streamed."""
    document = inspect_vics(path)
    with open(path, "rb") as stream:
        try:
            for number, media in enumerate(ijson.items(stream, document.prefix), start=1):
                if not isinstance(media, dict):
                    raise HashSetError(f"{path}: Media {number} is not an object")
                where = f"{path}: Media {number}"
                fields = {key.upper(): value for key, value in media.items()}
                row = (
                    clean("md5", fields.get("MD5"), where),
                    clean("sha1", fields.get("SHA1"), where),
                    clean("pdq", fields.get("PDQ"), where),
                    "" if fields.get("CATEGORY") is None else str(fields["CATEGORY"]),
                    flag(fields.get("VICTIMIDENTIFIED")),
                    series_name(fields.get("SERIES")),
                )
                if row[0] or row[1] or row[2]:
                    yield row
        except ijson.JSONError as error:
            raise HashSetError(f"{path}: not valid JSON ({error})") from None


def read_csv(path: Path | str) -> Iterator[Row]:
    """Each row of a CSV hash set with the header ``md5,sha1,pdq,category`` (in any order; any
    column may be empty, and a row with no hash at all is skipped), and optionally the columns
    ``victim_identified`` and ``series``."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header = [name.strip().lower() for name in next(reader, [])]
        if not {"md5", "sha1", "pdq"} & set(header):
            raise HashSetError(
                f"{path}: line 1 must be a header naming md5, sha1, pdq and category columns"
            )
        unknown = set(header) - {"md5", "sha1", "pdq", "category", "victim_identified", "series"}
        if unknown:
            raise HashSetError(
                f"{path}: line 1 names unknown columns: {', '.join(sorted(unknown))}"
            )
        column = {name: header.index(name) for name in header}
        for line, cells in enumerate(reader, start=2):
            if not cells or not any(cell.strip() for cell in cells):
                continue
            where = f"{path}: line {line}"

            def cell(name, cells=cells):
                index = column.get(name)
                return cells[index] if index is not None and index < len(cells) else ""

            row = (
                clean("md5", cell("md5"), where),
                clean("sha1", cell("sha1"), where),
                clean("pdq", cell("pdq"), where),
                cell("category").strip(),
                flag(cell("victim_identified") or None),
                series_name(cell("series") or None),
            )
            if row[0] or row[1] or row[2]:
                yield row


def read(path: Path | str, format: str) -> Iterator[Row]:
    if format == "vics":
        return read_vics(path)
    if format == "csv":
        return read_csv(path)
    raise HashSetError(f"unknown hash set format {format!r} (vics or csv)")


def guess_format(path: Path | str) -> str:
    """vics for a .json file, csv otherwise."""
    return "vics" if str(path).lower().endswith(".json") else "csv"

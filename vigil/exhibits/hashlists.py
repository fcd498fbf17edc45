"""Reading the hash lists forensic tools export, for a triage without the device itself.

Pure: no Django. Three kinds, told apart by their first line:

- hashdeep: ``%%%% HASHDEEP-1.0`` then ``%%%% size,md5,sha1,filename`` (any of its hash columns),
  ``##`` comment lines, then one row per file;
- md5deep: one ``md5  path`` line per file (``-z`` adds the size first: ``size  md5  path``);
- a CSV with a header naming ``path`` and ``md5`` and/or ``sha1`` (``size`` optional).

Each yields ``(path, size or None, md5, sha1)``; a hash the list does not give is "".
"""

import csv
from collections.abc import Iterator
from pathlib import Path

from .hashsets import HashSetError, clean


def read(path: Path | str) -> Iterator[tuple[str, int | None, str, str]]:
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as stream:
        first = stream.readline()
        stream.seek(0)
        if first.startswith("%%%% HASHDEEP"):
            yield from _hashdeep(stream, path)
        elif "path" in [name.strip().lower() for name in first.split(",")]:
            yield from _csv(stream, path)
        else:
            yield from _md5deep(stream, path)


def _size(text: str, where: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise HashSetError(f"{where}: size {text[:40]!r} is not a number")
    return int(text)


def _hashdeep(stream, path) -> Iterator[tuple[str, int | None, str, str]]:
    columns: list[str] = []
    for line_number, line in enumerate(stream, start=1):
        line = line.rstrip("\r\n")
        if line.startswith("%%%%"):
            body = line[4:].strip()
            if not body.upper().startswith("HASHDEEP"):
                columns = [name.strip().lower() for name in body.split(",")]
            continue
        if not line or line.startswith("#"):
            continue
        if not columns or columns[-1] != "filename":
            raise HashSetError(f"{path}: line {line_number}: no %%%% column line before the rows")
        where = f"{path}: line {line_number}"
        cells = line.split(",", len(columns) - 1)
        if len(cells) != len(columns):
            raise HashSetError(f"{where}: expected {len(columns)} columns")
        row = dict(zip(columns, cells, strict=True))
        yield (
            row["filename"],
            _size(row.get("size", ""), where),
            clean("md5", row.get("md5"), where),
            clean("sha1", row.get("sha1"), where),
        )


def _md5deep(stream, path) -> Iterator[tuple[str, int | None, str, str]]:
    for line_number, line in enumerate(stream, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        where = f"{path}: line {line_number}"
        parts = line.split("  ", 2)
        if len(parts) == 3 and parts[0].strip().isdigit():
            size, md5, name = parts
        elif len(parts) >= 2:
            size, md5, name = "", parts[0], "  ".join(parts[1:])
        else:
            raise HashSetError(
                f"{where}: expected 'md5  path' (hashdeep, md5deep or path,md5,sha1 CSV)"
            )
        yield name, _size(size, where), clean("md5", md5, where), ""


def _csv(stream, path) -> Iterator[tuple[str, int | None, str, str]]:
    reader = csv.reader(stream)
    header = [name.strip().lower() for name in next(reader)]
    if not {"md5", "sha1"} & set(header):
        raise HashSetError(f"{path}: line 1 must name md5 and/or sha1 beside path")
    column = {name: index for index, name in enumerate(header)}
    for line_number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        where = f"{path}: line {line_number}"

        def cell(name, cells=cells):
            index = column.get(name)
            return cells[index] if index is not None and index < len(cells) else ""

        yield (
            cell("path"),
            _size(cell("size"), where),
            clean("md5", cell("md5"), where),
            clean("sha1", cell("sha1"), where),
        )

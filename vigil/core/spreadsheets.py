"""Cells a spreadsheet will not run: every table Vigil exports (CSV, XLSX) passes through here.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets strip first) is a formula to Excel and LibreOffice; a referral's text comes from
providers and the public, so such a cell is a way in (CSV injection).
"""

import csv
import io
from collections.abc import Iterable

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula: text starting =, +, -, @ (or a tab or
    carriage return) gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


def safe_rows(columns: Iterable, rows: Iterable[Iterable]):
    yield [spreadsheet_safe(column) for column in columns]
    for row in rows:
        yield [spreadsheet_safe("" if value is None else value) for value in row]


def csv_bytes(columns: Iterable, rows: Iterable[Iterable]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads accented names rightly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(safe_rows(columns, rows))
    return buffer.getvalue().encode("utf-8-sig")

"""Tables as CSV and XLSX (safe against spreadsheet formulas), and the inspection pack as PDF."""

import io
from datetime import datetime
from pathlib import Path

import matplotlib
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from vigil.core.spreadsheets import csv_bytes, safe_rows, spreadsheet_safe

from .charts import render
from .services import Period, Scope, Table


def _cells(table: Table):
    return safe_rows(table.columns, table.rows)


def as_csv(table: Table) -> bytes:
    return csv_bytes(table.columns, table.rows)


def as_xlsx(tables: list[Table]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(title=table.key[:31])
        for row in _cells(table):
            sheet.append(row)
        if table.note:
            sheet.append([])
            sheet.append([spreadsheet_safe(table.note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Reportlab's built-in fonts cannot draw ŵ or ŷ (Welsh): the pack uses DejaVu Sans, which
# matplotlib (the charts) ships.
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _register_fonts() -> None:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont("DejaVuSans", FONTS / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", FONTS / "DejaVuSans-Bold.ttf"))
    addMapping("DejaVuSans", 0, 0, "DejaVuSans")
    addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    addMapping("DejaVuSans", 0, 1, "DejaVuSans")
    addMapping("DejaVuSans", 1, 1, "DejaVuSans-Bold")


def inspection_pack(tables: list[Table], scope: Scope, period: Period, as_of: datetime) -> bytes:
    """One PDF with every chart and table for the scope and period (an inspector's pack), in
    the language active when it is made."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as PdfTable

    buffer = io.BytesIO()
    page = landscape(A4)
    document = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Vigil inspection pack: %(scope)s") % {"scope": scope.label},
        author="Vigil",
    )
    _register_fonts()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        if hasattr(style, "fontName"):
            bold = style.fontName.endswith("-Bold")
            style.fontName = "DejaVuSans-Bold" if bold else "DejaVuSans"
    small = styles["BodyText"].clone("small", fontSize=7, leading=9)
    story = [
        Paragraph(_("Inspection pack: %(scope)s") % {"scope": scope.label}, styles["Title"]),
        Paragraph(
            _("Period %(period)s; figures as of %(as_of)s (London time).")
            % {
                "period": period,
                "as_of": formats.date_format(timezone.localtime(as_of), "d F Y H:i"),
            },
            styles["BodyText"],
        ),
        Paragraph(
            _("Counted from Vigil's own records. No person is named in this pack."),
            styles["BodyText"],
        ),
        Spacer(1, 6 * mm),
    ]
    width = page[0] - 30 * mm
    for table in tables:
        story.append(Paragraph(table.title, styles["Heading2"]))
        chart = render(table)
        if chart:
            image = Image(io.BytesIO(chart))
            ratio = width * 0.7 / image.drawWidth
            image.drawWidth, image.drawHeight = image.drawWidth * ratio, image.drawHeight * ratio
            story.append(image)
        rows = [[Paragraph(str(c), small) for c in table.columns]]
        rows += [
            [Paragraph("–" if v is None else str(v), small) for v in row] for row in table.rows
        ] or [[Paragraph(_("No data"), small)]]
        grid = PdfTable(rows, repeatRows=1, hAlign="LEFT")
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(grid)
        if table.note:
            story.append(Paragraph(table.note, small))
        story.append(PageBreak())
    document.build(story)
    return buffer.getvalue()

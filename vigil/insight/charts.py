"""Charts drawn on the server as PNG (matplotlib), readable without colour: patterns and
markers tell the series apart, and every bar and point carries its number."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from django.utils.translation import gettext as _

from .services import Table

HATCHES = ["", "///", "...", "xxx", "\\\\\\", "ooo", "---"]
GREYS = ["#0b0c0c", "#505a5f", "#b1b4b6", "#f3f2f1", "#6f777b", "#d4d9dc"]


def _figure(width: float = 8.0, height: float = 3.6):
    figure, axes = plt.subplots(figsize=(width, height), dpi=110)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def render(table: Table) -> bytes | None:
    """The table's chart as PNG, or None when it has no chart (or nothing to draw)."""
    kind = table.chart.get("kind")
    if not kind or (not table.rows and kind != "forecast"):
        return None
    return {
        "line": _line,
        "bar": _bar,
        "forecast": _forecast,
        "timeliness": _timeliness,
        "regional": _regional,
    }[kind](table)


def _line(table: Table) -> bytes:
    figure, axes = _figure()
    labels = [row[0] for row in table.rows]
    values = [row[1] for row in table.rows]
    axes.plot(labels, values, marker="o", color="#0b0c0c", linewidth=2)
    for x, y in zip(labels, values, strict=True):
        axes.annotate(str(y), (x, y), textcoords="offset points", xytext=(0, 6), ha="center")
    axes.set_ylabel(_("Referrals"))
    axes.set_title(table.title)
    axes.tick_params(axis="x", rotation=45)
    return _png(figure)


def _bar(table: Table) -> bytes:
    figure, axes = _figure()
    labels = [row[0] for row in table.rows]
    values = [row[1] for row in table.rows]
    bars = axes.bar(labels, values, color="white", edgecolor="#0b0c0c")
    for bar, hatch in zip(bars, HATCHES, strict=False):
        bar.set_hatch(hatch)
    axes.bar_label(bars)
    axes.set_title(table.title)
    return _png(figure)


def _forecast(table: Table) -> bytes:
    figure, axes = _figure()
    history = table.chart.get("history", [])
    axes.plot(
        [m for m, _n in history],
        [n for _m, n in history],
        marker="o",
        color="#0b0c0c",
        label=_("Received"),
    )
    if table.rows:
        months = [row[0] for row in table.rows]
        axes.plot(
            months,
            [row[1] for row in table.rows],
            marker="s",
            linestyle="--",
            color="#505a5f",
            label=_("Expected"),
        )
        axes.fill_between(
            months,
            [row[2] for row in table.rows],
            [row[3] for row in table.rows],
            facecolor="none",
            edgecolor="#505a5f",
            hatch="///",
            label=_("95% prediction interval"),
        )
    axes.legend(frameon=False)
    axes.set_title(_("Referrals per month and the next six months"))
    axes.tick_params(axis="x", rotation=45)
    return _png(figure)


def _series(axes, index: int, values: list, width: float, label: str) -> None:
    """The ``index``-th series of grouped bars, one bar in each group: its own pattern, and each
    bar's number on it."""
    bars = axes.bar(
        [group + index * width for group in range(len(values))],
        values,
        width,
        color="white",
        edgecolor="#0b0c0c",
        hatch=HATCHES[index % len(HATCHES)],
        label=label,
    )
    axes.bar_label(bars, fmt="%.0f", fontsize=7)


def _timeliness(table: Table) -> bytes:
    """Share met in time for each duty, one bar per grade with its own pattern."""
    figure, axes = _figure(9, 4)
    duties = list(dict.fromkeys(row[0] for row in table.rows))
    grades = list(dict.fromkeys(row[1] for row in table.rows))
    width = 0.8 / max(len(grades), 1)
    for index, grade in enumerate(grades):
        values = []
        for duty in duties:
            row = next((r for r in table.rows if r[0] == duty and r[1] == grade), None)
            values.append(row[4] if row and row[4] is not None else 0)
        _series(axes, index, values, width, grade)
    axes.set_xticks(
        [d + 0.4 - width / 2 for d in range(len(duties))],
        duties,
        rotation=20,
        ha="right",
        fontsize=8,
    )
    axes.set_ylim(0, 110)
    axes.set_ylabel(_("Met in time (%)"))
    axes.legend(frameon=False, fontsize=8, ncols=4)
    axes.set_title(_("Duties met within their timescale, by grade"))
    return _png(figure)


def _regional(table: Table) -> bytes:
    figure, axes = _figure()
    forces = table.columns[1:]
    wanted = [
        _("Enforcement action within timescale (%)"),
        _("Low-risk enforcement action within timescale (%)"),
        _("Social care told within timescale (%)"),
    ]
    rows = [row for row in table.rows if row[0] in wanted]
    width = 0.8 / max(len(rows), 1)
    for index, row in enumerate(rows):
        values = [value or 0 for value in row[1:]]
        _series(axes, index, values, width, row[0])
    axes.set_xticks([f + 0.4 - width / 2 for f in range(len(forces))], forces)
    axes.set_ylim(0, 110)
    axes.set_ylabel("%")
    axes.legend(frameon=False, fontsize=7)
    axes.set_title(_("Timeliness, force by force"))
    return _png(figure)

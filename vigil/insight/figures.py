"""Statistics for the dashboard. Pure: plain numbers in, plain numbers out."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


def percentile(values: Sequence[float], share: float) -> float | None:
    """The value below which ``share`` of the values fall (linear between closest ranks)."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def share(part: int, whole: int) -> float | None:
    """A percentage, or None when there is nothing to divide (shown as "–", never as 0%)."""
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class QueueAge:
    """A queue at a moment: how many wait, the oldest and the median wait in days (one
    decimal; None for an empty queue), and how many are past their due time."""

    waiting: int
    oldest_days: float | None
    median_days: float | None
    breaches: int


DAY_SECONDS = 86_400


def queue_age(waiting: Sequence[tuple[float, bool]]) -> QueueAge:
    """The age of a queue from each item's wait in seconds and whether it is past due."""
    days = [seconds / DAY_SECONDS for seconds, _ in waiting]
    middle = median(days)
    return QueueAge(
        waiting=len(days),
        oldest_days=round(max(days), 1) if days else None,
        median_days=round(middle, 1) if middle is not None else None,
        breaches=sum(1 for _, overdue in waiting if overdue),
    )


@dataclass(frozen=True)
class Forecast:
    month: date
    expected: float
    lower: float
    upper: float


def forecast_monthly(counts: Sequence[tuple[date, int]], months: int = 6) -> list[Forecast]:
    """Project monthly counts ahead with their uncertainty (``services.FORECAST_METHOD`` tells
    readers how)."""
    if len(counts) < 4:
        return []
    import numpy as np
    import statsmodels.api as sm

    y = np.array([count for _, count in counts], dtype=float)
    x = sm.add_constant(np.arange(len(y), dtype=float))
    fit = sm.OLS(y, x).fit()
    ahead = sm.add_constant(np.arange(len(y), len(y) + months, dtype=float), has_constant="add")
    frame = fit.get_prediction(ahead).summary_frame(alpha=0.05)
    last = counts[-1][0]
    found = []
    for step in range(months):
        month = _add_months(last, step + 1)
        found.append(
            Forecast(
                month=month,
                expected=max(0.0, float(frame["mean"].iloc[step])),
                lower=max(0.0, float(frame["obs_ci_lower"].iloc[step])),
                upper=max(0.0, float(frame["obs_ci_upper"].iloc[step])),
            )
        )
    return found


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)

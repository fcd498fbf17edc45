"""Ages on a given day. Pure: used by the models and by the risk engine's derivation."""

from collections.abc import Iterable
from datetime import date


def whole_years(start: date, end: date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def age_on(
    day: date,
    *,
    date_of_birth: date | None = None,
    stated_age: int | None = None,
    stated_age_on: date | None = None,
) -> int | None:
    """Age in whole years on ``day``; from a stated age, the youngest the person can be."""
    if date_of_birth:
        return whole_years(date_of_birth, day)
    if stated_age is not None and stated_age_on:
        return stated_age + max(0, whole_years(stated_age_on, day))
    return None


def _anniversary(start: date, years: int) -> date:
    """``start`` moved on by whole years; a 29 February falls on 1 March in other years, as
    ``whole_years`` counts it."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def turns(
    years: int,
    *,
    date_of_birth: date | None = None,
    stated_age: int | None = None,
    stated_age_on: date | None = None,
) -> date | None:
    """The first day on which ``age_on`` gives at least ``years``; None when the age is not
    known (such a person never counts as having reached it)."""
    if date_of_birth:
        return _anniversary(date_of_birth, years)
    if stated_age is not None and stated_age_on:
        if stated_age >= years:
            return date.min
        return _anniversary(stated_age_on, years - stated_age)
    return None


def next_crossing(
    thresholds: Iterable[int],
    after: date,
    *,
    date_of_birth: date | None = None,
    stated_age: int | None = None,
    stated_age_on: date | None = None,
) -> date | None:
    """The first day after ``after`` on which the person reaches one of the ``thresholds`` (so
    that ``age_on(day) < threshold`` is no longer what it was the day before); None when no
    threshold is still ahead, or the age is not known."""
    ahead = []
    for years in thresholds:
        try:
            day = turns(
                years,
                date_of_birth=date_of_birth,
                stated_age=stated_age,
                stated_age_on=stated_age_on,
            )
        except (ValueError, OverflowError):
            continue  # beyond the calendar: never
        if day is not None and day > after:
            ahead.append(day)
    return min(ahead, default=None)


class Aged:
    """Someone whose age follows from a date of birth, or from an age the source stated and the
    day it was true on (``date_of_birth``, ``stated_age``, ``stated_age_on``): a person as
    recorded, and the plain record of them the rules read."""

    def _age_facts(self) -> dict:
        return {
            name: getattr(self, name) for name in ("date_of_birth", "stated_age", "stated_age_on")
        }

    def age_on(self, day: date) -> int | None:
        """Age in whole years on ``day``; from a stated age, the youngest they can be."""
        return age_on(day, **self._age_facts())

    def turns(self, years: int) -> date | None:
        """The first day they are at least ``years`` old (None: their age is not known)."""
        return turns(years, **self._age_facts())

    def next_crossing(self, thresholds: Iterable[int], after: date) -> date | None:
        """The first day after ``after`` they reach one of the ``thresholds`` (None: never)."""
        return next_crossing(thresholds, after, **self._age_facts())

    @property
    def age_is_estimated(self) -> bool:
        return self.date_of_birth is None and self.stated_age is not None

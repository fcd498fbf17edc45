"""Ages on a given day. Pure: used by the models and by the risk engine's derivation."""

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

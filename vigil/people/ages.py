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

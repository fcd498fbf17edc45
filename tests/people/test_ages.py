from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from vigil.people.ages import age_on, turns
from vigil.people.models import Person


def test_age_from_a_date_of_birth_turns_on_the_birthday():
    person = Person(date_of_birth=date(2003, 6, 1))
    assert person.age_on(date(2021, 5, 31)) == 17
    assert person.age_on(date(2021, 6, 1)) == 18


def test_a_leap_day_birthday_counts_on_the_first_of_march():
    person = Person(date_of_birth=date(2004, 2, 29))
    assert person.age_on(date(2022, 2, 28)) == 17
    assert person.age_on(date(2022, 3, 1)) == 18


def test_a_stated_age_grows_from_the_day_it_was_given_and_counts_low():
    person = Person(stated_age=12, stated_age_on=date(2020, 9, 10))
    assert person.age_on(date(2020, 9, 10)) == 12
    assert person.age_on(date(2021, 9, 9)) == 12
    assert person.age_on(date(2026, 9, 10)) == 18
    assert person.age_is_estimated


def test_no_date_of_birth_and_no_age_is_unknown():
    assert Person().age_on(date(2020, 1, 1)) is None


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2060, 12, 31)),
    years=st.integers(min_value=1, max_value=40),
)
def test_the_day_someone_turns_an_age_agrees_with_their_age_on_every_day(born, day, years):
    turned = turns(years, date_of_birth=born)
    assert (age_on(day, date_of_birth=born) >= years) == (day >= turned)


@given(
    stated=st.integers(min_value=0, max_value=30),
    stated_on=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    day=st.dates(min_value=date(1980, 1, 1), max_value=date(2060, 12, 31)),
)
def test_from_a_stated_age_too(stated, stated_on, day):
    turned = turns(18, stated_age=stated, stated_age_on=stated_on)
    age = age_on(day, stated_age=stated, stated_age_on=stated_on)
    assert (age >= 18) == (day >= turned)


def test_an_unknown_age_is_never_reached():
    assert turns(18) is None

from datetime import date

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

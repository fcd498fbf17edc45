"""When a referral's answers can next change with nothing recorded: the day someone on it
reaches an age the policy asks about. Pure: the dates the re-grade index holds."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.people.ages import age_on, next_crossing
from vigil.risk.derive import (
    AccessRecord,
    LivesWithRecord,
    PersonRecord,
    ReferralRecord,
    Source,
    age_thresholds,
    derive_facts,
    next_change,
)
from vigil.risk.policy import DEFAULT_POLICY, load_policy, parse_policy

POLICIES = sorted(DEFAULT_POLICY.parent.glob("*.toml"))
DEFAULT = load_policy()

births = st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31))
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
thresholds = st.frozensets(st.integers(min_value=1, max_value=30), min_size=1, max_size=4)


def under(thresholds_, day, **age) -> tuple[bool, ...]:
    """Which of the thresholds the person is under on the day (unknown age: none)."""
    years = age_on(day, **age)
    return tuple(years is not None and years < t for t in sorted(thresholds_))


def _check_crossing(thresholds_, after, data, **age):
    due = next_crossing(thresholds_, after, **age)
    before = under(thresholds_, after, **age)
    if due is None:
        # Nothing ahead: no threshold is still to be reached, however long one waits.
        assert not any(under(thresholds_, date(9000, 1, 1), **age))
        return
    assert due > after
    # On the day itself, at least one answer changes...
    assert under(thresholds_, due, **age) != before
    # ...and on no day in between: not the day before, nor any other drawn between.
    assert under(thresholds_, due - timedelta(days=1), **age) == before
    if (due - after).days > 1:
        between = data.draw(st.dates(min_value=after + timedelta(days=1), max_value=due))
        if between < due:
            assert under(thresholds_, between, **age) == before


@given(born=births, after=days, thresholds_=thresholds, data=st.data())
def test_the_next_crossing_from_a_date_of_birth_changes_an_answer_that_day_and_not_before(
    born, after, thresholds_, data
):
    _check_crossing(thresholds_, after, data, date_of_birth=born)


@given(
    stated=st.integers(min_value=0, max_value=40),
    stated_on=days,
    after=days,
    thresholds_=thresholds,
    data=st.data(),
)
def test_the_next_crossing_from_a_stated_age_changes_an_answer_that_day_and_not_before(
    stated, stated_on, after, thresholds_, data
):
    _check_crossing(thresholds_, after, data, stated_age=stated, stated_age_on=stated_on)


@given(
    leap_year=st.sampled_from([1996, 2000, 2004, 2008, 2012, 2016, 2020, 2024]),
    after=days,
    thresholds_=thresholds,
    data=st.data(),
)
def test_a_leap_day_birth_crosses_on_the_first_of_march_in_other_years(
    leap_year, after, thresholds_, data
):
    born = date(leap_year, 2, 29)
    _check_crossing(thresholds_, after, data, date_of_birth=born)


def test_a_child_born_on_a_leap_day_turns_13_on_the_first_of_march_of_a_common_year():
    assert next_crossing({13}, date(2025, 2, 27), date_of_birth=date(2012, 2, 29)) == date(
        2025, 3, 1
    )
    assert next_crossing({13}, date(2025, 2, 28), date_of_birth=date(2012, 2, 29)) == date(
        2025, 3, 1
    )
    assert next_crossing({13}, date(2025, 3, 1), date_of_birth=date(2012, 2, 29)) is None


def test_the_birthday_itself_is_the_day_and_not_the_day_after():
    assert next_crossing({18}, date(2021, 5, 31), date_of_birth=date(2003, 6, 1)) == date(
        2021, 6, 1
    )
    assert next_crossing({18}, date(2021, 6, 1), date_of_birth=date(2003, 6, 1)) is None


def test_a_person_of_unknown_age_never_crosses_an_age():
    assert next_crossing({13, 18}, date(2021, 6, 1)) is None


def test_an_age_beyond_the_calendar_is_never_reached():
    assert next_crossing({18}, date(9990, 1, 1), date_of_birth=date(9990, 6, 1)) is None


@pytest.mark.parametrize("path", POLICIES, ids=lambda path: path.name)
def test_every_shipped_policy_asks_about_children_under_18(path):
    assert age_thresholds(load_policy(path)) == {18}


def test_the_thresholds_are_read_from_the_policy_not_a_list_kept_beside_it():
    text = DEFAULT.text.replace(
        'derive = "lives_with_child"\nunder_age = 18', 'derive = "lives_with_child"\nunder_age = 13'
    )
    assert text != DEFAULT.text
    policy = parse_policy(text.replace("version = 5", "version = 99", 1))
    assert age_thresholds(policy) == {13, 18}


# ---------------------------------------------------------------------------------------------
# The whole derivation: between the assessment and the due day, no answer moves.

NOON = time(12, tzinfo=UTC)
DOC = Source("NCA referral", None)


def person(ref: str, role: str, age: dict) -> PersonRecord:
    return PersonRecord(ref=ref, role=role, first_name="A", last_name=ref, source=DOC, **age)


ages = st.one_of(
    st.builds(lambda born: {"date_of_birth": born}, births),
    st.builds(
        lambda stated, on: {"stated_age": stated, "stated_age_on": on},
        st.integers(min_value=0, max_value=30),
        days,
    ),
    st.just({}),
)


@st.composite
def records(draw):
    suspect = person("s1", "suspect", draw(ages))
    others = []
    lives, reach = [], []
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        role = draw(st.sampled_from(["household_member", "victim", "relative", "associate"]))
        other = person(f"p{index}", role, draw(ages))
        others.append(other)
        if draw(st.booleans()):
            lives.append(LivesWithRecord("s1", other.ref, DOC))
        if draw(st.booleans()):
            reach.append(
                AccessRecord("s1", other.ref, draw(st.sampled_from(["unsupervised", "online"])))
            )
    suspect = replace(
        suspect,
        household_established=draw(st.booleans()),
        access_established=draw(st.booleans()),
    )
    return ReferralRecord(
        people=(suspect, *others), lives_with=tuple(lives), access=tuple(reach), source=DOC
    )


def answers(record, policy, day: date) -> dict:
    as_of = datetime.combine(day, NOON)
    return {code: fact.answer for code, fact in derive_facts(record, policy, as_of).items()}


@settings(max_examples=60, deadline=None)
@given(
    record=records(),
    after=days,
    path=st.sampled_from(POLICIES),
    data=st.data(),
)
def test_no_answer_changes_before_the_day_the_index_gives(record, after, path, data):
    policy = load_policy(path)
    as_of = datetime.combine(after, NOON)
    due = next_change(record, policy, as_of)
    first = answers(record, policy, after)
    last = (due - timedelta(days=1)) if due else after + timedelta(days=365 * 60)
    if last > after:
        assert answers(record, policy, last) == first
        between = data.draw(st.dates(min_value=after, max_value=last))
        assert answers(record, policy, between) == first


def test_a_household_child_turning_18_is_the_referrals_next_change():
    suspect = person("s1", "suspect", {"date_of_birth": date(1980, 1, 1)})
    child = person("c1", "household_member", {"date_of_birth": date(2009, 7, 14)})
    record = ReferralRecord(
        people=(suspect, child), lives_with=(LivesWithRecord("s1", "c1", DOC),), source=DOC
    )
    due = next_change(record, DEFAULT, datetime(2026, 12, 6, 23, tzinfo=UTC))
    assert due == date(2027, 7, 14)
    assert answers(record, DEFAULT, due)["A1"] != answers(record, DEFAULT, date(2027, 7, 13))["A1"]


def test_a_fact_learned_after_the_assessment_makes_the_day_it_is_known_due():
    later = Source("intelligence check", datetime(2027, 1, 5, 9, tzinfo=UTC))
    suspect = person("s1", "suspect", {"date_of_birth": date(1980, 1, 1)})
    child = person("c1", "household_member", {})
    record = ReferralRecord(
        people=(suspect, child), lives_with=(LivesWithRecord("s1", "c1", later),), source=DOC
    )
    assert next_change(record, DEFAULT, datetime(2026, 12, 6, tzinfo=UTC)) == date(2027, 1, 5)


def test_a_referral_of_adults_whose_ages_are_past_every_threshold_never_falls_due():
    suspect = person("s1", "suspect", {"date_of_birth": date(1980, 1, 1)})
    adult = person("h1", "household_member", {"date_of_birth": date(1982, 3, 3)})
    record = ReferralRecord(
        people=(suspect, adult), lives_with=(LivesWithRecord("s1", "h1", DOC),), source=DOC
    )
    assert next_change(record, DEFAULT, datetime(2026, 12, 6, tzinfo=UTC)) is None


def test_the_policies_directory_is_where_the_default_lives():
    assert Path(DEFAULT_POLICY) in POLICIES

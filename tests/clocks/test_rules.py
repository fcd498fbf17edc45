"""Clock arithmetic: working days, bank holidays, the clock change, escalation levels."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.clocks.rules import (
    ClockInputs,
    Duration,
    clock_rules,
    due_after,
    escalation_rules,
    is_working_day,
    keep_breach,
    plan,
    state_of,
)
from vigil.risk.policy import load_policy

LONDON = ZoneInfo("Europe/London")
POLICY = load_policy()
RULES = clock_rules(POLICY.clocks)
ESCALATION = escalation_rules(POLICY.escalation)


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_weekends_and_bank_holidays_are_not_working_days():
    assert is_working_day(date(2026, 11, 27))  # Friday
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 12, 25))  # Christmas Day
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day, observed on the Monday
    assert not is_working_day(date(2026, 8, 31))  # late summer bank holiday


@pytest.mark.parametrize(
    ("start", "working_days", "due"),
    [
        (london(2026, 11, 25, 10, 0), 1, london(2026, 11, 26, 10, 0)),  # Wednesday → Thursday
        (london(2026, 11, 27, 15, 0), 1, london(2026, 11, 30, 15, 0)),  # Friday → Monday
        (london(2026, 11, 28, 10, 0), 1, london(2026, 12, 1, 0, 0)),  # Saturday → end of Monday
        (london(2026, 12, 24, 16, 0), 1, london(2026, 12, 29, 16, 0)),  # over Christmas
        (london(2026, 12, 23, 9, 0), 3, london(2026, 12, 30, 9, 0)),
        (london(2026, 8, 28, 12, 0), 1, london(2026, 9, 1, 12, 0)),  # Friday before a bank holiday
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(start, working_days, due):
    assert due_after(start, Duration(working_days=working_days)) == due


def test_calendar_days_keep_the_wall_clock_time_across_the_clock_change():
    # British Summer Time ends on Sunday 25 October 2026.
    start = london(2026, 10, 20, 9, 0)
    due = due_after(start, Duration(days=7))
    assert due == london(2026, 10, 27, 9, 0)
    assert due - start == timedelta(days=7, hours=1)


def test_hours_count_every_hour_even_across_the_clock_change():
    start = london(2026, 3, 28, 22, 0)  # the clocks go forward at 01:00 on 29 March
    due = due_after(start, Duration(hours=4))
    assert due == start.astimezone(UTC) + timedelta(hours=4)
    assert due.astimezone(LONDON).hour == 3  # 22:00 GMT plus four hours is 03:00 BST


@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(1, 10),
)
def test_a_working_day_duration_always_ends_on_a_working_day_after_it_starts(start, count):
    due = due_after(start, Duration(working_days=count))
    assert due > start
    local = due.astimezone(LONDON)
    # It ends within a working day, or at midnight closing one.
    ends_on = (
        local.date() if local.time() != datetime.min.time() else local.date() - timedelta(days=1)
    )
    assert is_working_day(ends_on)


def test_a_low_risk_clock_escalates_at_30_45_and_60_days():
    received = london(2026, 1, 5, 9, 0)
    due = due_after(received, RULES["enforcement_action"].duration_for("low"))
    assert due == london(2026, 2, 4, 9, 0)
    assert state_of(received, due, None, due - timedelta(minutes=1), ESCALATION).state == "due_soon"
    for day, level in ((29, 0), (30, 1), (44, 1), (45, 2), (59, 2), (60, 3), (400, 3)):
        moment = received + timedelta(days=day)
        state = state_of(received, due, None, moment, ESCALATION)
        assert state.level == level, day
        assert state.state == ("overdue" if day >= 30 else "due_soon" if day >= 23 else "due")


def test_a_short_clock_escalates_by_the_minimum_gaps():
    start = london(2026, 1, 5, 9, 0)
    due = start + timedelta(hours=4)
    assert state_of(start, due, None, due + timedelta(hours=23), ESCALATION).level == 1
    assert state_of(start, due, None, due + timedelta(days=1), ESCALATION).level == 2
    assert state_of(start, due, None, due + timedelta(days=7), ESCALATION).level == 3


def test_due_soon_is_the_last_quarter_or_the_last_day():
    start = london(2026, 1, 5, 9, 0)
    week = due_after(start, Duration(days=7))
    assert state_of(start, week, None, week - timedelta(hours=25), ESCALATION).state == "due"
    assert state_of(start, week, None, week - timedelta(hours=23), ESCALATION).state == "due_soon"
    four_hours = start + timedelta(hours=4)
    assert (
        state_of(start, four_hours, None, start + timedelta(hours=2, minutes=59), ESCALATION).state
        == "due"
    )
    assert (
        state_of(start, four_hours, None, start + timedelta(hours=3), ESCALATION).state
        == "due_soon"
    )


def test_a_late_action_meets_the_clock_but_keeps_the_breach():
    start = london(2026, 1, 5, 9, 0)
    due = start + timedelta(days=7)
    late = state_of(start, due, due + timedelta(days=2), due + timedelta(days=3), ESCALATION)
    assert (late.state, late.overdue_by, late.level) == ("met_late", timedelta(days=2), 1)
    on_time = state_of(start, due, due - timedelta(days=1), due + timedelta(days=3), ESCALATION)
    assert (on_time.state, on_time.level) == ("met", 0)


def test_a_clock_met_after_the_moment_asked_about_is_still_open_then():
    start = london(2026, 1, 5, 9, 0)
    due = start + timedelta(days=7)
    assert (
        state_of(start, due, due + timedelta(days=1), due - timedelta(days=1), ESCALATION).state
        == "due_soon"
    )


def test_an_overdue_clock_never_gets_a_later_due_time():
    old_due = london(2026, 1, 12, 9, 0)
    later = london(2026, 1, 19, 9, 0)
    assert keep_breach(old_due, later, as_of=old_due + timedelta(hours=1)) == old_due
    assert keep_breach(old_due, later, as_of=old_due - timedelta(hours=1)) == later
    earlier = london(2026, 1, 6, 9, 0)
    assert keep_breach(old_due, earlier, as_of=old_due + timedelta(hours=1)) == earlier


def clocks(**inputs) -> dict[str, list]:
    found = {}
    for clock in plan(ClockInputs(**inputs), RULES, POLICY.key):
        found.setdefault(clock.kind, []).append(clock)
    return found


def test_a_referral_carries_the_clocks_its_facts_call_for():
    received = london(2026, 1, 5, 9, 0)
    graded = received + timedelta(hours=1)
    child = received + timedelta(days=1)
    plans = clocks(
        received_at=received,
        grade="high",
        graded_at=graded,
        yes_since={"A1": child, "A3": received},
    )
    assert set(plans) == {
        "risk_assessment",
        "allocation",
        "enforcement_action",
        "social_care_referral",
        "lado_referral",
        "supervisor_review",
    }
    assert plans["enforcement_action"][0].due_at == london(2026, 1, 12, 9, 0)
    assert plans["allocation"][0].due_at == graded + timedelta(hours=24)
    assert plans["social_care_referral"][0].due_at == london(2026, 1, 7, 9, 0)
    assert plans["supervisor_review"][0].due_at == london(2026, 2, 2, 9, 0)
    assert "high" in plans["enforcement_action"][0].rule


def test_very_high_shares_with_social_care_within_four_hours():
    received = london(2026, 1, 9, 16, 0)  # a Friday afternoon
    plans = clocks(
        received_at=received, grade="very_high", graded_at=received, yes_since={"C3": received}
    )
    assert plans["social_care_referral"][0].due_at == received + timedelta(hours=4)


def test_a_strategy_discussion_follows_a_social_care_referral_for_high_grades_with_a_child():
    received = london(2026, 1, 5, 9, 0)
    shared = received + timedelta(hours=2)
    base = dict(received_at=received, graded_at=received, social_care_at=shared)
    assert "strategy_discussion" in clocks(grade="high", yes_since={"A2": received}, **base)
    assert "strategy_discussion" not in clocks(grade="medium", yes_since={"A2": received}, **base)
    # A child victim alone calls for social care, but this rule asks for a child at home or reached.
    victim_only = clocks(grade="high", yes_since={"C3": received}, **base)
    assert "social_care_referral" in victim_only and "strategy_discussion" not in victim_only


def test_supervisor_reviews_repeat_every_28_days_while_open():
    received = london(2026, 1, 5, 9, 0)
    first_review = received + timedelta(days=20)
    plans = clocks(received_at=received, reviews=(first_review,))
    first, second = plans["supervisor_review"]
    assert (first.met_at, second.started_at, second.met_at) == (first_review, first_review, None)
    assert second.due_at == due_after(first_review, Duration(days=28))
    assert (
        len(
            clocks(received_at=received, reviews=(first_review,), is_open=False)[
                "supervisor_review"
            ]
        )
        == 1
    )


def test_a_provisional_grade_gets_an_establish_facts_clock_met_when_settled():
    received = london(2026, 1, 5, 9, 0)
    settled = received + timedelta(days=3)
    plans = clocks(
        received_at=received,
        graded_at=received,
        grade="medium",
        provisional_periods=((received, settled),),
    )
    assert plans["establish_facts"][0].met_at == settled
    assert plans["risk_assessment"][0].met_at == settled


def test_a_closed_referral_owes_nothing_more_but_keeps_what_was_met():
    received = london(2026, 1, 5, 9, 0)
    allocated = received + timedelta(hours=2)
    plans = clocks(
        received_at=received,
        graded_at=received,
        grade="high",
        allocated_at=allocated,
        is_open=False,
    )
    assert set(plans) == {"allocation", "risk_assessment"}
    assert plans["allocation"][0].met_at == allocated

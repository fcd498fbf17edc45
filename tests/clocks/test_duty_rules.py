"""The duties that follow a strategy discussion and a release: the initial child protection
conference, agreed actions, reviews of release under investigation, reminders before bail."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from vigil.clocks.rules import (
    ClockInputs,
    ClockPolicyError,
    Duration,
    clock_rules,
    due_after,
    due_before,
    escalation_rules,
    plan,
)
from vigil.risk.policy import DEFAULT_POLICY, load_policy

LONDON = ZoneInfo("Europe/London")
POLICY = load_policy()
RULES = clock_rules(POLICY.clocks)
RUI = "released_under_investigation"


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def clocks(rules=RULES, **inputs) -> dict[str, list]:
    found = {}
    for clock in plan(ClockInputs(**inputs), rules, POLICY.key):
        found.setdefault(clock.kind, []).append(clock)
    return found


RECEIVED = london(2026, 11, 2, 9, 0)


# Months ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (london(2026, 11, 30, 10, 0), london(2027, 2, 28, 10, 0)),  # no 30 February
        (london(2027, 11, 30, 10, 0), london(2028, 2, 29, 10, 0)),  # a leap year
        (london(2026, 8, 31, 10, 0), london(2026, 11, 30, 10, 0)),  # no 31 November
        (london(2026, 10, 15, 9, 30), london(2027, 1, 15, 9, 30)),  # over the year's end
        # The wall-clock time is kept across the change of the clocks (GMT to BST).
        (london(2027, 2, 20, 10, 0), london(2027, 5, 20, 10, 0)),
    ],
)
def test_three_months_is_the_same_day_or_the_last_day_of_the_month(start, due):
    assert due_after(start, Duration(months=3)) == due


def test_months_are_not_an_escalation_threshold():
    with pytest.raises(ClockPolicyError):
        escalation_rules({"levels": [{"level": 1, "overdue_by": {"at_least": {"months": 1}}}]})


# Counting back before a date ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "before", "due"),
    [
        (london(2026, 12, 14, 10, 0), 2, london(2026, 12, 10, 10, 0)),  # Monday → Thursday
        (london(2026, 12, 16, 10, 0), 2, london(2026, 12, 14, 10, 0)),  # Wednesday → Monday
        (london(2026, 12, 12, 10, 0), 1, london(2026, 12, 11, 0, 0)),  # Saturday → start of Fri
        # Christmas Day and Boxing Day (observed on Monday 28th) do not count.
        (london(2026, 12, 29, 10, 0), 2, london(2026, 12, 23, 10, 0)),
        (london(2026, 9, 1, 12, 0), 1, london(2026, 8, 28, 12, 0)),  # over a bank holiday Monday
    ],
)
def test_a_reminder_counts_working_days_back_from_the_date(moment, before, due):
    assert due_before(moment, Duration(working_days=before)) == due


def test_counting_back_and_forward_by_working_days_meet_on_a_working_day():
    start = london(2026, 12, 14, 10, 0)
    assert due_after(due_before(start, Duration(working_days=7)), Duration(working_days=7)) == start


# The initial child protection conference ------------------------------------------------------


def test_the_conference_is_due_15_working_days_after_the_strategy_discussion_over_christmas():
    decided = london(2026, 12, 17, 10, 0)  # a Thursday
    plans = clocks(received_at=RECEIVED, conferences=((7, decided, None),))
    (conference,) = plans["child_protection_conference"]
    # Christmas Day, Boxing Day (observed Monday 28th) and New Year's Day do not count.
    assert conference.due_at == london(2027, 1, 12, 10, 0)
    assert conference.cycle == 7 and conference.met_at is None
    assert "15 working days of the strategy discussion that decided on one" in conference.rule


def test_the_conference_held_meets_its_clock():
    decided = london(2026, 12, 1, 10, 0)
    held = london(2026, 12, 15, 14, 0)
    plans = clocks(received_at=RECEIVED, conferences=((3, decided, held),))
    assert plans["child_protection_conference"][0].met_at == held


# Actions agreed at a strategy discussion ------------------------------------------------------


def test_each_agreed_action_is_due_by_the_end_of_its_own_date_with_its_owner():
    agreed = london(2026, 12, 1, 10, 0)
    done = london(2026, 12, 3, 16, 0)
    plans = clocks(
        received_at=RECEIVED,
        strategy_actions=(
            (11, agreed, date(2026, 12, 4), done, "by DC Jones, police: visit the school", 40),
            (12, agreed, date(2026, 12, 18), None, "by Exampleshire social care: see it", None),
        ),
    )
    first, second = sorted(plans["strategy_action"], key=lambda clock: clock.cycle)
    assert (first.cycle, second.cycle) == (11, 12)
    assert first.due_at == london(2026, 12, 5, 0, 0) and first.met_at == done
    assert second.due_at == london(2026, 12, 19, 0, 0) and second.met_at is None
    assert second.about == "by Exampleshire social care: see it"
    assert (first.owner_id, second.owner_id) == (40, None)
    assert first.started_at == agreed
    assert "18 December 2026" in second.rule


def test_a_closed_referral_owes_no_open_action_but_keeps_the_ones_done():
    agreed = london(2026, 12, 1, 10, 0)
    done = london(2026, 12, 3, 16, 0)
    plans = clocks(
        received_at=RECEIVED,
        is_open=False,
        strategy_actions=(
            (11, agreed, date(2026, 12, 4), done, "by A: one", None),
            (12, agreed, date(2026, 12, 18), None, "by B: two", None),
        ),
        conferences=((3, agreed, None),),
    )
    assert [clock.cycle for clock in plans["strategy_action"]] == [11]
    assert "child_protection_conference" not in plans


# Release under investigation ------------------------------------------------------------------


def test_a_release_under_investigation_is_reviewed_every_3_months_from_the_last_review():
    released = london(2026, 11, 30, 10, 0)
    reviewed = london(2027, 2, 20, 11, 0)
    plans = clocks(
        received_at=RECEIVED,
        release_records=((5, released, RUI, None),),
        rui_reviews=((5, reviewed),),
    )
    first, second = plans["rui_review"]
    assert (first.cycle, first.started_at, first.due_at) == (1, released, london(2027, 2, 28, 10))
    assert first.met_at == reviewed
    assert (second.cycle, second.started_at, second.met_at) == (2, reviewed, None)
    assert second.due_at == london(2027, 5, 20, 11, 0)
    assert "3 months of the release under investigation or its last review" in second.rule


def test_another_release_ends_the_reviews_and_a_closed_referral_owes_none():
    released = london(2026, 11, 30, 10, 0)
    bailed = london(2027, 1, 10, 10, 0)
    records = (
        (5, released, RUI, None),
        (6, bailed, "pre_charge_bail", london(2027, 3, 10, 10, 0)),
    )
    (review,) = clocks(received_at=RECEIVED, release_records=records)["rui_review"]
    assert review.met_at == bailed
    still_rui = clocks(received_at=RECEIVED, release_records=records[:1], is_open=False)
    assert "rui_review" not in still_rui


def test_a_second_release_under_investigation_starts_its_own_cycle():
    first_release = london(2026, 11, 30, 10, 0)
    bailed = london(2027, 1, 10, 10, 0)
    again = london(2027, 3, 1, 10, 0)
    plans = clocks(
        received_at=RECEIVED,
        release_records=(
            (5, first_release, RUI, None),
            (6, bailed, "pre_charge_bail", london(2027, 2, 10, 10, 0)),
            (7, again, RUI, None),
        ),
    )
    cycles = [(clock.cycle, clock.started_at, clock.met_at) for clock in plans["rui_review"]]
    assert cycles == [(1, first_release, bailed), (2, again, None)]


# Reminders before bail lapses -----------------------------------------------------------------


def test_bail_has_a_reminder_two_working_days_before_its_return_date():
    released = london(2026, 12, 1, 18, 0)
    back = london(2026, 12, 29, 10, 0)
    plans = clocks(
        received_at=RECEIVED,
        releases=((released, False, back),),
        release_records=((9, released, "pre_charge_bail", back),),
    )
    (reminder,) = plans["bail_reminder"]
    assert (reminder.cycle, reminder.started_at) == (9, released)
    assert reminder.due_at == london(2026, 12, 23, 10, 0)
    assert reminder.met_at is None
    assert reminder.about == "before bail returns on 29 December 2026 10:00"
    assert "2 working days before the bail return date" in reminder.rule
    # The bail return clock is as it was.
    assert plans["bail_return"][0].due_at == back


def test_the_bail_reminder_is_met_when_bail_is_answered_or_superseded():
    released = london(2026, 12, 1, 18, 0)
    back = london(2026, 12, 14, 10, 0)
    answered = london(2026, 12, 14, 9, 0)
    record = (9, released, "pre_charge_bail", back)
    plans = clocks(received_at=RECEIVED, release_records=(record,), bail_answered=(answered,))
    assert plans["bail_reminder"][0].met_at == answered
    extended = london(2026, 12, 9, 12, 0)
    new_back = london(2027, 1, 14, 10, 0)
    plans = clocks(
        received_at=RECEIVED,
        release_records=(record, (10, extended, "pre_charge_bail", new_back)),
    )
    old, new = plans["bail_reminder"]
    assert (old.cycle, old.met_at) == (9, extended)
    assert (new.cycle, new.met_at, new.due_at) == (10, None, london(2027, 1, 12, 10, 0))


def test_bail_shorter_than_the_reminder_is_due_at_once():
    released = london(2026, 12, 14, 9, 0)
    plans = clocks(
        received_at=RECEIVED,
        release_records=((9, released, "charged_bailed", london(2026, 12, 15, 10, 0)),),
    )
    assert plans["bail_reminder"][0].due_at == released


# The policy -----------------------------------------------------------------------------------


def test_older_policies_load_and_carry_none_of_the_new_duties():
    busy = dict(
        received_at=RECEIVED,
        conferences=((1, RECEIVED, None),),
        strategy_actions=((2, RECEIVED, date(2026, 12, 1), None, "by A: x", None),),
        release_records=(
            (3, RECEIVED, RUI, None),
            (4, RECEIVED + timedelta(days=1), "pre_charge_bail", RECEIVED + timedelta(days=9)),
        ),
    )
    new = {"child_protection_conference", "strategy_action", "rui_review", "bail_reminder"}
    assert new <= set(clocks(**busy))
    for version in (1, 2, 3):
        old = load_policy(DEFAULT_POLICY.with_name(f"vigil-default-{version}.toml"))
        assert not new & set(clocks(rules=clock_rules(old.clocks), **busy)), version


def test_a_bail_reminder_must_say_how_long_before_and_only_bail_counts_back():
    with pytest.raises(ClockPolicyError, match="before"):
        clock_rules({"bail_reminder": {"starts": "bail"}})
    with pytest.raises(ClockPolicyError, match="before"):
        clock_rules({"x": {"starts": "received", "before": {"days": 1}, "duration": {"days": 1}}})
    rules = clock_rules({"bail_reminder": {"starts": "bail", "before": {"hours": 12}}})
    back = london(2026, 12, 14, 10, 0)
    plans = clocks(
        rules=rules,
        received_at=RECEIVED,
        release_records=((1, RECEIVED, "pre_charge_bail", back),),
    )
    assert plans["bail_reminder"][0].due_at == back - timedelta(hours=12)

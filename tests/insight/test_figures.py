"""Every dashboard figure on a small hand-built data set whose right answers are known:
period boundaries, a transferred referral and a grade change included."""

from datetime import date

import pytest

from tests.conftest import london, low_risk, store
from vigil.core.actors import SystemActor
from vigil.core.spreadsheets import spreadsheet_safe
from vigil.insight import services
from vigil.insight.figures import forecast_monthly, median, percentile, share
from vigil.investigations import services as investigations
from vigil.people import services as people
from vigil.safeguarding import services as safeguarding

pytestmark = pytest.mark.django_db

PERIOD = services.Period(date(2026, 1, 1), date(2026, 3, 31))
AS_OF = london(2026, 4, 15, 12, 0)
SYSTEM = SystemActor("test")


def referral(reference: str, received, force: str = "XF", **suspect):
    data = low_risk(received, **suspect) | {"source_reference": reference, "force": force}
    return store(data, as_of=received)[0]


@pytest.fixture
def world(make_user, forces):
    xf_supervisor = make_user("supervisor", "XF")
    investigator = make_user("investigator", "XF")
    yf_supervisor = make_user("supervisor", "YF")
    r1 = referral("R1", london(2025, 12, 31, 23, 30))  # just before the period
    r2 = referral("R2", london(2026, 1, 1, 0, 10))  # just inside it
    r3 = referral("R3", london(2026, 2, 10, 9, 0), household_established=False)
    r4 = referral("R4", london(2026, 3, 31, 23, 30))  # the last minutes of the period (BST)
    r5 = referral("R5", london(2026, 4, 1, 0, 30))  # just after it
    r6 = referral("R6", london(2026, 1, 20, 9, 0))  # received by XF, transferred to YF
    r7 = referral("R7", london(2026, 2, 1, 9, 0), force="YF")
    # R3: a child at home is found: re-graded up to high; social care, strategy, arrest.
    people.add_household_member(
        investigator,
        r3,
        age=6,
        source="visit",
        learned_at=london(2026, 2, 11, 9, 0),
        as_of=london(2026, 2, 11, 9, 0),
    )
    safeguarding.share_with_social_care(
        investigator,
        r3,
        authority="Exampleshire",
        method="mash",
        what_was_shared="Child at home.",
        shared_at=london(2026, 2, 11, 15, 0),
        as_of=london(2026, 2, 11, 15, 0),
    )
    discussion = safeguarding.request_strategy_discussion(
        investigator, r3, requested_at=london(2026, 2, 12, 10, 0), as_of=london(2026, 2, 12, 10, 0)
    )
    safeguarding.record_strategy_discussion_held(
        investigator,
        discussion,
        held_at=london(2026, 2, 13, 10, 0),
        attendees=[{"agency": "police"}, {"agency": "social care"}],
        decisions="Section 47.",
        as_of=london(2026, 2, 13, 12, 0),
    )
    investigations.record_action(
        investigator,
        r3,
        "arrest",
        occurred_at=london(2026, 2, 14, 9, 0),
        as_of=london(2026, 2, 14, 10, 0),
    )
    # Transfer R6 to YF.
    investigations.transfer(
        xf_supervisor,
        r6,
        "YF",
        reason="Suspect lives in Sampleton.",
        as_of=london(2026, 1, 25, 9, 0),
    )
    investigations.accept_transfer(
        make_user("supervisor", "YF"), r6, as_of=london(2026, 1, 25, 11, 0)
    )
    # Closures: R1 in January (charged), R2 in March (not in the public interest).
    investigations.close(
        investigator,
        r1,
        outcome="1",
        rationale="Charged with making images.",
        as_of=london(2026, 1, 15, 9, 0),
    )
    investigations.close(
        xf_supervisor,
        r2,
        outcome="21",
        rationale="Diverted; engaged with treatment.",
        as_of=london(2026, 3, 1, 9, 0),
    )
    return {"xf": xf_supervisor, "yf": yf_supervisor, "refs": (r1, r2, r3, r4, r5, r6, r7)}


def table(tables, key):
    return next(t for t in tables if t.key == key)


def xf_tables(world):
    scope = services.scope_for(world["xf"])
    return services.dashboard(world["xf"], scope, PERIOD, as_of=AS_OF)


def test_demand_counts_each_month_inside_the_period_boundaries(world):
    monthly = table(xf_tables(world), "demand_monthly")
    totals = {row[0]: row[1] for row in monthly.rows}
    # R1 (31 Dec) and R5 (1 Apr) are outside; R6 stays XF's demand after its transfer.
    assert totals == {"2026-01": 2, "2026-02": 1, "2026-03": 1}
    columns = [list(values) for values in zip(*monthly.rows, strict=True)]
    grades = dict(zip(monthly.columns, columns, strict=True))
    assert grades["High"] == [0, 1, 0]  # R3, re-graded up
    assert grades["Low"] == [2, 0, 1]


def test_the_transferred_referral_is_yfs_backlog_but_xfs_demand(world):
    yf = services.dashboard(world["yf"], services.scope_for(world["yf"]), PERIOD, as_of=AS_OF)
    yf_demand = {row[0]: row[1] for row in table(yf, "demand_monthly").rows}
    assert yf_demand == {"2026-01": 0, "2026-02": 1, "2026-03": 0}  # R7 only
    yf_backlog = {row[0]: row[1] for row in table(yf, "backlog_state").rows}
    assert yf_backlog["Low"] == 2  # R6 (transferred in) and R7


def test_backlog_as_of_a_date_with_ages(world):
    tables = xf_tables(world)
    backlog = {row[0]: row[1] for row in table(tables, "backlog_state").rows}
    # Held by XF and open on 15 April: R3 (high), R4 and R5 (low). R1, R2 closed; R6 gone.
    assert (backlog["High"], backlog["Low"], backlog["Medium"]) == (1, 2, 0)
    ages = {row[0]: row[1:] for row in table(tables, "backlog_age").rows}
    assert ages["Low"] == [0, 2, 0, 0, 0]  # R4 15 days old, R5 14 days old
    assert ages["High"] == [0, 0, 1, 0, 0]  # R3, 64 days old
    # Earlier, on 1 March at noon, R2 was not yet closed and R4, R5 not yet received.
    march = services.backlog(services.scope_for(world["xf"]), as_of=london(2026, 3, 1, 8, 0))
    assert {row[0]: row[1] for row in march[0].rows}["Low"] == 1  # R2


def test_timeliness_by_duty_and_grade(world):
    rows = {(row[0], row[1]): row for row in table(xf_tables(world), "timeliness").rows}
    high = rows[("Enforcement action", "High")]
    # R3: received 10 Feb 09:00, high, arrested 14 Feb 09:00: 96 hours, in time.
    assert high[2:7] == [1, 1, 100.0, 96.0, 96.0]
    low = rows[("Enforcement action", "Low")]
    # R2: due 31 Jan, never acted on (closed 1 Mar): a breach on the record. R1's duty was
    # closed before it fell due, and R4's falls due after the period.
    assert low[2:5] == [1, 0, 0.0]
    # Breaches now (15 April): R4 and R5 are not yet due; nothing of XF's enforcement overdue.
    assert low[7:] == [0, 0, 0]


def test_safeguarding_figures(world):
    figures = dict(table(xf_tables(world), "safeguarding").rows)
    assert figures["Children in view (referrals received in the period)"] == 1  # R3's child
    assert figures["Social care referrals due in the period"] == 1
    assert figures["Social care told within timescale"] == 1
    assert figures["Social care told within timescale (%)"] == 100.0
    assert figures["Strategy discussions requested"] == 1
    assert figures["Strategy discussions held"] == 1
    assert figures["LADO referrals made"] == 0


def test_grading_quality_counts_the_grade_change(world):
    figures = dict(table(xf_tables(world), "grading").rows)
    assert figures["Referrals received"] == 4
    assert figures["Re-graded up"] == 1 and figures["Re-graded down"] == 0


def test_outcomes_and_the_share_not_in_the_public_interest(world):
    tables = xf_tables(world)
    months = {row[0]: row[1] for row in table(tables, "outcomes").rows}
    assert months == {"2026-01": 1, "2026-02": 0, "2026-03": 1}
    summary = dict(table(tables, "outcomes_summary").rows)
    assert summary["Referrals closed"] == 2
    assert summary['Closed as "not in the public interest" (%)'] == 50.0


def test_the_regional_view_compares_forces_and_names_no_one(world, make_user):
    oversight = make_user("regional_oversight", "North")
    scope = services.scope_for(oversight)
    regional, _devices = services.dashboard(oversight, scope, PERIOD, as_of=AS_OF)
    assert regional.columns == ["Measure", "XF", "YF"]
    rows = {row[0]: row[1:] for row in regional.rows}
    assert rows["Referrals received"] == [4, 1]
    assert rows["Open now"] == [3, 2]
    assert rows['Closed "not in the public interest" (%)'] == [50.0, None]
    text = str(regional.rows)
    assert not any(name in text for name in ("Lee", "'R3'", "R6", "Exampleshire"))


def test_dashboard_counts_never_name_the_id_so_the_covering_indexes_answer_alone(world, make_user):
    # COUNT(id) reads a column the covering indexes do not hold: at a million referrals that
    # took PostgreSQL's force dashboard from about 0.3 s to over 1 s (docs/performance.md).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    oversight = make_user("regional_oversight", "North")
    with CaptureQueriesContext(connection) as captured:
        xf_tables(world)
        services.dashboard(oversight, services.scope_for(oversight), PERIOD, as_of=AS_OF)
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts  # the dashboards do count in the database
    for table_name in ("referrals.referral", "clocks_clock", "investigations_outcome"):
        assert not any(f'COUNT("{table_name}"."id")' in sql for sql in counts), table_name


def test_a_force_user_sees_only_their_force(world, make_user):
    scope = services.scope_for(make_user("analyst", "XF"), force_code="YF")
    assert [force.code for force in scope.forces] == ["XF"]


def test_statistics_helpers():
    assert median([1, 2, 3, 4]) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.9) == 46.0
    assert share(1, 3) == 33.3 and share(1, 0) is None
    forecast = forecast_monthly([(date(2026, m, 1), 10 + 2 * m) for m in range(1, 7)])
    assert len(forecast) == 6 and forecast[0].month == date(2026, 7, 1)
    assert forecast[0].lower <= round(forecast[0].expected) == 24 <= forecast[0].upper
    assert forecast_monthly([(date(2026, 1, 1), 3)]) == []


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx"])
def test_cells_that_would_be_formulas_are_neutralised(value):
    assert spreadsheet_safe(value) == "'" + value
    assert spreadsheet_safe(12) == 12 and spreadsheet_safe("Low") == "Low"

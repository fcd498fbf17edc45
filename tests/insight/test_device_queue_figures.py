"""The age of the device queue on the dashboards, per force and per region: devices counted
from their seizure while their examination has not started, at the boundaries of each age."""

from datetime import date, timedelta

import pytest

from tests.conftest import london, low_risk, store
from vigil.exhibits import queue
from vigil.exhibits.services import add_exhibit
from vigil.insight import services
from vigil.insight.figures import QueueAge, queue_age

pytestmark = pytest.mark.django_db

PERIOD = services.Period(date(2026, 1, 1), date(2026, 3, 31))
RECEIVED = london(2026, 1, 5, 9, 0)
ONE_SECOND = timedelta(seconds=1)
# Low risk: 56 days from seizure. E1 falls due here.
E1_DUE = london(2026, 3, 3, 9, 0)
E2_EXAMINED = london(2026, 1, 20, 9, 0)
E3_SEIZED = london(2026, 2, 1, 9, 0)


def test_the_age_of_a_queue_is_counted_in_days():
    day = 86_400
    assert queue_age([]) == QueueAge(0, None, None, 0)
    assert queue_age([(day, False), (2 * day, True), (3 * day, False), (4 * day, True)]) == (
        QueueAge(4, 4.0, 2.5, 2)
    )
    assert queue_age([(0, False)]) == QueueAge(1, 0.0, 0.0, 0)


@pytest.fixture
def world(forces, make_user):
    xf, yf = make_user("investigator", "XF"), make_user("investigator", "YF")
    here = store(low_risk(RECEIVED) | {"source_reference": "XF-1"}, as_of=RECEIVED)[0]
    there = store(low_risk(RECEIVED) | {"source_reference": "YF-1", "force": "YF"}, as_of=RECEIVED)[
        0
    ]
    e1 = add_exhibit(
        xf, here, "E1", kind="phone", seized_at=london(2026, 1, 6, 9, 0), as_of=E2_EXAMINED
    )
    e2 = add_exhibit(
        xf, here, "E2", kind="computer", seized_at=london(2026, 1, 10, 9, 0), as_of=E2_EXAMINED
    )
    queue.move_exhibit(xf, e2, to="triage", as_of=E2_EXAMINED)
    add_exhibit(xf, here, "E3", kind="storage", seized_at=E3_SEIZED, as_of=E3_SEIZED)
    add_exhibit(
        yf, there, "E4", kind="phone", seized_at=london(2026, 1, 8, 9, 0), as_of=E2_EXAMINED
    )
    return {
        "xf": make_user("supervisor", "XF"),
        "region": make_user("regional_oversight", "North"),
        "e1": e1,
    }


def force_queue(world, as_of) -> dict:
    scope = services.scope_for(world["xf"])
    tables = services.dashboard(world["xf"], scope, PERIOD, as_of=as_of)
    [table] = [t for t in tables if t.key == "device_queue"]
    assert table.columns == [
        "Grade",
        "Waiting",
        "Oldest (days)",
        "Median age (days)",
        "Breaches now",
    ]
    return {row[0]: row[1:] for row in table.rows}


def test_a_device_due_at_the_moment_shown_is_a_breach_and_a_second_before_is_not(world):
    at_due = force_queue(world, E1_DUE)
    # E1 56 days, E3 30 days; E2's examination started, so it no longer waits.
    assert at_due["All grades"] == [2, 56.0, 43.0, 1]
    assert at_due["Low"] == [2, 56.0, 43.0, 1]
    assert at_due["Very high"] == [0, None, None, 0]
    assert force_queue(world, E1_DUE - ONE_SECOND)["All grades"] == [2, 56.0, 43.0, 0]


def test_a_device_leaves_the_queue_the_moment_its_examination_starts(world):
    assert force_queue(world, E2_EXAMINED)["All grades"] == [1, 14.0, 14.0, 0]
    before = force_queue(world, E2_EXAMINED - ONE_SECOND)["All grades"]
    assert before == [2, 14.0, 12.0, 0]


def test_a_device_joins_the_queue_the_moment_it_is_seized(world):
    assert force_queue(world, E3_SEIZED)["All grades"] == [2, 26.0, 13.0, 0]
    assert force_queue(world, E3_SEIZED - ONE_SECOND)["All grades"] == [1, 26.0, 26.0, 0]


def test_the_region_shows_each_forces_queue_and_its_own(world):
    scope = services.scope_for(world["region"])
    tables = services.dashboard(world["region"], scope, PERIOD, as_of=E1_DUE)
    [table] = [t for t in tables if t.key == "device_queue_region"]
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows == {
        "XF": [2, 56.0, 43.0, 1],
        "YF": [1, 54.0, 54.0, 0],
        "Region North": [3, 56.0, 54.0, 1],
    }
    assert "E1" not in str(table.rows) and "XF-1" not in str(table.rows)


def test_the_insight_api_gives_the_age_of_the_device_queue(client, world):
    client.force_login(world["xf"])
    answer = client.get("/api/v1/insight", {"as_of": E1_DUE.isoformat()}).json()
    [table] = [t for t in answer["tables"] if t["key"] == "device_queue"]
    assert table["rows"][-1] == ["All grades", 2, 56.0, 43.0, 1]

"""A referral is graded as of its receipt, however late it is imported, and carried forward to
the day of import; the grade in force at any moment can be read back."""

import io
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from tests.conftest import SYSTEM, london, low_risk, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.people import services as people
from vigil.risk import services as risk
from vigil.risk.models import Assessment, Override

pytestmark = pytest.mark.django_db

RECEIVED = london(2021, 6, 1, 9, 0)
IMPORTED = london(2026, 3, 2, 10, 0)


def with_sister(received: datetime = RECEIVED) -> dict:
    """The issue's example: a suspect living with his sister, 15 when the referral arrived."""
    data = low_risk(received, first_name="Dan", last_name="Brother", date_of_birth="1990-01-01")
    data["source_reference"] = "NCA-2021-0042"
    data["subjects"].append(
        {
            "ref": "h1",
            "role": "household_member",
            "first_name": "Sara",
            "date_of_birth": "2006-03-01",
            "lives_with": ["s1"],
        }
    )
    return data


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


def show(referral, as_of: str) -> dict:
    out = io.StringIO()
    call_command("referral", "show", str(referral.pk), "--json", "--as-of", as_of, stdout=out)
    return json.loads(out.getvalue())["risk"]


def test_a_2021_referral_imported_in_2026_is_graded_with_the_sister_as_a_child():
    referral, _ = store(with_sister(), as_of=IMPORTED)
    at_receipt, carried = Assessment.objects.filter(referral=referral).order_by("id")

    assert at_receipt.assessed_at == RECEIVED
    assert (at_receipt.trigger, at_receipt.engine_grade, at_receipt.step) == (
        "imported",
        "high",
        "D3",
    )
    assert at_receipt.reasons[0]["evidence"].startswith("lives with a child aged 15")

    # Carried forward to the day of import exactly as the daily re-grade would: she is 20 now,
    # but the lower grade waits for a supervisor and the grade at receipt stays in force.
    assert carried.assessed_at == IMPORTED
    assert carried.trigger == "carried forward to the day of import"
    assert (carried.engine_grade, carried.grade, carried.is_current) == ("low", "high", True)
    assert carried.changes == [
        {"code": "A1", "text": "Lives with anyone under 18", "from": "yes", "to": "no"}
    ]
    held = Override.objects.get()
    assert (held.status, held.proposed_grade, held.proposed_by_name, held.proposed_at) == (
        "pending",
        "low",
        "Vigil (re-grade)",
        IMPORTED,
    )
    assert "carried forward to the day of import" in held.reason
    referral.refresh_from_db()
    assert referral.grade == "high"

    history = risk.risk_history(referral)
    assert [(h["trigger"], h["engine_grade"], h["grade"]) for h in history] == [
        ("carried forward to the day of import", "low", "high"),
        ("imported", "high", "high"),
    ]
    assert datetime.fromisoformat(history[-1]["assessed_at"]) == RECEIVED

    # Vigil made both at the import, and the audit trail says so.
    events = AuditEvent.objects.filter(action="referral.assessed").order_by("id")
    assert [event.at for event in events] == [IMPORTED, IMPORTED]
    assert datetime.fromisoformat(events[0].after["assessed_at"]) == RECEIVED
    assert events[1].after["trigger"] == "carried forward to the day of import"


def test_the_clocks_run_from_the_grade_at_receipt():
    referral, _ = store(with_sister(), as_of=IMPORTED)
    clocks = {c["kind"]: c for c in show_clocks(referral, IMPORTED)}
    allocation = clocks["allocation"]
    assert datetime.fromisoformat(allocation["started_at"]) == RECEIVED
    assert datetime.fromisoformat(allocation["due_at"]) == RECEIVED + timedelta(hours=24)
    assert allocation["state"] == "overdue"
    enforcement = clocks["enforcement_action"]
    assert datetime.fromisoformat(enforcement["due_at"]) == london(2021, 6, 8, 9, 0)  # high: 7 days
    assert enforcement["escalation_level"] == 3


def show_clocks(referral, as_of: datetime) -> list[dict]:
    out = io.StringIO()
    call_command(
        "referral", "show", str(referral.pk), "--json", "--as-of", as_of.isoformat(), stdout=out
    )
    return json.loads(out.getvalue())["clocks"]


def test_an_import_on_the_day_of_receipt_stores_only_the_grade_at_receipt():
    referral, _ = store(with_sister(), as_of=RECEIVED + timedelta(hours=1))
    assessment = Assessment.objects.get(referral=referral)
    assert (assessment.assessed_at, assessment.grade) == (RECEIVED, "high")
    assert not Override.objects.exists()


def test_referral_show_as_of_gives_the_grade_in_force_then(make_user):
    received = london(2026, 1, 5, 9, 0)
    referral, _ = store(low_risk(received), as_of=received + timedelta(hours=1))
    people.add_household_member(
        make_user("assessor"),
        referral,
        age=7,
        source="household visit",
        learned_at=london(2026, 1, 8, 11, 0),
        as_of=london(2026, 1, 8, 12, 0),
    )

    assert show(referral, "2026-01-04") is None  # before the referral arrived: no grade
    before = show(referral, "2026-01-07")
    assert (before["grade"], before["step"], before["provisional"]) == ("low", "D6", False)
    assert datetime.fromisoformat(before["assessed_at"]) == received
    assert before["reasons"][1]["text"] == (
        "No child is known to be in the suspect's household or within their reach"
    )
    after = show(referral, "2026-01-08T12:30")
    assert (after["grade"], after["step"]) == ("high", "D3")
    assert (
        after["reasons"][0]["evidence"] == "lives with a child aged 7 (household visit, 2026-01-08)"
    )
    assert show(referral, "2026-01-08T11:59")["grade"] == "low"  # recorded at noon


def test_the_grade_as_of_a_moment_counts_only_the_overrides_decided_by_then(make_user):
    referral, _ = store(with_sister(), as_of=IMPORTED)
    approved_at = IMPORTED + timedelta(days=2)
    risk.decide_override(
        make_user("supervisor"),
        Override.objects.get(),
        approve=True,
        reason="She is 20 now; checked with the household.",
        as_of=approved_at,
    )

    at_receipt = show(referral, "2021-06-02")
    assert (at_receipt["grade"], at_receipt["engine_grade"]) == ("high", "high")
    assert at_receipt["pending_overrides"] == []
    waiting = show(referral, (IMPORTED + timedelta(days=1)).isoformat())
    assert (waiting["grade"], waiting["engine_grade"]) == ("high", "low")
    assert [o["proposed_grade"] for o in waiting["pending_overrides"]] == ["low"]
    approved = show(referral, (approved_at + timedelta(hours=1)).isoformat())
    assert (approved["grade"], approved["pending_overrides"]) == ("low", [])
    assert risk.risk_summary(referral)["grade"] == "low"


def test_the_api_gives_the_grade_in_force_as_of_a_moment(client, make_user):
    referral, _ = store(with_sister(), as_of=IMPORTED)
    client.force_login(make_user("investigator"))
    then = client.get(f"/api/v1/referrals/{referral.pk}?as_of=2021-06-02").json()["risk"]
    assert (then["grade"], then["engine_grade"], then["pending_overrides"]) == ("high", "high", [])
    now = client.get(f"/api/v1/referrals/{referral.pk}").json()["risk"]
    assert (now["grade"], now["engine_grade"]) == ("high", "low")
    assert len(now["pending_overrides"]) == 1


def test_a_re_grade_as_of_a_moment_before_the_grade_in_force_leaves_it_alone():
    store(referral_data(), as_of=london(2020, 9, 14, 12, 0))  # received 10 September 2020
    later, _ = store(
        with_sister(london(2020, 10, 1, 9, 0)) | {"source_reference": "NCA-LATER"},
        as_of=london(2020, 10, 1, 10, 0),
    )
    counts = risk.regrade_all(actor=SYSTEM, as_of=london(2020, 9, 20, 12, 0))
    assert counts == {"unchanged": 1, "graded later": 1}
    assert Assessment.objects.filter(referral=later).count() == 1


def test_referral_show_on_a_terminal_names_the_grade_in_force_then():
    referral, _ = store(with_sister(), as_of=IMPORTED)

    def text(as_of: str) -> str:
        out = io.StringIO()
        call_command("referral", "show", str(referral.pk), "--as-of", as_of, stdout=out)
        return out.getvalue()

    assert "grade: none yet" in text("2021-05-31")
    assert (
        "grade: high, assessed 2021-06-01T08:00:00+00:00 under vigil-default/5: "
        "High: lives with a child aged 15" in text("2021-06-02")
    )

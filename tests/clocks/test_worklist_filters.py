"""The worklist narrowed by grade, duty, state, owner and team, sorted, and exported to CSV
as shown (issue 16, point 3): on the service, the page, the API and the CLI."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import london, low_risk, store
from vigil.audit.models import AuditEvent
from vigil.clocks import services as clocks
from vigil.core.spreadsheets import spreadsheet_safe
from vigil.investigations import services as investigations

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 1, 5, 9, 0)
AS_OF = RECEIVED + timedelta(days=31)


@pytest.fixture
def desk(make_user):
    """Two officers in two teams of force XF, each holding referrals of two grades; one
    referral's suspect name is a spreadsheet formula."""
    north = make_user("investigator", "XF", username="north")
    north.team = "North team"
    north.save()
    south = make_user("investigator", "XF", username="south")
    south.team = "South team"
    south.save()
    supervisor = make_user("supervisor", "XF")
    low, _ = store(low_risk(RECEIVED) | {"source_reference": "=HYPERLINK(1)"}, as_of=RECEIVED)
    high_data = low_risk(RECEIVED + timedelta(days=20)) | {"source_reference": "HIGH-1"}
    high_data["indicators"] = ["grooming"]
    high, _ = store(high_data, as_of=RECEIVED + timedelta(days=20))
    other, _ = store(
        low_risk(RECEIVED + timedelta(days=2)) | {"source_reference": "LOW-SOUTH"},
        as_of=RECEIVED + timedelta(days=2),
    )
    at = RECEIVED + timedelta(days=21)
    investigations.allocate(supervisor, low, north, as_of=at)
    investigations.allocate(supervisor, high, north, as_of=at)
    investigations.allocate(supervisor, other, south, as_of=at)
    return {"north": north, "south": south, "supervisor": supervisor, "high": high}


def refs(result) -> set[str]:
    return {item["source_reference"] for item in result["items"]}


def test_a_worklist_narrows_to_one_grade_and_counts_only_what_it_shows(desk):
    everything = clocks.worklist(desk["north"], as_of=AS_OF, scope="mine")
    high_grade = desk["high"].grade
    narrowed = clocks.worklist(
        desk["north"], as_of=AS_OF, scope="mine", narrow=clocks.WorklistFilter(grade=high_grade)
    )
    assert refs(everything) == {"=HYPERLINK(1)", "HIGH-1"}
    assert refs(narrowed) == {"HIGH-1"}
    assert {item["grade"] for item in narrowed["items"]} == {high_grade}
    assert narrowed["counts"]["total"] == len(narrowed["items"]) < everything["counts"]["total"]


def test_a_worklist_narrows_to_a_duty_and_a_state(desk):
    overdue_enforcement = clocks.worklist(
        desk["north"],
        as_of=AS_OF,
        scope="mine",
        narrow=clocks.WorklistFilter(duty="enforcement_action", state="overdue"),
    )
    assert overdue_enforcement["items"]
    assert {(i["clock"], i["state"]) for i in overdue_enforcement["items"]} == {
        ("enforcement_action", "overdue")
    }
    not_yet_due = clocks.worklist(
        desk["north"], as_of=AS_OF, scope="mine", narrow=clocks.WorklistFilter(state="due")
    )
    assert all(item["state"] == "due" for item in not_yet_due["items"])
    assert not_yet_due["counts"]["overdue"] == 0


def test_the_force_worklist_narrows_to_an_owner_and_to_a_team(desk):
    by_owner = clocks.worklist(
        desk["supervisor"], as_of=AS_OF, scope="force", narrow=clocks.WorklistFilter(owner="south")
    )
    assert refs(by_owner) == {"LOW-SOUTH"}
    by_team = clocks.worklist(
        desk["supervisor"],
        as_of=AS_OF,
        scope="force",
        narrow=clocks.WorklistFilter(team="North team"),
    )
    assert refs(by_team) == {"=HYPERLINK(1)", "HIGH-1"}
    nobody = clocks.worklist(
        desk["supervisor"], as_of=AS_OF, scope="force", narrow=clocks.WorklistFilter(owner="-")
    )
    assert all(item["owner"] is None for item in nobody["items"])


def test_each_sort_orders_the_whole_list_by_what_it_names(desk):
    supervisor = desk["supervisor"]
    by_due = clocks.worklist(supervisor, as_of=AS_OF, scope="force", sort="due")["items"]
    assert [i["due_at"] for i in by_due] == sorted(i["due_at"] for i in by_due)
    by_grade = clocks.worklist(supervisor, as_of=AS_OF, scope="force", sort="grade")["items"]
    ranks = [clocks.GRADE_RANK.get(i["grade"], 0) for i in by_grade]
    assert ranks == sorted(ranks, reverse=True)
    by_reference = clocks.worklist(supervisor, as_of=AS_OF, scope="force", sort="referral")
    references = [i["source_reference"] for i in by_reference["items"]]
    assert references == sorted(references)
    with pytest.raises(clocks.ValidationError):
        clocks.worklist(supervisor, as_of=AS_OF, scope="force", sort="sideways")


def test_the_csv_export_is_what_the_page_shows_formula_safe_and_audited(client, desk):
    client.force_login(desk["north"])
    query = {"tab": "mine", "state": "overdue", "as_of": AS_OF.isoformat()}
    page = client.get(reverse("clocks:worklist"), query)
    assert page.status_code == 200
    response = client.get(reverse("clocks:worklist-csv"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["State", "Grade", "Referral"]
    shown = clocks.worklist(
        desk["north"], as_of=AS_OF, scope="mine", narrow=clocks.WorklistFilter(state="overdue")
    )
    assert [row[2] for row in rows[1:]] == [
        spreadsheet_safe(i["source_reference"]) for i in shown["items"]
    ]
    assert {row[0] for row in rows[1:]} == {"overdue"}
    # A reference a provider wrote as a formula is text in the spreadsheet, never run.
    assert "'=HYPERLINK(1)" in [row[2] for row in rows[1:]]
    assert not any(cell.startswith("=") for row in rows for cell in row)
    exported = AuditEvent.objects.filter(action="export", object_type="worklist").get()
    assert exported.after["filters"] == {"state": "overdue"}
    assert exported.after["rows"] == len(rows) - 1


def test_the_page_keeps_the_chosen_filters_and_offers_the_force_tab_to_supervisors_only(
    client, desk
):
    client.force_login(desk["supervisor"])
    text = client.get(
        reverse("clocks:worklist"), {"tab": "force", "team": "South team", "grade": "low"}
    ).content.decode()
    assert "LOW-SOUTH" in text and "HIGH-1" not in text
    assert '<option value="South team" selected>' in text
    assert "worklist.csv?tab=force&amp;team=South+team&amp;grade=low" in text
    client.force_login(desk["north"])
    text = client.get(reverse("clocks:worklist"), {"tab": "force"}).content.decode()
    assert "Every clock in the force" not in text
    # An investigator asking for the force tab gets their own clocks, not the force's.
    assert "LOW-SOUTH" not in text


def test_unknown_filter_values_in_an_address_narrow_nothing(client, desk):
    client.force_login(desk["north"])
    response = client.get(reverse("clocks:worklist"), {"grade": "purple", "sort": "sideways"})
    assert response.status_code == 200
    assert "HIGH-1" in response.content.decode()


def test_the_api_filters_sorts_and_refuses_an_unknown_value(client, desk):
    client.force_login(desk["supervisor"])
    answer = client.get(
        "/api/v1/worklist",
        {"scope": "force", "owner": "south", "sort": "due", "as_of": AS_OF.isoformat()},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["sort"] == "due"
    assert {i["source_reference"] for i in body["items"]} == {"LOW-SOUTH"}
    refused = client.get("/api/v1/worklist", {"scope": "force", "grade": "purple"})
    assert refused.status_code == 422


def test_the_cli_filters_and_writes_csv(desk):
    out = io.StringIO()
    call_command(
        "worklist",
        "--force",
        "XF",
        "--team",
        "South team",
        "--json",
        "--as-of",
        AS_OF.isoformat(),
        stdout=out,
    )
    assert {i["source_reference"] for i in json.loads(out.getvalue())["items"]} == {"LOW-SOUTH"}
    out = io.StringIO()
    call_command(
        "worklist",
        "--force",
        "XF",
        "--state",
        "overdue",
        "--csv",
        "--as-of",
        AS_OF.isoformat(),
        stdout=out,
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][0] == "State" and len(rows) > 1
    assert {row[0] for row in rows[1:]} == {"overdue"}

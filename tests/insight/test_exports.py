"""Downloads and the inspection pack: the same figures, safe in a spreadsheet, audited."""

import csv
import io
from datetime import timedelta

import pypdfium2
import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import REPO, low_risk, store
from vigil.audit.models import AuditEvent
from vigil.referrals.services import restrict_referral
from vigil.risk.services import propose_override

pytestmark = pytest.mark.django_db


def period() -> dict:
    """From 2025 to today, read when the test runs (a module loaded before midnight and run after
    would otherwise ask for a period ending yesterday)."""
    return {"from": "2025-01-01", "to": timezone.localdate().isoformat()}


@pytest.fixture
def data(make_user, forces):
    received = timezone.now() - timedelta(days=20)
    referral, _ = store(low_risk(received), as_of=received)
    sly = make_user("assessor", "XF", username="sly")
    sly.team = '=HYPERLINK("http://evil.example")'
    sly.save()
    propose_override(
        sly, referral, "high", "Intelligence of contact with children.", as_of=timezone.now()
    )
    return referral


def test_a_table_downloads_as_csv_with_formulas_neutralised_and_is_audited(client, make_user, data):
    client.force_login(make_user("unit_head", "XF"))
    response = client.get("/insight/export/grading_by_assessor.csv", period())
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Team", "Assessor"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example")'
    event = AuditEvent.objects.get(action="export")
    assert event.object_id == "grading_by_assessor.csv" and event.actor.role == "unit_head"


def test_all_tables_download_as_one_workbook(client, make_user, data):
    client.force_login(make_user("analyst", "XF"))
    response = client.get("/insight/export/all.xlsx", period())
    book = load_workbook(io.BytesIO(response.content))
    assert {"demand_monthly", "timeliness", "outcomes", "grading_by_assessor"} <= set(
        book.sheetnames
    )
    team_cell = book["grading_by_assessor"]["A2"].value
    assert team_cell.startswith("'=")


def test_analysts_get_pseudonymised_rows_with_no_reference(client, make_user, data):
    client.force_login(make_user("analyst", "XF"))
    response = client.get("/insight/export/rows.csv", period())
    text = response.content.decode("utf-8-sig")
    assert data.source_reference not in text and "Lee" not in text
    [header, row] = list(csv.reader(io.StringIO(text)))
    assert header[0] == "Referral (pseudonym)" and len(row[0]) == 16
    client.force_login(make_user("supervisor", "XF"))
    assert client.get("/insight/export/rows.csv", period()).status_code == 403


def test_a_restricted_referral_is_counted_but_given_no_row(client, make_user, data):
    restrict_referral(make_user("unit_head", "XF"), data, usernames=[], as_of=timezone.now())
    client.force_login(make_user("analyst", "XF"))
    text = client.get("/insight/export/rows.csv", period()).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1:] == []
    tables = client.get("/api/v1/insight", {"period_from": period()["from"]}).json()["tables"]
    monthly = next(table for table in tables if table["key"] == "demand_monthly")
    assert sum(row[1] for row in monthly["rows"]) == 1


def test_the_inspection_pack_is_one_pdf_whose_pages_render(tmp_path, data):
    out = tmp_path / "pack.pdf"
    call_command(
        "report",
        "inspection",
        "--force",
        "XF",
        "--from",
        "2025-01-01",
        "--to",
        timezone.localdate().isoformat(),
        "--out",
        str(out),
    )
    pdf = pypdfium2.PdfDocument(str(out))
    assert len(pdf) >= 8
    text = pdf[0].get_textpage().get_text_range()
    assert "Inspection pack: Exampleshire Police (XF)" in text
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    for number in range(3):
        image = pdf[number].render(scale=1.2).to_pil()
        image.save(artifacts / f"inspection-pack-page-{number + 1}.png")
        assert image.size[0] > 800
    assert AuditEvent.objects.filter(action="export", object_id="inspection.pdf").exists()


def test_the_dashboard_page_and_the_api(client, make_user, data):
    client.force_login(make_user("unit_head", "XF"))
    page = client.get("/insight/", period())
    assert page.status_code == 200 and b'data-testid="table-timeliness"' in page.content
    chart = client.get("/insight/charts/demand_monthly.png", period())
    assert chart["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    api = client.get("/api/v1/insight", {"period_from": "2025-01-01"}).json()
    assert "timeliness" in [t["key"] for t in api["tables"]]


def test_roles_without_insight_are_refused(client, make_user, data):
    client.force_login(make_user("investigator", "XF"))
    assert client.get("/insight/", period()).status_code == 403
    assert client.get("/insight/export/all.xlsx", period()).status_code == 403


def test_a_regional_overseer_sees_forces_side_by_side_and_no_rows(client, make_user, data):
    client.force_login(make_user("regional_oversight", "North"))
    page = client.get("/insight/", period())
    assert b"Forces of region North, side by side" in page.content
    assert data.source_reference.encode() not in page.content
    assert client.get("/insight/export/rows.csv", period()).status_code == 403
    assert client.get(f"/referrals/{data.pk}/").status_code == 403

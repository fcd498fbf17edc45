"""The referral page built for work (issue 16, point 3): at the top the grade and why, the
children in view, the next duty due and who holds it, and the owner; in-page navigation to
every section; and long lists paged, each on its own."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import referral_data, store
from vigil.investigations.services import allocate
from vigil.site.services import at_a_glance

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_user):
    return make_user("investigator", "XF")


def page(client, referral, **query) -> str:
    response = client.get(reverse("site:referral-detail", args=[referral.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def glance_row(text: str, testid: str) -> str:
    start = text.index(f'data-testid="{testid}"')
    return text[start : text.index("</dd>", start)]


def test_the_top_of_the_page_says_grade_children_next_duty_and_owner(client, make_user, officer):
    received = timezone.now() - timedelta(days=3)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    allocate(make_user("supervisor", "XF"), referral, officer, as_of=received + timedelta(hours=1))
    client.force_login(officer)
    text = page(client, referral)
    referral.refresh_from_db()
    grade = glance_row(text, "glance-grade")
    assert f"vigil-grade--{referral.grade}" in grade and 'href="#risk"' in grade
    children = glance_row(text, "glance-children")
    assert "Casey, at least 12" in children and "Unnamed (v1), at least 9" in children
    glance = at_a_glance(
        {"clocks": client.get(f"/api/v1/referrals/{referral.pk}/clocks").json(), "children": []}
    )
    next_duty = glance_row(text, "glance-next-duty")
    assert glance["next_duty"]["text"] in next_duty
    assert officer.username in next_duty  # the referral's duties are now the officer's
    assert officer.username in glance_row(text, "glance-owner")
    # Everything below is one link away.
    for anchor in ("risk", "safeguarding", "clocks", "case", "material", "documents"):
        assert f'href="#{anchor}"' in text and f'id="{anchor}"' in text


def test_an_unallocated_referral_says_nobody_holds_its_next_duty(client, officer):
    received = timezone.now() - timedelta(hours=2)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    client.force_login(officer)
    text = page(client, referral)
    assert "nobody yet" in glance_row(text, "glance-next-duty")
    assert "Not allocated" in glance_row(text, "glance-owner")


def clock(state: str, due: str, text: str, owner=None) -> dict:
    return {"state": state, "due_at": due, "text": text, "owner": owner}


def test_the_next_duty_is_the_most_urgent_open_clock_not_the_earliest_started():
    detail = {
        "clocks": [
            clock("met", "2026-01-01T09:00:00+00:00", "Allocation"),
            clock("due", "2026-01-02T09:00:00+00:00", "Risk assessment"),
            clock("overdue", "2026-01-05T09:00:00+00:00", "Social care referral", "north"),
            clock("overdue", "2026-01-04T10:00:00+01:00", "Strategy discussion"),
            clock("cancelled", "2025-12-01T09:00:00+00:00", "Bail return"),
        ],
        "children": [{"name": "Casey", "relation": "household"}],
    }
    glance = at_a_glance(detail)
    # Overdue before due; among the overdue, the earlier due time, whatever its offset.
    assert glance["next_duty"]["text"] == "Strategy discussion"
    assert (glance["open_duties"], glance["overdue_duties"]) == (3, 2)
    assert glance["children"] == detail["children"]
    assert at_a_glance({"clocks": [clock("met", "2026-01-01T09:00:00+00:00", "x")]}) == {
        "next_duty": None,
        "open_duties": 0,
        "overdue_duties": 0,
        "children": [],
    }


def test_a_long_list_of_material_is_paged_and_each_list_pages_on_its_own(client, officer):
    received = timezone.now() - timedelta(hours=2)
    material = [
        {"kind": "image", "count": 1, "file_name": f"file-{n:03}.jpg", "md5": f"{n:032x}"}
        for n in range(120)
    ]
    referral, _ = store(
        referral_data(received_at=received.isoformat(), material=material), as_of=received
    )
    client.force_login(officer)
    first = page(client, referral)
    assert "file-000.jpg" in first and "file-049.jpg" in first and "file-050.jpg" not in first
    assert 'data-testid="material-pages"' in first and "Page 1 of 3" in first
    assert "material_page=2#material" in first
    third = page(client, referral, material_page=3, clocks_page=1)
    assert "file-100.jpg" in third and "file-119.jpg" in third and "file-099.jpg" not in third
    # Moving through the material keeps the other lists' pages and any as-of in the links.
    assert "clocks_page=1&amp;material_page=2#material" in third
    # A page number past the end or not a number shows the nearest real page, never an error.
    assert "file-119.jpg" in page(client, referral, material_page=99)
    assert "file-000.jpg" in page(client, referral, material_page="x")

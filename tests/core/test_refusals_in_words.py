"""Refused in words: an "as of" that is no sane moment, too long a period, a write from no one."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

NOT_MOMENTS = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:30:00+14:00",
    "9999-12-31T23:00:00-14:00",
    "yesterday",
    "1969-12-31",
]


@pytest.mark.parametrize("as_of", NOT_MOMENTS)
def test_the_worklist_page_refuses_a_moment_outside_the_years_vigil_knows(client, make_user, as_of):
    client.force_login(make_user("supervisor"))
    response = client.get(reverse("clocks:worklist"), {"as_of": as_of})
    assert response.status_code == 400
    assert "There is a problem with the address" in response.content.decode()


@pytest.mark.parametrize("as_of", NOT_MOMENTS)
@pytest.mark.parametrize("path", ["/api/v1/worklist", "/api/v1/breaches"])
def test_the_api_refuses_a_moment_outside_the_years_vigil_knows(client, make_user, as_of, path):
    client.force_login(make_user("supervisor"))
    response = client.get(path, {"as_of": as_of})
    assert response.status_code == 400, response.content
    assert response.json()["location"] == "as_of"


def test_insight_refuses_a_period_of_the_far_future_or_decades_long(client, make_user):
    client.force_login(make_user("supervisor"))
    far = client.get("/api/v1/insight", {"period_to": "9999-12-31"})
    assert far.status_code == 422 and "outside the years" in far.json()["error"]
    long = client.get("/api/v1/insight", {"period_from": "1990-01-01", "period_to": "2026-01-01"})
    assert long.status_code == 422 and "at most five years" in long.json()["error"]
    year = client.get("/api/v1/insight", {"period_from": "2025-01-01", "period_to": "2025-12-31"})
    assert year.status_code == 200


def test_assurance_refuses_a_moment_in_year_one(client, make_user):
    client.force_login(make_user("supervisor"))
    response = client.get("/api/v1/risk/assurance", {"until": "0001-01-01T00:00:00"})
    assert response.status_code == 422
    assert response.json()["location"] == "query.until"
    assert "outside the years 1970 to 2199" in response.json()["error"]


def test_a_write_from_no_one_is_told_to_sign_in_not_a_csrf_failure(forces):
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post("/api/v1/investigations", data="{}", content_type="application/json")
    assert response.status_code == 401
    assert "sign in" in response.json()["error"]


def test_a_signed_in_write_without_the_csrf_token_is_still_refused(forces, make_user):
    session = Client(enforce_csrf_checks=True)
    session.force_login(make_user("supervisor"))
    response = session.post("/api/v1/investigations", data="{}", content_type="application/json")
    assert response.status_code == 403

"""Grades, overrides and facts through the JSON API, and the CLI's risk object."""

import io
import json

import pytest
from django.core.management import call_command

from tests.conftest import referral_data, store

pytestmark = pytest.mark.django_db


def suspect_only() -> dict:
    return referral_data(
        subjects=[
            {
                "ref": "s1",
                "role": "suspect",
                "first_name": "Sam",
                "last_name": "Suspect",
                "date_of_birth": "1980-04-02",
                "works_with_children": False,
                "history_established": True,
                "household_established": True,
                "access_established": True,
                "history": [{"type": "indecent_images", "outcome": "conviction"}],
            }
        ],
        access=[],
        indicators=[],
        material=[],
        incident={"type": "csam_possession", "escalated": False},
    )


@pytest.fixture
def referral(forces):
    return store(suspect_only())[0]


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_risk_endpoint_gives_the_grade_reasons_and_history(client, make_user, referral):
    client.force_login(make_user("assessor"))
    risk = client.get(f"/api/v1/referrals/{referral.pk}/risk").json()
    assert risk["current"]["grade"] == "medium"
    assert risk["current"]["policy"] == "vigil-default/5"
    assert risk["current"]["reasons"][0]["code"] == "P2"
    assert len(risk["history"]) == 1


def test_recording_a_household_child_through_the_api_re_grades(client, make_user, referral):
    client.force_login(make_user("assessor"))
    response = post(
        client,
        f"/api/v1/referrals/{referral.pk}/household-members",
        {"first_name": "Kit", "age": 6, "source": "household record"},
    )
    assert response.status_code == 201
    assert (response.json()["grade"], response.json()["recorded"]["fact"]) == (
        "high",
        "household member added",
    )
    risk = client.get(f"/api/v1/referrals/{referral.pk}/risk").json()
    assert risk["current"]["grade"] == "high"
    assert [h["grade"] for h in risk["history"]] == ["high", "medium"]
    assert risk["history"][0]["changes"][0]["code"] == "A1"


def test_an_override_through_the_api_waits_then_is_approved(client, make_user, referral):
    client.force_login(make_user("assessor"))
    proposed = post(
        client,
        f"/api/v1/referrals/{referral.pk}/overrides",
        {"grade": "low", "reason": "Conviction spent; no access found."},
    )
    assert (proposed.status_code, proposed.json()["recorded"]["status"]) == (201, "pending")
    refused = post(client, f"/api/v1/overrides/{proposed.json()['id']}/decision", {"approve": True})
    assert refused.status_code == 403  # an assessor cannot approve
    client.force_login(make_user("supervisor"))
    approved = post(
        client,
        f"/api/v1/overrides/{proposed.json()['id']}/decision",
        {"approve": True, "reason": "Agreed."},
    )
    assert approved.json()["recorded"]["status"] == "approved"
    assert client.get(f"/api/v1/referrals/{referral.pk}").json()["risk"]["grade"] == "low"


def test_an_override_below_the_floor_is_a_clear_422(client, make_user, referral):
    client.force_login(make_user("assessor"))
    post(
        client,
        f"/api/v1/referrals/{referral.pk}/access",
        {"kind": "regular_unsupervised", "child_age": 8, "source": "neighbour"},
    )
    response = post(
        client,
        f"/api/v1/referrals/{referral.pk}/overrides",
        {"grade": "medium", "reason": "Access is supervised really."},
    )
    assert response.status_code == 422
    assert "below the floor" in response.json()["error"]


def test_another_forces_referral_risk_is_not_found(client, make_user, referral):
    client.force_login(make_user("assessor", "YF"))
    assert client.get(f"/api/v1/referrals/{referral.pk}/risk").status_code == 404
    response = post(
        client, f"/api/v1/referrals/{referral.pk}/history", {"type": "violence", "source": "x"}
    )
    assert response.status_code == 404


def test_assurance_is_for_supervisors(client, make_user, referral):
    client.force_login(make_user("assessor"))
    post(
        client,
        f"/api/v1/referrals/{referral.pk}/overrides",
        {"grade": "low", "reason": "Conviction spent; no access found."},
    )
    assert client.get("/api/v1/risk/assurance").status_code == 403
    client.force_login(make_user("supervisor"))
    report = client.get("/api/v1/risk/assurance").json()
    [row] = report["assessors"]
    assert (row["assessor"], row["proposed"], row["lowered"], row["pending"]) == (
        "assessor-xf",
        1,
        1,
        1,
    )


def test_referral_show_json_carries_the_risk_object(referral):
    out = io.StringIO()
    call_command("referral", "show", str(referral.pk), "--json", stdout=out)
    risk = json.loads(out.getvalue())["risk"]
    assert {"grade", "provisional", "policy", "step", "reasons", "missing"} <= set(risk)
    assert (risk["grade"], risk["provisional"], risk["policy"], risk["step"]) == (
        "medium",
        False,
        "vigil-default/5",
        "D5",
    )

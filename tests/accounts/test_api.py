"""The JSON API: OpenAPI document, import with clear answers, tokens."""

import json

import pytest

from tests.conftest import AS_OF, EXAMPLE_REFERRAL, referral_data
from vigil.accounts.services import issue_token, withdraw_token
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db


def post(client, data, **headers):
    body = data if isinstance(data, bytes) else json.dumps(data)
    return client.post("/api/v1/referrals", body, content_type="application/json", **headers)


def test_the_openapi_document_is_served_and_describes_referrals(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Vigil"
    assert "/api/v1/referrals" in document["paths"]
    assert "/api/v1/referrals/{referral_id}" in document["paths"]
    body = document["paths"]["/api/v1/referrals"]["post"]["requestBody"]
    assert "source_reference" in body["content"]["application/json"]["schema"]["properties"]


def test_posting_a_referral_creates_it_then_recognises_it(signed_in):
    first = post(signed_in, EXAMPLE_REFERRAL)
    assert first.status_code == 201
    assert first.json()["status"] == "created"
    again = post(signed_in, EXAMPLE_REFERRAL)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert again.json()["referral_id"] == first.json()["referral_id"]


def test_a_refused_referral_says_where_and_why_and_stores_nothing(signed_in):
    response = post(signed_in, referral_data(received_at="yesterday"))
    assert response.status_code == 422
    assert response.json()["location"] == "$.received_at"
    assert "not a date and time" in response.json()["error"]
    assert not Referral.objects.exists()


def test_malformed_json_in_the_body_is_refused(signed_in):
    response = post(signed_in, b'{"schema": ')
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["error"]


def test_the_detail_includes_people_material_links_and_documents(signed_in):
    created = post(signed_in, EXAMPLE_REFERRAL).json()
    detail = signed_in.get(f"/api/v1/referrals/{created['referral_id']}?as_of=2020-09-14").json()
    assert [s["ref"] for s in detail["subjects"]] == ["s1", "c1", "v1", "c2"]
    suspect = detail["subjects"][0]
    assert suspect["age_today"] == 17
    assert {
        "type": "phone",
        "value": "07700 900123",
        "normalised": "+447700900123",
        "service": "",
        "seen_at": None,
    } in suspect["identifiers"]
    assert detail["material"][0]["category"] == "A"
    assert detail["documents"][0]["sha256"]
    assert detail["linked_referrals"] == []


def test_a_bad_as_of_is_a_clear_error(signed_in):
    created = post(signed_in, EXAMPLE_REFERRAL).json()
    response = signed_in.get(f"/api/v1/referrals/{created['referral_id']}?as_of=someday")
    assert response.status_code == 400
    assert "not a date" in response.json()["error"]


def test_a_token_acts_as_its_user_until_revoked(client, officer):
    token, key = issue_token(officer, officer, "feed", as_of=AS_OF)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert post(client, EXAMPLE_REFERRAL, **auth).status_code == 201
    assert client.get("/api/v1/referrals", **auth).json()["count"] == 1
    withdraw_token(officer, token, as_of=AS_OF)
    assert client.get("/api/v1/referrals", **auth).status_code == 401


def test_only_the_hash_of_a_token_is_stored(officer):
    token, key = issue_token(officer, officer, "feed", as_of=AS_OF)
    token.refresh_from_db()
    assert key not in (token.key_hash, token.prefix)
    assert key.startswith(token.prefix)


def test_a_role_that_cannot_import_is_refused_by_the_api(client, make_user):
    client.force_login(make_user("analyst", "XF"))
    assert post(client, EXAMPLE_REFERRAL).status_code == 403

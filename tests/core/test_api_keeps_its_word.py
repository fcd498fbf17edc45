"""The OpenAPI document says every answer an operation can give, and bad input is refused in
the same shape, ``{"error", "location"}``, never a 5xx."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import low_risk, store
from vigil.api import api

pytestmark = pytest.mark.django_db

OPERATIONS = [
    (path, method.upper(), operation)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method, operation in methods.items()
]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=lambda v: str(v)[:60])
def test_every_operation_declares_its_refusals_as_problems(path, method, operation):
    declared = {int(status) for status in operation["responses"]}
    expected = {400, 401, 403, 422}
    if "{" in path:
        expected.add(404)
    if method in {"POST", "PUT", "PATCH", "DELETE"}:
        expected |= {404, 409}
    assert expected <= declared, (method, path, sorted(declared))
    for status in expected:
        answers = {int(code): answer for code, answer in operation["responses"].items()}
        schema = answers[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)


def test_a_record_number_out_of_the_databases_range_is_refused_in_words(signed_in):
    for number in ("0", "-1", str(2**63)):
        response = signed_in.get(f"/api/v1/referrals/{number}")
        assert response.status_code == 422, (number, response.content)
        assert response.json()["location"] == "path.referral_id"


def test_a_body_that_is_not_an_object_creates_nothing(client, make_user):
    client.force_login(make_user("supervisor"))
    # The case: a strategy discussion was once made from the body ``-32389``.
    referral = _referral()
    response = client.post(
        f"/api/v1/referrals/{referral.pk}/strategy-discussions",
        "-32389",
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"error", "location"}
    assert referral.strategy_discussions.count() == 0


def test_a_body_that_is_not_json_is_refused_400_in_the_same_shape(signed_in):
    referral = _referral()
    response = signed_in.post(
        f"/api/v1/referrals/{referral.pk}/indicators",
        b"\x03@\x0b\xa9;",
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["location"] == "body"


def test_a_time_written_as_a_number_of_seconds_is_refused(signed_in):
    response = signed_in.get("/api/v1/risk/assurance", {"until": "0.5"})
    assert response.status_code == 422, response.content
    assert response.json()["location"] == "query.until"


def test_an_empty_as_of_means_now_and_a_negative_page_is_refused(signed_in):
    assert signed_in.get("/api/v1/worklist", {"as_of": ""}).status_code == 200
    refused = signed_in.get("/api/v1/worklist", {"page": "-999"})
    assert refused.status_code == 422 and refused.json()["location"] == "query.page"


def _referral():
    received = timezone.now() - timedelta(days=1)
    referral, _ = store(low_risk(received), as_of=received)
    return referral

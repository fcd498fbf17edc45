"""Text holding a NUL character is refused plainly, never an error from the database."""

import json

import pytest
from django.urls import reverse

from tests.conftest import as_bytes, referral_data, store
from vigil.intake import native_json
from vigil.referrals.drafts import IntakeError

pytestmark = pytest.mark.django_db


def test_a_nul_in_an_api_query_is_a_422_naming_where(signed_in):
    response = signed_in.get("/api/v1/referrals?force=X%00F")
    assert response.status_code == 422
    assert response.json() == {"error": "text may not contain NUL characters", "location": "query"}


def test_a_nul_in_an_api_body_is_a_422(client, make_user, forces):
    client.force_login(make_user("intake_officer"))
    body = json.dumps(referral_data(summary="before\u0000after"))
    response = client.post("/api/v1/referrals", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["location"] == "body"


def test_a_nul_in_a_page_form_is_a_400(signed_in):
    response = signed_in.post(
        reverse("referrals:indicators", args=[1]),
        "source=a%00b&indicator=grooming",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_a_nul_in_a_multipart_form_field_is_not_recorded(client, make_user, forces):
    referral, _ = store(referral_data())
    client.force_login(make_user("assessor"))
    response = client.post(
        reverse("referrals:indicators", args=[referral.pk]),
        {"source": "a\x00b", "indicator": "grooming"},
        follow=True,
    )
    assert "source: text may not contain NUL characters" in response.content.decode()


def test_a_referral_file_with_a_nul_is_refused_where_it_is(forces):
    data = referral_data()
    data["subjects"][0]["last_name"] = "Ex\u0000ample"
    with pytest.raises(IntakeError) as refused:
        native_json.read_referral("x.json", as_bytes(data), as_of=None)
    assert refused.value.location == "$.subjects[0].last_name"


def test_a_page_beyond_the_last_is_an_empty_page_not_an_error(signed_in):
    assert signed_in.get("/api/v1/worklist?page=99999999999999999999").status_code in {200, 422}
    assert signed_in.get("/api/v1/worklist?page=9223372036854775807").status_code == 200

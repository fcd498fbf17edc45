"""A refusal's reason in the language of whoever asked (issue 16, point 2): a page or an API call
that asks for Welsh gets the reason in Welsh; the command line stays in English."""

import html
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import low_risk, store

pytestmark = pytest.mark.django_db


IN_WELSH = {"HTTP_ACCEPT_LANGUAGE": "cy"}


@pytest.fixture
def referral(forces):
    received = timezone.now() - timedelta(days=1)
    return store(low_risk(received) | {"source_reference": "NCA-CY-1"}, as_of=received)[0]


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_refusal_asked_for_in_welsh_on_the_page_gives_its_reason_in_welsh(
    client, make_user, referral
):
    client.force_login(make_user("supervisor"))
    left = client.post(
        reverse("investigations:leave-investigation", args=[referral.pk]),
        {"reason": "Not the same person after all."},
        follow=True,
        **IN_WELSH,
    )
    assert "nid yw NCA-CY-1 wedi'i gyfuno mewn ymchwiliad" in page_text(left)
    assert "is not joined into an investigation" not in page_text(left)

    offered = client.post(
        reverse("investigations:transfer", args=[referral.pk]),
        {"to_force": "YF", "reason": "x"},
        follow=True,
        **IN_WELSH,
    )
    assert "Heb ei gofnodi: rhowch y rheswm dros y trosglwyddiad mewn geiriau" in page_text(offered)


def test_the_same_refusal_asked_for_in_english_stays_english(client, make_user, referral):
    client.force_login(make_user("supervisor"))
    offered = client.post(
        reverse("investigations:transfer", args=[referral.pk]),
        {"to_force": "YF", "reason": "x"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en-GB",
    )
    assert "Not recorded: give the reason for the transfer in words" in page_text(offered)


def test_the_same_refusal_through_the_command_line_stays_english(client, make_user, referral):
    # A page asked for in Welsh first: what it chose must not follow the command.
    client.force_login(make_user("supervisor"))
    client.get(reverse("site:referral-detail", args=[referral.pk]), **IN_WELSH)
    with pytest.raises(CommandError, match="NCA-CY-1 is not joined into an investigation"):
        call_command("investigation", "leave", "NCA-CY-1", "--reason", "Not the same person.")


def test_an_api_refusal_asked_for_in_welsh_is_json_with_the_reason_in_welsh(
    client, make_user, referral
):
    client.force_login(make_user("supervisor"))
    refused = client.post(
        f"/api/v1/referrals/{referral.pk}/transfer",
        json.dumps({"to_force": "YF", "reason": "x"}),
        content_type="application/json",
        **IN_WELSH,
    )
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/json")
    assert json.loads(refused.content) == {
        "error": "rhowch y rheswm dros y trosglwyddiad mewn geiriau",
        "location": "",
    }

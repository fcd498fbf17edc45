"""A user of one force never reaches another force's referrals: list, page and API alike."""

import pytest
from django.urls import reverse

from tests.conftest import referral_data, store
from vigil.audit.models import AuditEvent
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def referrals(forces):
    mine, _ = store(referral_data(source_reference="NCA-XF-1", force="XF"))
    theirs, _ = store(referral_data(source_reference="NCA-YF-1", force="YF"))
    return mine, theirs


def test_the_list_page_shows_only_my_forces_referrals(signed_in, referrals):
    page = signed_in.get(reverse("site:referral-list"))
    assert page.status_code == 200
    assert b"NCA-XF-1" in page.content
    assert b"NCA-YF-1" not in page.content


def test_filtering_the_list_by_another_force_shows_nothing(signed_in, referrals):
    page = signed_in.get(reverse("site:referral-list"), {"force": "YF"})
    assert b"NCA-YF-1" not in page.content


def test_another_forces_referral_page_is_not_found(signed_in, referrals):
    mine, theirs = referrals
    assert signed_in.get(reverse("site:referral-detail", args=[mine.pk])).status_code == 200
    assert signed_in.get(reverse("site:referral-detail", args=[theirs.pk])).status_code == 404


def test_another_forces_referral_is_not_found_in_the_api(signed_in, referrals):
    mine, theirs = referrals
    assert signed_in.get(f"/api/v1/referrals/{mine.pk}").status_code == 200
    assert signed_in.get(f"/api/v1/referrals/{theirs.pk}").status_code == 404
    listing = signed_in.get("/api/v1/referrals").json()
    assert [r["source_reference"] for r in listing["results"]] == ["NCA-XF-1"]
    assert signed_in.get("/api/v1/referrals", {"force": "YF"}).json()["count"] == 0


@pytest.mark.parametrize("role", ["analyst", "auditor", "administrator", "regional_oversight"])
def test_a_role_without_casework_is_refused_referral_data(client, make_user, referrals, role):
    user = make_user(role, "North" if role == "regional_oversight" else "XF")
    client.force_login(user)
    # Refused before any lookup, so the answer says nothing about whether the referral exists.
    assert client.get("/api/v1/referrals").status_code == 403
    assert client.get(f"/api/v1/referrals/{referrals[0].pk}").status_code == 403
    assert client.get(f"/api/v1/referrals/{10**9}").status_code == 403
    assert client.get(reverse("site:referral-list")).status_code == 403
    assert client.get(reverse("site:referral-detail", args=[referrals[0].pk])).status_code == 403
    assert Referral.objects.restrict(user).count() == 0


def test_signed_out_visitors_are_sent_to_sign_in(client, referrals):
    page = client.get(reverse("site:referral-detail", args=[referrals[0].pk]))
    assert page.status_code == 302
    assert page.url.startswith(reverse("accounts:login"))
    assert client.get("/api/v1/referrals").status_code == 401


def test_opening_a_referral_is_audited_and_a_refusal_too(client, make_user, referrals):
    officer = make_user("investigator", "XF")
    client.force_login(officer)
    client.get(reverse("site:referral-detail", args=[referrals[0].pk]), REMOTE_ADDR="10.1.2.3")
    viewed = AuditEvent.objects.get(action="referral.viewed")
    assert (viewed.actor, viewed.object_id, viewed.source_address) == (
        officer,
        str(referrals[0].pk),
        "10.1.2.3",
    )
    assert viewed.request_id
    client.get(reverse("intake:import"))
    refused = AuditEvent.objects.get(action="permission.refused")
    assert refused.object_id == "referral.import"

"""The investigation on the referral page, the API and the CLI."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import low_risk, store
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(forces):
    received = timezone.now() - timedelta(days=3)
    data = low_risk(received, household_established=True)
    data["subjects"][0]["address"] = {"line1": "1 High Street", "postcode": "XX1 1XX"}
    data["subjects"].append(
        {
            "ref": "h1",
            "role": "household_member",
            "first_name": "Sky",
            "age": 15,
            "lives_with": ["s1"],
        }
    )
    return store(data, as_of=received + timedelta(hours=1))[0]


def test_the_referral_page_shows_children_timeline_standards_and_flags(client, make_user, referral):
    client.force_login(make_user("investigator"))
    text = client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()
    assert 'data-testid="children"' in text and "Sky" in text and "Lives with the suspect" in text
    assert 'data-testid="timeline"' in text and "Graded high (imported)" in text
    assert 'data-testid="standards"' in text and "Outstanding" in text


def test_bulk_allocation_from_the_unallocated_worklist(client, make_user, forces):
    received = timezone.now() - timedelta(days=1)
    referrals = [
        store(low_risk(received) | {"source_reference": f"B-{n}"}, as_of=received)[0]
        for n in range(3)
    ]
    officer = make_user("investigator")
    client.force_login(make_user("supervisor"))
    page = client.get(reverse("clocks:worklist"), {"tab": "unallocated"}).content.decode()
    assert 'data-testid="bulk-allocate"' in page
    response = client.post(
        reverse("investigations:bulk-allocate"),
        {"officer": officer.username, "referrals": [r.pk for r in referrals[:2]]},
        follow=True,
    )
    assert "2 referrals allocated" in response.content.decode()
    assert Referral.objects.filter(owner=officer).count() == 2


def test_a_stale_form_is_refused_with_what_changed(client, make_user, referral):
    supervisor = make_user("supervisor")
    client.force_login(supervisor)
    stale = referral.version
    client.post(reverse("investigations:flags", args=[referral.pk]), {"flags": ["firearms"]})
    response = client.post(
        reverse("investigations:status", args=[referral.pk]),
        {"status": "outcome_pending", "expected_version": stale},
        follow=True,
    )
    assert (
        "was changed since you opened it (Referral flags changed by supervisor-xf"
        in response.content.decode()
    )


def test_the_cli_shows_children_safeguarding_standards_actions_and_outcome(referral):
    out = io.StringIO()
    call_command("referral", "show", str(referral.pk), "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert {"children", "safeguarding", "standards", "actions", "outcome"} <= set(shown)
    assert shown["children"][0]["ref"] == "h1"
    assert shown["outcome"] is None


def test_the_api_refuses_a_bail_home_to_a_child_and_a_stale_version(client, make_user, referral):
    client.force_login(make_user("investigator"))
    response = client.post(
        f"/api/v1/referrals/{referral.pk}/releases",
        json.dumps(
            {
                "kind": "released_under_investigation",
                "address": "1 High Street",
                "postcode": "XX1 1XX",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "a supervisor must record the release" in response.json()["error"]
    stale = client.post(
        f"/api/v1/referrals/{referral.pk}/status",
        json.dumps({"status": "outcome_pending", "expected_version": referral.version - 1}),
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_a_supervisor_review_records_which_standards_were_checked(client, make_user, referral):
    client.force_login(make_user("supervisor"))
    client.post(
        reverse("investigations:reviews", args=[referral.pk]),
        {"notes": "Reviewed.", "standards_checked": ["identity", "household"]},
    )
    review = referral.reviews.get()
    assert review.standards_checked == ["identity", "household"]

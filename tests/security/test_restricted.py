"""A restricted referral is seen only by the people named on it."""

import pytest
from django.urls import reverse

from tests.conftest import AS_OF, referral_data, store
from vigil.clocks import services as clocks
from vigil.referrals.services import restrict_referral as restrict

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(make_user, forces):
    referral, _ = store(referral_data(source_reference="NCA-OFFICER-1"))
    head = make_user("unit_head", "XF")
    named = make_user("investigator", "XF", username="named-investigator")
    restrict(head, referral, restricted=True, usernames=[named.username], as_of=AS_OF)
    return referral, head, named


def test_people_not_named_find_nothing(client, make_user, restricted):
    referral, _head, _named = restricted
    other = make_user("investigator", "XF", username="not-named")
    client.force_login(other)
    assert client.get(reverse("site:referral-detail", args=[referral.pk])).status_code == 404
    assert client.get(f"/api/v1/referrals/{referral.pk}").status_code == 404
    assert b"NCA-OFFICER-1" not in client.get(reverse("site:referral-list")).content
    assert client.get("/api/v1/referrals").json()["count"] == 0


def test_named_people_see_it_and_it_is_flagged(client, restricted):
    referral, head, named = restricted
    for user in (head, named):
        client.force_login(user)
        page = client.get(reverse("site:referral-detail", args=[referral.pk]))
        assert page.status_code == 200 and b"Restricted" in page.content


def test_its_clocks_stay_out_of_other_peoples_worklists(make_user, restricted):
    referral, head, _named = restricted
    supervisor = make_user("supervisor", "XF")
    force_list = clocks.worklist(supervisor, as_of=AS_OF, scope="force")
    assert all(item["referral_id"] != referral.pk for item in force_list["items"])
    assert any(
        item["referral_id"] == referral.pk
        for item in clocks.worklist(head, as_of=AS_OF, scope="force")["items"]
    )


def test_only_roles_allowed_to_restrict_can(make_user, forces):
    referral, _ = store(referral_data())
    with pytest.raises(Exception, match="does not allow"):
        restrict(
            make_user("investigator", "XF"), referral, restricted=True, usernames=[], as_of=AS_OF
        )

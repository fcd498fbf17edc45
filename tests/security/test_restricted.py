"""A restricted referral is seen only by the people named on it."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import AS_OF, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.clocks import services as clocks
from vigil.referrals.models import Referral
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


def test_the_command_restricts_to_the_people_named_and_lifts_it(make_user, forces, capsys):
    referral, _ = store(referral_data(source_reference="NCA-OFFICER-2"))
    named = make_user("investigator", "XF", username="named-by-command")
    other = make_user("investigator", "XF", username="not-named-by-command")
    call_command("referral", "restrict", "NCA-OFFICER-2", "--to", named.username)
    assert "restricted to named-by-command" in capsys.readouterr().out
    assert Referral.objects.restrict(other).filter(pk=referral.pk).count() == 0
    assert Referral.objects.restrict(named).filter(pk=referral.pk).count() == 1
    event = AuditEvent.objects.filter(action="referral.restricted").latest("id")
    assert event.after == {"restricted": True, "named": ["named-by-command"]}
    call_command("referral", "restrict", "NCA-OFFICER-2", "--lift")
    assert "no longer restricted" in capsys.readouterr().out
    assert Referral.objects.restrict(other).filter(pk=referral.pk).count() == 1
    assert AuditEvent.objects.filter(action="referral.restricted").count() == 2


def test_the_command_refuses_someone_of_another_force_and_says_why(make_user, forces):
    store(referral_data(source_reference="NCA-OFFICER-3"))
    make_user("investigator", "YF", username="elsewhere")
    with pytest.raises(CommandError, match="no active user of XF called elsewhere"):
        call_command("referral", "restrict", "NCA-OFFICER-3", "--to", "elsewhere")
    with pytest.raises(CommandError):
        call_command("referral", "restrict", "NCA-OFFICER-3")  # neither --to nor --lift


def test_the_page_restricts_and_lifts(client, make_user, forces):
    referral, _ = store(referral_data(source_reference="NCA-OFFICER-4"))
    head = make_user("unit_head", "XF")
    client.force_login(head)
    client.post(
        reverse("referrals:restriction", args=[referral.pk]),
        {"restricted": "true", "usernames": []},
    )
    referral.refresh_from_db()
    assert referral.is_restricted and "restricted" in referral.flags
    assert list(referral.named_people.values_list("user__username", flat=True)) == [head.username]
    client.post(reverse("referrals:restriction", args=[referral.pk]), {"restricted": "false"})
    referral.refresh_from_db()
    assert not referral.is_restricted and not referral.named_people.exists()

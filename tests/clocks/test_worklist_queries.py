"""The worklist reads its rows in a fixed number of queries, however many it lists (issue 14,
point 5: each request's CPU under load)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import referral_data, store
from vigil.investigations.services import allocate

pytestmark = pytest.mark.django_db


def worklist_of(client, make_user, referrals: int):
    officer = make_user("investigator", "XF")
    supervisor = make_user("supervisor", "XF")
    for user in (officer, supervisor):
        user.team = "North"
        user.save(update_fields=["team"])
    received = timezone.now() - timedelta(days=3)
    for number in range(referrals):
        referral, _ = store(
            referral_data(received_at=received.isoformat(), source_reference=f"W-{number}"),
            as_of=received,
        )
        allocate(supervisor, referral, officer, as_of=received + timedelta(hours=1))
    client.force_login(officer)
    client.get("/worklist/")  # the session as it is on every later page


def test_the_worklist_reads_its_rows_in_at_most_12_queries(
    client, make_user, django_assert_max_num_queries
):
    worklist_of(client, make_user, referrals=4)
    with django_assert_max_num_queries(12):
        answer = client.get("/worklist/")
    # Every referral's rows are listed, each with its children in view.
    text = answer.content.decode()
    assert all(f"W-{number}" in text for number in range(4))
    assert text.count('data-testid="children-in-view"') >= 4


def test_a_team_worklist_filtered_by_owner_reads_the_same_few_queries(
    client, make_user, django_assert_max_num_queries
):
    worklist_of(client, make_user, referrals=4)
    client.force_login(make_user("supervisor", "XF"))
    client.get("/worklist/?tab=team")
    with django_assert_max_num_queries(13):
        answer = client.get("/worklist/?tab=team&owner=investigator-xf")
    text = answer.content.decode()
    assert all(f"W-{number}" in text for number in range(4))
    # The owner list is still offered, and the one chosen still chosen.
    assert '<option value="investigator-xf" selected>' in text

"""The referral page reads its sections in a fixed number of queries, however many people,
clocks and actions the referral holds (issue 14, point 5: the page's CPU under load)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import referral_data, store
from vigil.investigations.services import allocate

pytestmark = pytest.mark.django_db


def worked_referral(client, make_user, actions: int):
    officer = make_user("investigator", "XF")
    received = timezone.now() - timedelta(days=3)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    allocate(make_user("supervisor", "XF"), referral, officer, as_of=received + timedelta(hours=1))
    client.force_login(officer)
    for number in range(actions):
        answer = client.post(
            f"/investigation/{referral.pk}/actions/",
            {"kind": "safeguarding_visit", "notes": f"Visit {number}."},
        )
        assert answer.status_code == 302
    return referral


def test_the_referral_page_reads_its_sections_in_at_most_33_queries(
    client, make_user, django_assert_max_num_queries
):
    # People (a suspect, a household, children), clocks, an allocation and three actions.
    referral = worked_referral(client, make_user, actions=3)
    with django_assert_max_num_queries(33):
        answer = client.get(reverse("site:referral-detail", args=[referral.pk]))
    text = answer.content.decode()
    start = text.index('data-testid="timeline"')
    timeline = text[start : text.index("</ol>", start)]
    # Every action recorded and the allocation are in the timeline; the children in view show.
    assert timeline.count("Safeguarding visit") == 3
    assert "Allocated to investigator-xf" in timeline
    assert "Casey" in text


def test_more_records_on_a_referral_cost_the_page_no_more_queries(client, make_user):
    referral = worked_referral(client, make_user, actions=1)
    before = queries_of(client, referral)
    for number in range(4):
        client.post(
            f"/investigation/{referral.pk}/actions/",
            {"kind": "arrest", "notes": f"More {number}."},
        )
    assert queries_of(client, referral) == before


def queries_of(client, referral) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(reverse("site:referral-detail", args=[referral.pk]))
    assert answer.status_code == 200
    return len(queries)

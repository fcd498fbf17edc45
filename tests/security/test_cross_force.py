"""Another force's referral is not found, on every page and every API endpoint that takes one."""

import json
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import low_risk, store
from tests.security.openapi import api_operations
from vigil.core.actors import SystemActor
from vigil.exhibits.services import add_exhibit
from vigil.intake.requests import add_request
from vigil.risk.models import Override, QualityCheck
from vigil.risk.services import propose_override
from vigil.safeguarding.services import (
    agree_strategy_action,
    record_strategy_discussion_held,
    refer_to_lado,
    request_strategy_discussion,
    share_with_social_care,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(make_user, forces):
    """A referral of force YF with one of each record that has its own id in the API."""
    received = timezone.now() - timedelta(days=2)
    referral, _ = store(low_risk(received) | {"force": "YF"}, as_of=received)
    officer = make_user("supervisor", "YF")
    now = timezone.now()
    share_with_social_care(
        officer, referral, authority="Y", method="phone", what_was_shared="x", as_of=now
    )
    discussion = request_strategy_discussion(officer, referral, as_of=now)
    record_strategy_discussion_held(
        officer,
        discussion,
        held_at=now,
        attendees=[{"agency": "police"}, {"agency": "social care"}],
        decisions="An initial child protection conference.",
        child_protection_conference=True,
        as_of=now,
    )
    agree_strategy_action(
        officer, discussion, action="Visit", owner="DC Y", due_on=timezone.localdate(now), as_of=now
    )
    refer_to_lado(officer, referral, authority="Y", as_of=now)
    add_request(
        officer, referral, provider="P", basis="other", asked="x", sent_at=received, as_of=now
    )
    propose_override(
        make_user("assessor", "YF"), referral, "high", "Concern about access.", as_of=now
    )
    propose_override(
        make_user("assessor", "YF"), referral, "medium", "Access was ruled out.", as_of=now
    )
    return referral


def page_routes():
    def walk(patterns, prefix=""):
        for item in patterns:
            if isinstance(item, URLResolver):
                yield from walk(item.url_patterns, prefix + str(item.pattern))
            elif isinstance(item, URLPattern) and "<int:referral_id>" in str(item.pattern):
                yield prefix + str(item.pattern)

    return sorted(set(walk(get_resolver().url_patterns)))


def test_there_are_pages_to_check():
    assert len(page_routes()) >= 15


@pytest.mark.parametrize("route", page_routes())
def test_every_page_with_a_referral_is_not_found_for_another_force(
    client, make_user, theirs, route
):
    client.force_login(make_user("unit_head", "XF"))
    url = "/" + route.replace("<int:referral_id>", str(theirs.pk)).replace("<str:ref>", "s1")
    response = client.post(url, {}) if client.get(url).status_code == 405 else client.get(url)
    assert response.status_code == 404, url


def test_every_api_endpoint_with_a_referral_is_not_found_for_another_force(
    client, make_user, theirs
):
    client.force_login(make_user("unit_head", "XF"))
    assessment = theirs.assessments.first()
    check = QualityCheck.objects.create(
        assessment=assessment,
        assessor=make_user("assessor", "YF"),
        queued_at=theirs.received_at,
    )
    add_exhibit(SystemActor("test"), theirs.pk, "THEIRS/1", kind="phone", as_of=timezone.now())
    ids = {
        "{referral_id}": theirs.pk,
        "{item_id}": None,
    }
    operations = api_operations(client)
    assert len(operations) >= 20
    for method, path, body in operations:
        item = {
            "overrides": Override.objects.filter(referral=theirs, status="pending").first(),
            "quality-checks": check,
            "social-care-referrals": theirs.social_care_referrals.first(),
            "strategy-discussions": theirs.strategy_discussions.first(),
            "strategy-actions": theirs.strategy_actions.first(),
            "lado-referrals": theirs.lado_referrals.first(),
            "data-requests": theirs.data_requests.first(),
            "exhibits": theirs.exhibits.first(),
        }
        url = path.replace("/api/v1", "")
        for name, value in ids.items():
            if name == "{item_id}":
                kind = next((k for k in item if k in url), None)
                value = item[kind].pk if kind else None
            if value is not None:
                url = url.replace(name, str(value))
        url = url.replace("{ref}", "s1")
        if method == "get":
            response = client.get(f"/api/v1{url}")
        else:
            response = getattr(client, method)(
                f"/api/v1{url}", json.dumps(body), content_type="application/json"
            )
        assert response.status_code == 404, (
            method,
            url,
            response.status_code,
            response.content[:200],
        )


def test_api_schemas_have_distinct_names_so_the_openapi_document_is_right():
    from ninja import Schema

    import vigil.api  # noqa: F401 - loads every router

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(Schema) if cls.__module__.startswith("vigil.")]
    names = [cls.__name__ for cls in ours]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)

"""Every door to referral data keeps a restricted referral shut.

The doors are not listed by hand: the pages come from the URL resolver and the API from the
OpenAPI document, and every page is crawled for the tabs, filters and links it offers (the
"Overrides waiting for me" tab, the dashboard's exports…). A route added later is covered
without editing this test.

For a restricted referral, a user of the same force who is not named on it must get nothing of
it (no reference, name or identifier in any answer, and never a 5xx), and a user of another
force must find referral-specific doors "not found".
"""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import referral_data, store
from tests.security.openapi import api_operations
from vigil.clocks.services import sweep
from vigil.core.actors import SystemActor
from vigil.investigations.services import allocate, record_action
from vigil.referrals.services import restrict_referral
from vigil.risk.models import Override, QualityCheck
from vigil.risk.services import propose_override, queue_quality_check
from vigil.safeguarding.services import (
    refer_to_lado,
    request_strategy_discussion,
    share_with_social_care,
)

pytestmark = pytest.mark.django_db

# What must never show: the reference and everything that names or identifies its people.
SECRETS = [
    "NCA-SECRET-0007",
    "Zebedee",
    "Quintrell",
    "zebedee.quintrell",
    "zquintrell",
    "07700 900777",
    "+447700900777",
    "Ottoline",  # a child in the household
]

# Casework roles of the same force who are not named, and roles who see no referral at all.
UNNAMED_ROLES = [
    "intake_officer",
    "assessor",
    "investigator",
    "safeguarding_officer",
    "supervisor",
    "unit_head",
    "child_protection_lead",
    "analyst",
    "administrator",
]
OTHER_FORCE_ROLES = ["investigator", "supervisor", "unit_head"]
SKIP_PATHS = ("/accounts/logout/", "/static/")


@pytest.fixture
def secret(make_user):
    """A restricted referral with one of every record that hangs off it, and breaches that
    have escalated, named to one supervisor only."""
    received = timezone.now() - timedelta(days=20)
    data = referral_data(
        source_reference="NCA-SECRET-0007",
        received_at=received.isoformat(),
        subjects=[
            {
                "ref": "s1",
                "role": "suspect",
                "first_name": "Zebedee",
                "last_name": "Quintrell",
                "date_of_birth": "1980-02-03",
                "identifiers": [
                    {"type": "email", "value": "zebedee.quintrell@example.com"},
                    {"type": "username", "value": "@zquintrell", "service": "ExampleSocial"},
                    {"type": "phone", "value": "07700 900777"},
                ],
            },
            {
                "ref": "c1",
                "role": "household_member",
                "first_name": "Ottoline",
                "age": 6,
                "lives_with": ["s1"],
            },
        ],
        access=[],
    )
    referral, _ = store(data, as_of=received)
    named = make_user("supervisor", "XF", username="named-supervisor")
    assessor = make_user("assessor", "XF", username="named-assessor")
    now = timezone.now()
    restrict_referral(named, referral, usernames=[assessor.username], as_of=now)
    allocate(named, referral, named, as_of=now)
    record_action(named, referral, "search", as_of=now)
    share_with_social_care(
        named, referral, authority="Exampleshire", method="phone", what_was_shared="x", as_of=now
    )
    request_strategy_discussion(named, referral, as_of=now)
    refer_to_lado(named, referral, authority="Exampleshire", as_of=now)
    # A lowering waits for a supervisor (on the "Overrides waiting for me" tab).
    propose_override(
        assessor, referral, "high", "The escalation was about someone else.", as_of=now
    )
    queue_quality_check(named, _assessed_by(referral, assessor), as_of=now)
    sweep(actor=SystemActor("test"), as_of=now + timedelta(days=30))
    # A referral nobody restricted, so every list has something to show.
    store(referral_data(source_reference="NCA-OPEN-0001"), as_of=received)
    referral.refresh_from_db()
    return referral


def _assessed_by(referral, assessor):
    assessment = referral.assessments.first()
    assessment.assessed_by = assessor
    assessment.save(update_fields=["assessed_by"])
    return assessment


def _leaks(text: str) -> list[str]:
    return [word for word in SECRETS if word.lower() in text.lower()]


# ---------------------------------------------------------------------------------------------
# The doors


def page_patterns() -> list[str]:
    def walk(patterns, prefix=""):
        for item in patterns:
            if isinstance(item, URLResolver):
                if str(item.pattern).startswith("api/"):
                    continue
                yield from walk(item.url_patterns, prefix + str(item.pattern))
            elif isinstance(item, URLPattern):
                yield prefix + str(item.pattern)

    return sorted(set(walk(get_resolver().url_patterns)))


def fill(path: str, referral, items: dict) -> str:
    """Put the secret referral's ids into a path's parameters."""
    path = path.replace("<int:referral_id>", str(referral.pk)).replace(
        "{referral_id}", str(referral.pk)
    )
    for word, item in items.items():
        if f"/{word}/" in path and item is not None:
            path = path.replace("{item_id}", str(item.pk))
    path = path.replace("{ref}", "s1")
    # Any other parameter (a chart key, an export kind) gets a value that routes.
    path = re.sub(r"<slug:key>", "demand", path)
    path = re.sub(r"<str:kind>", "csv", path)
    path = re.sub(r"<[^>]+>", "1", path)
    return re.sub(r"{[^}]+}", "1", path)


def items_of(referral) -> dict:
    return {
        "overrides": Override.objects.filter(referral=referral).first(),
        "quality-checks": QualityCheck.objects.filter(assessment__referral=referral).first(),
        "social-care-referrals": referral.social_care_referrals.first(),
        "strategy-discussions": referral.strategy_discussions.first(),
        "lado-referrals": referral.lado_referrals.first(),
    }


class Offers(HTMLParser):
    """The links and the GET forms (tabs, filters) a page offers."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form" and attrs.get("method", "get").lower() == "get":
            self._form = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "select"} and attrs.get("name"):
            if attrs.get("type") not in {"submit", "checkbox"}:
                self._form["fields"].setdefault(attrs["name"], set()).add(attrs.get("value") or "")
        elif self._form is not None and tag == "option" and self._form["fields"]:
            last = list(self._form["fields"])[-1]
            self._form["fields"][last].add(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def crawl(client, starts: list[str], limit: int = 400) -> dict[str, object]:
    """GET every page reachable from ``starts`` on this site, with every value of every GET
    form's fields; returns each URL's response."""
    seen: dict[str, object] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or parts.scheme or not parts.path.startswith("/"):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url in seen or any(url.startswith(skip) for skip in SKIP_PATHS):
            continue
        response = client.get(url)
        seen[url] = response
        if "text/html" not in response.get("Content-Type", ""):
            continue
        offers = Offers()
        offers.feed(response.content.decode())
        queue.extend(urljoin(url, link) for link in offers.links)
        for form in offers.forms:
            target = urljoin(url, form["action"]) if form["action"] else parts.path
            for name, values in form["fields"].items():
                for value in values:
                    query = dict(parse_qsl(urlsplit(target).query))
                    query[name] = value
                    queue.append(f"{urlsplit(target).path}?{urlencode(query)}")
    return seen


def test_the_doors_are_found_from_the_resolver_and_the_openapi_document(client, make_user):
    client.force_login(make_user("supervisor"))
    assert len(page_patterns()) >= 40
    operations = api_operations(client, only_with_ids=False)
    assert len(operations) >= 35
    assert any(path == "/api/v1/worklist" for _, path, _ in operations)


@pytest.mark.parametrize("role", UNNAMED_ROLES)
def test_a_same_force_user_not_named_gets_nothing_of_a_restricted_referral(
    client, make_user, secret, role
):
    user = make_user(role, "XF")
    client.force_login(user)
    items = items_of(secret)
    starts = ["/"] + [
        fill(pattern, secret, items) if "<" in pattern else "/" + pattern
        for pattern in page_patterns()
    ]
    pages = crawl(client, starts)
    assert "/worklist/?tab=overrides" in pages or role not in {"supervisor", "unit_head"}
    problems = []
    for url, response in pages.items():
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        elif _leaks(response.content.decode(errors="replace")):
            problems.append(f"{url}: shows {_leaks(response.content.decode(errors='replace'))}")
        elif str(secret.pk) in url.split("?")[0].split("/") and response.status_code == 200:
            problems.append(f"{url}: opened the restricted referral")
    for method, path, body in api_operations(client, only_with_ids=False):
        url = fill(path, secret, items)
        for query in _queries(path):
            response = _call(client, method, url + query, body)
            text = response.content.decode(errors="replace")
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {url}{query}: {response.status_code}")
            elif _leaks(text):
                problems.append(f"{method.upper()} {url}{query}: shows {_leaks(text)}")
            elif ("{referral_id}" in path or "{item_id}" in path) and response.status_code not in {
                403,
                404,
            }:
                problems.append(f"{method.upper()} {url}: {response.status_code}, not 404")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", OTHER_FORCE_ROLES)
def test_another_forces_user_finds_a_restricted_referral_not_found(client, make_user, secret, role):
    client.force_login(make_user(role, "YF"))
    items = items_of(secret)
    problems = []
    for pattern in page_patterns():
        if "<int:referral_id>" not in pattern:
            continue
        url = fill(pattern, secret, items)
        for response in (client.get(url), client.post(url, {"item": "1"})):
            if response.status_code not in {403, 404, 405}:
                problems.append(f"{url}: {response.status_code}")
            elif response.status_code == 405 and client.post(url).status_code != 404:
                problems.append(f"{url}: found by POST")
    for method, path, body in api_operations(client):
        url = fill(path, secret, items)
        response = _call(client, method, url, body)
        # 403 is a role refused before any lookup; anything else but 404 would tell them it
        # exists.
        if response.status_code not in {403, 404}:
            problems.append(f"{method.upper()} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_the_named_supervisor_still_sees_everything(client, make_user, secret):
    client.force_login(make_user("supervisor", "XF", username="named-supervisor"))
    page = client.get(f"/referrals/{secret.pk}/").content.decode()
    assert "NCA-SECRET-0007" in page and "Quintrell" in page
    worklist = client.get("/api/v1/worklist?scope=force").json()
    assert any(item["referral_id"] == secret.pk for item in worklist["items"])


def _queries(path: str) -> list[str]:
    # The same door asked every way it answers differently.
    if path.endswith("/worklist"):
        return ["?scope=mine", "?scope=team", "?scope=force"]
    return [""]


def _call(client, method: str, url: str, body: dict):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")

import json
import pathlib
from html.parser import HTMLParser

from django.test import Client
from django.utils import timezone

from tests.browser.welsh import english_left, stored_text
from vigil.accounts.models import User
from vigil.core.commands import system_actor
from vigil.intake import requests as data_requests
from vigil.safeguarding import services as care
from vigil.investigations import services as inv
from vigil.referrals.models import Referral
import pytest

pytestmark = [pytest.mark.django_db(transaction=True)]
MINE = {"case", "actions", "joined", "safeguarding", "data-requests", "research", "transfer-offer", "read-only"}


class Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.texts = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "br", "img", "meta", "link", "hr"):
            return
        inside = bool(self.stack) and self.stack[-1]
        mine = inside or attrs.get("id") in MINE or attrs.get("data-testid") in MINE
        self.stack.append(mine)

    def handle_endtag(self, tag):
        if tag in ("input", "br", "img", "meta", "link", "hr"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1]:
            self.texts.append(data)


def texts(client, url, lang, whole=False):
    body = client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    if whole:
        p = Sections(); p.stack = []
        class All(Sections):
            def handle_data(self, data):
                self.texts.append(data)
        p = All()
    else:
        p = Sections()
    p.feed(body)
    return p.texts


def test_sections(demo):
    referral = demo["referral"]
    actor = system_actor()
    now = timezone.now()
    care.share_with_social_care(actor, referral, authority="Exampleshire Council", method="secure_email", what_was_shared="Household details", as_of=now)
    care.request_strategy_discussion(actor, referral, as_of=now)
    care.refer_to_lado(actor, referral, authority="Exampleshire Council", as_of=now)
    data_requests.add_request(actor, referral, provider="ExampleSocial", basis="production_order", asked="Subscriber details", as_of=now)
    from vigil.intake.models import UnknownValue
    from vigil.accounts.models import Force
    UnknownValue.objects.create(field="incident_type", value="weirdword", first_seen_at=now, last_seen_at=now, times_seen=2)
    try:
        inv.record_release(actor, referral, kind="released_under_investigation", address="1 Test Street", postcode="XX1 1XX", as_of=now)
    except Exception as e:
        print("release", e)
    other = Force.objects.exclude(pk=referral.force_id).first()
    try:
        inv.transfer(actor, referral, other.code, reason="Suspect lives in your area now.", as_of=now)
    except Exception as e:
        print("transfer", e)
    found = {}
    data = stored_text()
    for user, url, whole in [
        ("investigator", f"/referrals/{referral.pk}/", False),
        ("supervisor", f"/referrals/{referral.pk}/", False),
        ("intake_officer", "/referrals/import/", True),
        ("administrator", "/referrals/unknown-values/", True),
    ]:
        client = Client()
        client.force_login(User.objects.get(username=user))
        left = english_left(texts(client, url, "cy", whole), texts(client, url, "en-GB", whole), data)
        found[f"{url} {user}"] = left
    pathlib.Path("/tmp/cy-cases/sections.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))

"""Fixtures shared by every test: forces, users of each role, a fixed moment, referral builders."""

import copy
import json
import os
import socket
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.utils import translation

from vigil.accounts.models import Force, User
from vigil.core.actors import SystemActor
from vigil.intake import native_json
from vigil.intake.services import store_referral

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VIGIL_SHARED_DIR", REPO.parent / "shared"))
CONFORMANCE = SHARED / "conformance" / "cybertip"
AS_OF = datetime(2020, 9, 14, 12, 0, tzinfo=UTC)
SYSTEM = SystemActor("test")

# The example from the foundation issue, with every field it names.
EXAMPLE_REFERRAL = {
    "schema": "vigil.referral/1",
    "source": "nca",
    "source_reference": "NCA-2020-0001",
    "received_at": "2020-09-10T09:00:00+01:00",
    "force": "XF",
    "summary": "Two videos uploaded to ExampleSocial.",
    "incident": {
        "type": "csam_upload",
        "occurred_at": "2020-08-30T21:10:00Z",
        "platform": "ExampleSocial",
        "escalated": False,
        "annotations": ["sextortion"],
    },
    "indicators": ["distribution", "grooming", "production", "sexual_communication_with_child"],
    "material": [
        {
            "kind": "video",
            "count": 2,
            "category": "A",
            "industry_classification": "A1",
            "md5": "0" * 31 + "1",
            "sha1": "a" * 40,
            "pdq": "f" * 64,
        }
    ],
    "subjects": [
        {
            "ref": "s1",
            "role": "suspect",
            "first_name": "Alex",
            "last_name": "Example",
            "date_of_birth": "2003-06-01",
            "gender": "male",
            "occupation": "Student",
            "works_with_children": False,
            "identifiers": [
                {"type": "email", "value": "Alex.Example@Example.com"},
                {"type": "username", "value": "@AlexEx", "service": "ExampleSocial"},
                {"type": "ip", "value": "203.0.113.5", "seen_at": "2020-08-30T21:10:00Z"},
                {"type": "phone", "value": "07700 900123"},
                {"type": "device", "value": "IMEI:354123456789012"},
            ],
            "address": {"line1": "1 Example Street", "town": "Exampleton", "postcode": "XX1 1XX"},
            "history": [
                {
                    "type": "contact_sexual_offence_child",
                    "outcome": "allegation",
                    "date": "2018-02-01",
                }
            ],
        },
        {
            "ref": "c1",
            "role": "household_member",
            "first_name": "Casey",
            "age": 12,
            "lives_with": ["s1"],
        },
        {"ref": "v1", "role": "victim", "age": 9},
    ],
    "access": [{"subject": "s1", "child": "c2", "kind": "regular_unsupervised"}],
}


def referral_data(**changes) -> dict:
    """A copy of the example referral with top-level fields changed."""
    data = copy.deepcopy(EXAMPLE_REFERRAL)
    data.update(changes)
    return data


def london(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/London"))


def low_risk(received: datetime, **suspect) -> dict:
    """An identified suspect, household, access and history established: graded low."""
    person = {
        "ref": "s1",
        "role": "suspect",
        "first_name": "Lee",
        "last_name": "Low",
        "date_of_birth": "1970-01-01",
        "works_with_children": False,
        "household_established": True,
        "access_established": True,
        "history_established": True,
        **suspect,
    }
    return referral_data(
        received_at=received.isoformat(),
        subjects=[person],
        access=[],
        indicators=[],
        material=[],
        incident={"type": "csam_possession", "escalated": False},
    )


def as_bytes(data) -> bytes:
    return json.dumps(data).encode("utf-8")


def store(data: dict, actor=SYSTEM, as_of: datetime = AS_OF):
    """Read and store a native referral; returns (referral, status)."""
    draft = native_json.read_referral("test.json", as_bytes(data), as_of=as_of)
    return store_referral(draft, actor=actor, as_of=as_of)


@pytest.fixture(autouse=True)
def _second_factor_only_where_tested(settings, request):
    """Most tests sign supervisors in with force_login; the second factor has its own tests."""
    if "second_factor" not in request.keywords:
        settings.VIGIL_SECOND_FACTOR_ROLES = []


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    """A request in Welsh leaves Welsh active on its thread (Django resets it only at the next
    request): a later test that calls a view or a service directly must not inherit it."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _audit_unlocked_for_flush(request):
    """A transactional test ends with Django emptying every table, audit events too: unlock the
    append-only table for that, and only that."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    from vigil.audit.maintenance import lock, unlock

    lock(connection)
    yield
    unlock(connection)


@pytest.fixture
def forces(db):
    return {
        "XF": Force.objects.create(code="XF", name="Exampleshire Police", region="North"),
        "YF": Force.objects.create(code="YF", name="Sampleton Constabulary", region="North"),
    }


@pytest.fixture
def make_user(forces):
    made = {}

    def make(role: str = "intake_officer", force: str = "XF", username: str | None = None):
        name = username or f"{role}-{force}".lower()
        if name not in made:
            user = User(
                username=name,
                role=role,
                force=forces.get(force),
                region="" if force in forces else force,
            )
            user.set_password("correct horse battery staple")
            user.save()
            made[name] = user
        return made[name]

    return make


@pytest.fixture
def officer(make_user):
    return make_user("intake_officer", "XF")


@pytest.fixture
def other_force_officer(make_user):
    return make_user("intake_officer", "YF")


@pytest.fixture
def signed_in(client, officer):
    client.force_login(officer)
    return client


def require_or_skip(condition: bool, reason: str, env: str) -> None:
    """Skip with a reason on a user's machine; fail in CI, where ``env`` is set."""
    if condition:
        return
    if os.environ.get(env):
        pytest.fail(f"{reason} (required because {env} is set)")
    pytest.skip(reason)


class MailDrop:
    """A real SMTP server's record of what it was sent (aiosmtpd), and the recipients it
    refuses as a mail server does (550)."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free local port, and Vigil set to send through it."""
    drop = MailDrop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(drop, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
    yield drop
    controller.stop()

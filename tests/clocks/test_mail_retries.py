"""Escalation e-mails that fail: recorded, tried again after a growing wait, given up, and shown
to administrators, who may try one again."""

import re
import smtplib
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from tests.conftest import SYSTEM, london, low_risk, store
from tests.security.test_hardening import INLINE_SCRIPT, INLINE_STYLE
from vigil.audit.models import AuditEvent
from vigil.clocks import rules
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.referrals.services import restrict_referral as restrict

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 1, 5, 9, 0)
# Nothing is overdue yet on the first day, so a sweep then only sends e-mails.
START = RECEIVED + timedelta(hours=1)
SUSPECT_NAMES = re.compile(r"\b(Lee|Low)\b")


class Outage:
    """What the mail server does next: raise this error, or (None) deliver."""

    error: Exception | None = None


class FlakyBackend(BaseEmailBackend):
    """A mail backend that raises what ``send_mail`` raises when the server misbehaves."""

    def send_messages(self, messages):
        if Outage.error is not None:
            raise Outage.error
        for message in messages:
            message.message()  # Django's own checks of addresses and headers
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    Outage.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    yield Outage
    Outage.error = None


@pytest.fixture
def referral(forces):
    return store(low_risk(RECEIVED), as_of=RECEIVED)[0]


@pytest.fixture
def recipient(make_user):
    user = make_user("supervisor", "XF")
    user.email = "supervisor@example.test"
    user.save()
    return user


def escalation(referral, user, *, level: int = 1) -> Notification:
    """An escalation of the referral's enforcement clock waiting to be e-mailed."""
    clock = Clock.objects.get(referral=referral, kind="enforcement_action")
    return Notification.objects.create(
        clock=clock,
        level=level,
        recipient=user,
        created_at=START,
        subject=f"Vigil: enforcement action overdue on {referral.source_reference} (level 1)",
        body="Open it in Vigil.",
        email_next_try_at=START,
    )


def test_the_wait_doubles_from_a_minute_is_capped_and_ends_in_giving_up(monkeypatch):
    waits = [rules.email_retry_at(n, START) - START for n in range(1, rules.EMAIL_ATTEMPTS)]
    assert waits == [timedelta(minutes=2**n) for n in range(rules.EMAIL_ATTEMPTS - 1)]
    assert rules.email_retry_at(rules.EMAIL_ATTEMPTS, START) is None
    monkeypatch.setattr(rules, "EMAIL_ATTEMPTS", 30)
    assert rules.email_retry_at(20, START) - START == timedelta(hours=6)


def test_a_failed_email_is_tried_again_only_after_its_wait_and_then_sent(
    server, referral, recipient
):
    note = escalation(referral, recipient)
    first = clocks.sweep(actor=SYSTEM, as_of=START)
    note.refresh_from_db()
    assert first["email_failed"] == 1 and first["emailed"] == 0
    assert (note.email_state, note.email_attempts) == ("retrying", 1)
    assert note.email_tried_at == START
    assert note.email_next_try_at == START + timedelta(minutes=1)
    assert note.email_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert note.emailed_at is None

    clocks.sweep(actor=SYSTEM, as_of=START + timedelta(seconds=59))
    note.refresh_from_db()
    assert note.email_attempts == 1  # its wait is not over

    clocks.sweep(actor=SYSTEM, as_of=START + timedelta(minutes=1))
    note.refresh_from_db()
    assert note.email_attempts == 2
    assert note.email_next_try_at == START + timedelta(minutes=3)

    server.error = None  # the server is back
    clocks.sweep(actor=SYSTEM, as_of=START + timedelta(minutes=2))
    note.refresh_from_db()
    assert note.email_attempts == 2 and mail.outbox == []
    sent = clocks.sweep(actor=SYSTEM, as_of=START + timedelta(minutes=3))
    note.refresh_from_db()
    assert sent["emailed"] == 1
    assert (note.email_state, note.email_attempts, note.email_error) == ("sent", 3, "")
    assert note.emailed_at == START + timedelta(minutes=3)
    assert note.email_next_try_at is None
    assert [m.to for m in mail.outbox] == [["supervisor@example.test"]]
    assert clocks.sweep(actor=SYSTEM, as_of=START + timedelta(hours=1))["emailed"] == 0
    assert len(mail.outbox) == 1


def test_an_email_is_given_up_after_ten_tries_and_the_notification_stays(
    server, referral, recipient
):
    note = escalation(referral, recipient)
    moment = START
    for attempt in range(1, rules.EMAIL_ATTEMPTS + 1):
        counts = clocks.sweep(actor=SYSTEM, as_of=moment)
        note.refresh_from_db()
        assert note.email_attempts == attempt
        if attempt < rules.EMAIL_ATTEMPTS:
            assert note.email_state == "retrying"
            assert note.email_next_try_at == moment + timedelta(minutes=2 ** (attempt - 1))
            moment = note.email_next_try_at
    assert counts["email_given_up"] == 1
    assert (note.email_state, note.email_next_try_at) == ("failed", None)
    clocks.sweep(actor=SYSTEM, as_of=moment + timedelta(days=2))
    note.refresh_from_db()
    assert note.email_attempts == rules.EMAIL_ATTEMPTS
    # The person still has the escalation in Vigil.
    assert Notification.objects.filter(pk=note.pk, recipient=recipient).exists()


def test_a_recipient_without_an_address_is_recorded_not_tried_forever(referral, make_user):
    nobody = make_user("unit_head", "XF")
    note = escalation(referral, nobody)
    counts = clocks.sweep(actor=SYSTEM, as_of=START)
    note.refresh_from_db()
    assert counts["email_no_address"] == 1
    assert (note.email_state, note.email_attempts) == ("no_address", 0)
    assert note.email_error == "the recipient has no e-mail address"
    assert note.email_next_try_at is None
    assert clocks.sweep(actor=SYSTEM, as_of=START + timedelta(days=1))["email_no_address"] == 0


def test_an_address_django_refuses_is_given_up_at_once(referral, make_user):
    user = make_user("unit_head", "XF")
    user.email = "head@example.test\nBcc: someone@example.test"
    user.save()
    note = escalation(referral, user)
    clocks.sweep(actor=SYSTEM, as_of=START)
    note.refresh_from_db()
    assert (note.email_state, note.email_attempts) == ("failed", 1)
    assert note.email_error.startswith("BadHeaderError")


def test_an_unreachable_smtp_server_is_caught_and_tried_again(settings, referral, recipient):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    note = escalation(referral, recipient)
    clocks.sweep(actor=SYSTEM, as_of=START)
    note.refresh_from_db()
    assert (note.email_state, note.email_attempts) == ("retrying", 1)
    assert note.email_error.startswith("ConnectionRefusedError")


def test_a_server_that_keeps_failing_leaves_the_rest_for_the_next_sweep(
    server, referral, make_user
):
    notes = []
    for index in range(5):
        user = make_user("supervisor", "XF", username=f"supervisor-{index}")
        user.email = f"supervisor-{index}@example.test"
        user.save()
        notes.append(escalation(referral, user))
    counts = clocks.sweep(actor=SYSTEM, as_of=START)
    assert (counts["email_failed"], counts["email_postponed"]) == (3, 2)
    states = [Notification.objects.get(pk=n.pk).email_state for n in notes]
    assert states == ["retrying"] * 3 + ["waiting"] * 2


def test_an_escalation_whose_email_fails_is_still_shown_in_the_app(
    server, client, referral, recipient
):
    clocks.sweep(actor=SYSTEM, as_of=RECEIVED + timedelta(days=31))
    note = Notification.objects.get(recipient=recipient, clock__kind="enforcement_action")
    assert note.email_state != "sent" and mail.outbox == []
    client.force_login(recipient)
    assert note.subject in client.get(reverse("clocks:notifications")).content.decode()


@pytest.fixture
def failures(server, referral, recipient, make_user, forces):
    """One e-mail being tried again, one to a person with no address, one about a restricted
    referral: all after a sweep."""
    retrying = escalation(referral, recipient)
    no_address = escalation(referral, make_user("unit_head", "XF"), level=2)
    hidden, _ = store(low_risk(RECEIVED) | {"source_reference": "NCA-HIDDEN-1"}, as_of=RECEIVED)
    restrict(SYSTEM, hidden, restricted=True, usernames=[recipient.username], as_of=RECEIVED)
    secret = escalation(hidden, recipient)
    clocks.sweep(actor=SYSTEM, as_of=START)
    return {"retrying": retrying, "no_address": no_address, "restricted": secret}


def test_administrators_see_the_emails_not_sent_and_nobody_else_does(
    client, make_user, failures, referral
):
    client.force_login(make_user("administrator", "XF"))
    page = client.get(reverse("clocks:mail-failures"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="mail-failures"' in text
    assert "supervisor-xf" in text and "supervisor@example.test" in text
    assert f"Vigil: enforcement action overdue on {referral.source_reference}" in text
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in text
    assert "the recipient has no e-mail address" in text
    assert "Failing: will try again" in text and "No e-mail address" in text
    # A restricted referral is not even named; nobody in any case ever is.
    assert "NCA-HIDDEN-1" not in text and "a restricted referral" in text
    assert not SUSPECT_NAMES.search(text)
    assert not INLINE_SCRIPT.search(text) and not INLINE_STYLE.search(text)

    listed = client.get("/api/v1/mail-failures")
    assert listed.status_code == 200
    by_id = {item["id"]: item for item in listed.json()}
    assert set(by_id) == {note.pk for note in failures.values()}
    retrying = by_id[failures["retrying"].pk]
    assert retrying["reference"] == referral.source_reference
    assert retrying["duty"] == "Enforcement action"
    assert (retrying["recipient"], retrying["state"], retrying["attempts"]) == (
        "supervisor-xf",
        "retrying",
        1,
    )
    assert retrying["next_try_at"] is not None and retrying["last_error"]
    assert by_id[failures["restricted"].pk]["reference"] == "a restricted referral"
    assert "NCA-HIDDEN-1" not in listed.content.decode()
    assert not SUSPECT_NAMES.search(listed.content.decode())

    for role in ("supervisor", "unit_head", "investigator", "auditor"):
        client.force_login(make_user(role, "XF"))
        assert client.get(reverse("clocks:mail-failures")).status_code == 403, role
        assert client.get("/api/v1/mail-failures").status_code == 403, role


def test_an_administrator_tries_one_again_now_and_it_is_audited(
    client, make_user, failures, server
):
    admin = make_user("administrator", "XF")
    note = failures["retrying"]
    server.error = None
    client.force_login(admin)
    response = client.post(reverse("clocks:mail-retry", args=[note.pk]), follow=True)
    assert "E-mail to supervisor-xf tried again: sent." in response.content.decode()
    note.refresh_from_db()
    assert (note.email_state, note.email_attempts) == ("sent", 2)
    assert len(mail.outbox) == 1
    event = AuditEvent.objects.get(action="mail.retried")
    assert event.actor_name == admin.username
    assert event.object_id == str(note.pk)
    assert event.before["attempts"] == 1 and event.before["state"] == "retrying"
    assert event.after["state"] == "sent" and event.after["attempts"] == 2
    # Once sent there is nothing to try again.
    again = client.post(reverse("clocks:mail-retry", args=[note.pk]), follow=True)
    assert "nothing to try again" in again.content.decode()
    assert client.post(f"/api/v1/mail-failures/{note.pk}/retry").status_code == 422
    assert AuditEvent.objects.filter(action="mail.retried").count() == 1


def test_a_retry_that_fails_again_keeps_the_wait_and_the_record(client, make_user, failures):
    note = failures["retrying"]
    client.force_login(make_user("administrator", "XF"))
    page = client.post(reverse("clocks:mail-retry", args=[failures["no_address"].pk]), follow=True)
    assert "they still have no e-mail address" in page.content.decode()
    answer = client.post(f"/api/v1/mail-failures/{note.pk}/retry")
    assert answer.status_code == 200
    assert (answer.json()["state"], answer.json()["attempts"]) == ("retrying", 2)
    assert AuditEvent.objects.filter(action="mail.retried", object_id=str(note.pk)).count() == 1


def test_an_address_added_later_lets_the_administrator_send_it(client, make_user, failures):
    note = failures["no_address"]
    Outage.error = None
    note.recipient.email = "unit_head@example.test"
    note.recipient.save()
    client.force_login(make_user("administrator", "XF"))
    answer = client.post(f"/api/v1/mail-failures/{note.pk}/retry")
    assert (answer.json()["state"], answer.json()["attempts"]) == ("sent", 1)


def test_others_may_not_try_an_email_again(client, make_user, failures):
    note = failures["retrying"]
    client.force_login(make_user("supervisor", "XF"))
    assert client.post(reverse("clocks:mail-retry", args=[note.pk])).status_code == 403
    assert client.post(f"/api/v1/mail-failures/{note.pk}/retry").status_code == 403
    note.refresh_from_db()
    assert note.email_attempts == 1
    assert not AuditEvent.objects.filter(action="mail.retried").exists()
    assert AuditEvent.objects.filter(action="permission.refused", object_id="mail.view").exists()

"""Notifications that arrive (issue 16, point 4): escalation e-mails through a real SMTP server
(aiosmtpd, started by the fixture), the unread count in every page's header, and a daily
digest a person may choose instead of an e-mail each."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import SYSTEM, london, low_risk, store
from vigil.accounts.services import set_email_digest
from vigil.audit.models import AuditEvent
from vigil.clocks import services as clocks
from vigil.clocks.models import Clock, Notification
from vigil.clocks.tasks import SCHEDULE
from vigil.core.permissions import Refused
from vigil.investigations.services import allocate

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 1, 5, 9, 0)
# A low-risk referral's enforcement action is overdue after 30 days: level 1 to its owner.
OVERDUE = RECEIVED + timedelta(days=30, minutes=1)


@pytest.fixture
def owner(make_user):
    user = make_user("investigator", "XF")
    user.email = "investigator@example.test"
    user.save()
    return user


@pytest.fixture
def referral(forces, owner, make_user):
    referral = store(low_risk(RECEIVED), as_of=RECEIVED)[0]
    allocate(make_user("supervisor", "XF"), referral, owner, as_of=RECEIVED + timedelta(hours=1))
    return referral


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return clocks.sweep(actor=SYSTEM, as_of=moment)


def test_an_escalation_email_arrives_at_a_real_mail_server(smtp_server, referral, owner):
    sweep(OVERDUE)
    to_owner = [m for m in smtp_server.messages if m["To"] == owner.email]
    assert to_owner, [m["To"] for m in smtp_server.messages]
    message = to_owner[0]
    assert referral.source_reference in message["Subject"]
    # Only the reference and the duty travel by e-mail, never a name from the case.
    assert "Lee" not in message.get_content() and "Low" not in message.get_content()
    note = Notification.objects.get(recipient=owner, level=1, clock__kind="enforcement_action")
    assert (note.email_state, note.emailed_at) == ("sent", OVERDUE)


def test_a_recipient_the_mail_server_refuses_is_recorded_with_its_answer(
    smtp_server, referral, owner
):
    smtp_server.refuse.add(owner.email)
    sweep(OVERDUE)
    note = Notification.objects.get(recipient=owner, level=1, clock__kind="enforcement_action")
    assert note.email_state == "retrying"
    assert "550" in note.email_error and "No such mailbox" in note.email_error
    assert not [m for m in smtp_server.messages if m["To"] == owner.email]


def test_a_daily_digest_holds_the_emails_and_sends_them_as_one(smtp_server, referral, owner):
    set_email_digest(owner, owner, True, as_of=RECEIVED)
    sweep(OVERDUE)
    note = Notification.objects.get(recipient=owner, level=1, clock__kind="enforcement_action")
    # In the app at once; by e-mail, not yet.
    assert note.read_at is None and note.email_state == "waiting"
    assert not [m for m in smtp_server.messages if m["To"] == owner.email]
    link = Notification.objects.create(
        referral=referral,
        level=0,
        recipient=owner,
        created_at=OVERDUE,
        subject=f"Vigil: new link to your referral {referral.source_reference}",
        body="Research found someone who matches.",
        email_next_try_at=OVERDUE,
    )
    held = list(Notification.objects.filter(recipient=owner).values_list("subject", flat=True))
    morning = OVERDUE + timedelta(hours=20)
    counts = clocks.send_digests(morning)
    assert (counts["digests_emailed"], counts["digest_notifications"]) == (1, len(held))
    digests = [m for m in smtp_server.messages if m["To"] == owner.email]
    assert len(digests) == 1
    body = digests[0].get_content()
    assert note.subject in body and link.subject in body
    assert all(subject in body for subject in held)
    assert set(
        Notification.objects.filter(recipient=owner).values_list("email_state", flat=True)
    ) == {"sent"}
    # Nothing is sent twice.
    assert clocks.send_digests(morning + timedelta(days=1))["digest_notifications"] == 0


def test_escalations_to_supervisors_are_emailed_at_once_even_with_a_digest(
    smtp_server, referral, make_user
):
    supervisor = make_user("supervisor", "XF")
    supervisor.email = "supervisor@example.test"
    supervisor.save()
    set_email_digest(supervisor, supervisor, True, as_of=RECEIVED)
    clock = Clock.objects.get(referral=referral, kind="enforcement_action")
    Notification.objects.create(
        clock=clock,
        level=clocks.DIGEST_HOLDS_BELOW_LEVEL,
        recipient=supervisor,
        created_at=OVERDUE,
        subject="Vigil: enforcement action overdue (level 2)",
        body="Open it in Vigil.",
        email_next_try_at=OVERDUE,
    )
    sweep(OVERDUE + timedelta(minutes=1))
    assert [m["Subject"] for m in smtp_server.messages if m["To"] == supervisor.email] == [
        "Vigil: enforcement action overdue (level 2)"
    ]


def test_a_digest_the_server_fails_is_tried_again_one_by_one(smtp_server, referral, owner):
    set_email_digest(owner, owner, True, as_of=RECEIVED)
    sweep(OVERDUE)
    smtp_server.refuse.add(owner.email)
    counts = clocks.send_digests(OVERDUE + timedelta(hours=1))
    assert counts["digests_email_failed"] == 1
    note = Notification.objects.get(recipient=owner, level=1, clock__kind="enforcement_action")
    assert note.email_state == "retrying" and "550" in note.email_error
    smtp_server.refuse.clear()
    sweep(note.email_next_try_at + timedelta(seconds=1))
    held = Notification.objects.filter(recipient=owner)
    assert set(held.values_list("email_state", flat=True)) == {"sent"}
    # One e-mail each, not a digest: nothing waits another day.
    assert sorted(m["Subject"] for m in smtp_server.messages if m["To"] == owner.email) == sorted(
        held.values_list("subject", flat=True)
    )


def test_the_digest_day_begins_at_seven_in_the_morning_local_time():
    digests = next(p for p in SCHEDULE if p.name == "e-mail digests")
    assert digests.period(london(2026, 7, 8, 6, 59)) == "2026-07-07"
    assert digests.period(london(2026, 7, 8, 7, 0)) == "2026-07-08"
    assert digests.period(london(2026, 1, 8, 7, 0)) == "2026-01-08"


def test_the_header_counts_unread_notifications_until_they_are_read(
    client, smtp_server, referral, owner
):
    sweep(OVERDUE)
    client.force_login(owner)
    unread = Notification.objects.filter(recipient=owner, read_at__isnull=True).count()
    assert unread >= 1
    text = client.get(reverse("clocks:worklist")).content.decode()
    assert f'data-testid="unread-count">{unread}<span class="govuk-visually-hidden"> unread' in text
    client.post(reverse("clocks:notifications"))
    assert (
        'data-testid="unread-count"' not in client.get(reverse("clocks:worklist")).content.decode()
    )


def test_a_person_chooses_a_daily_digest_on_their_settings_page_and_it_is_audited(client, owner):
    client.force_login(owner)
    page = client.get(reverse("accounts:preferences"))
    assert b'id="digest-each" name="email_digest" type="radio" value="each" checked' in page.content
    response = client.post(reverse("accounts:preferences"), {"email_digest": "daily"}, follow=True)
    assert b"One e-mail a day" in response.content or b"one e-mail a day" in response.content
    owner.refresh_from_db()
    assert owner.email_digest is True
    changed = AuditEvent.objects.get(action="user.changed", object_id=str(owner.pk))
    assert (changed.before, changed.after) == ({"email_digest": False}, {"email_digest": True})
    refused = client.post(reverse("accounts:preferences"), {"email_digest": "hourly"}, follow=True)
    assert b"Choose how you want to be told." in refused.content
    owner.refresh_from_db()
    assert owner.email_digest is True


def test_only_an_administrator_changes_someone_elses_digest(owner, make_user):
    other = make_user("investigator", "XF", username="other")
    with pytest.raises(Refused):
        set_email_digest(other, owner, True, as_of=RECEIVED)
    set_email_digest(make_user("administrator", "XF"), owner, True, as_of=RECEIVED)
    owner.refresh_from_db()
    assert owner.email_digest is True


def test_each_person_is_emailed_in_their_own_language_in_the_same_sweep(
    smtp_server, referral, owner, make_user
):
    welsh = make_user("supervisor", "XF", username="goruchwyliwr")
    welsh.email, welsh.language = "goruchwyliwr@example.test", "cy"
    welsh.save()
    sweep(OVERDUE)
    reference = referral.source_reference

    english_subject = f"Vigil: enforcement action overdue on {reference} (level 1)"
    welsh_subject = f"Vigil: camau gorfodi yn hwyr ar {reference} (lefel 1)"
    sent = {(message["To"], message["Subject"]): message for message in smtp_server.messages}
    in_english = sent[(owner.email, english_subject)]
    in_welsh = sent[(welsh.email, welsh_subject)]
    assert "February 2026" in in_english.get_content()
    assert "It has reached escalation level 1." in in_english.get_content()
    # The month too is in Welsh.
    assert "Chwefror 2026" in in_welsh.get_content()
    assert "Mae wedi cyrraedd lefel uwchgyfeirio 1." in in_welsh.get_content()
    # The in-app notice is the same message, in the same language.
    note = Notification.objects.get(recipient=welsh, level=1, clock__kind="enforcement_action")
    assert note.subject == welsh_subject


def test_a_daily_digest_is_in_its_recipients_language(smtp_server, referral, owner, make_user):
    welsh = make_user("supervisor", "XF", username="goruchwyliwr")
    welsh.email, welsh.language = "goruchwyliwr@example.test", "cy"
    welsh.save()
    for person in (owner, welsh):
        set_email_digest(person, person, True, as_of=RECEIVED)
    sweep(OVERDUE)
    assert clocks.send_digests(OVERDUE + timedelta(hours=20))["digests_emailed"] == 2
    sent = {message["To"]: message for message in smtp_server.messages}
    assert sent[owner.email]["Subject"].startswith("Vigil: your daily digest, ")
    assert "Change how you are told" in sent[owner.email].get_content()
    assert sent[welsh.email]["Subject"].startswith("Vigil: eich crynodeb dyddiol, ")
    body = sent[welsh.email].get_content()
    assert "Newidiwch sut rydych yn cael gwybod" in body and "camau gorfodi yn hwyr" in body

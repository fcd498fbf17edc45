"""Sign-in: lock-out after repeated failures, the second factor, session expiry, tokens."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_repeated_failures_lock_the_username_out(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, officer.username, "wrong password").status_code == 200
    assert sign_in(client, officer.username, "wrong password").status_code == 429
    locked = sign_in(client, officer.username)  # even the right password, now
    assert locked.status_code == 429
    assert b"locked for now" in locked.content
    assert AuditEvent.objects.filter(action="login.locked_out").exists()


def test_a_success_before_the_limit_clears_the_failures(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, officer.username, "wrong password")
    assert sign_in(client, officer.username).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, officer.username, "wrong password")
    assert sign_in(client, officer.username).status_code == 302


def test_the_lock_out_lifts_after_the_cool_off(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, officer.username, "wrong password")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert sign_in(client, officer.username).status_code == 302


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.mark.second_factor
def test_a_supervisor_must_set_up_and_use_a_second_factor(client, make_user):
    supervisor = make_user("supervisor", "XF")
    assert sign_in(client, supervisor.username).status_code == 302
    setup = client.get(reverse("clocks:worklist"))
    assert setup.status_code == 302 and setup.url.startswith(
        reverse("accounts:second-factor-setup")
    )
    page = client.get(setup.url)
    assert b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    assert client.post(setup.url, {"token": "000000"}).status_code == 200  # wrong code
    # A wrong code slows the next try down (django-otp's throttling); wait it out.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert client.post(setup.url, {"token": code(device)}).status_code == 302
    assert client.get(reverse("clocks:worklist")).status_code == 200
    # Next time: password, then the code.
    client.logout()
    sign_in(client, supervisor.username)
    verify = client.get(reverse("clocks:worklist"))
    assert verify.url.startswith(reverse("accounts:second-factor"))
    device.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        assert client.post(verify.url, {"token": code(device)}).status_code == 302
        assert client.get(reverse("clocks:worklist")).status_code == 200


@pytest.mark.second_factor
def test_the_api_refuses_an_unverified_supervisor_session(client, make_user):
    client.force_login(make_user("supervisor", "XF"))
    response = client.get("/api/v1/referrals")
    assert response.status_code == 403
    assert "second factor" in response.json()["error"]


@pytest.mark.second_factor
def test_roles_without_the_requirement_sign_in_with_a_password(client, officer):
    sign_in(client, officer.username)
    assert client.get(reverse("clocks:worklist")).status_code == 200


def test_a_session_expires_after_inactivity(client, officer, settings):
    sign_in(client, officer.username)
    assert client.get(reverse("clocks:worklist")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        expired = client.get(reverse("clocks:worklist"))
    assert expired.status_code == 302 and expired.url.startswith(reverse("accounts:login"))


def test_passwords_are_hashed_with_argon2(officer):
    assert officer.password.startswith("argon2")

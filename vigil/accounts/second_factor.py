"""A second factor for sign-in: a time-based one-time code from an authenticator app (TOTP)."""

import base64

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.audit.choices import AuditAction
from vigil.audit.services import record

# In the session of someone whose identity provider checked a second factor in a way the
# claims mapping accepts (its ``second_factor_amr``): Vigil's own is then not asked for.
BY_PROVIDER = "vigil_second_factor_by_provider"


def setup_device(user) -> TOTPDevice:
    """The user's unconfirmed device, made afresh until they prove they have added it."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_data_uri(device: TOTPDevice) -> str:
    """The device's provisioning address as a QR code image (a data URI, no script)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5)


def secret_text(device: TOTPDevice) -> str:
    """The secret for typing in by hand, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm(request, device: TOTPDevice, token: str) -> bool:
    if not token.strip().isdigit() or not device.verify_token(token.strip()):
        record(request.user, AuditAction.SECOND_FACTOR_FAILED, request.user)
        return False
    with transaction.atomic():
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            record(request.user, AuditAction.SECOND_FACTOR_ADDED, request.user)
    otp_login(request, device)
    return True


def verify(request, token: str) -> bool:
    for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
        if token.strip().isdigit() and device.verify_token(token.strip()):
            otp_login(request, device)
            return True
    record(request.user, AuditAction.SECOND_FACTOR_FAILED, request.user)
    return False

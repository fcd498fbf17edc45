"""Production settings pass Django's deployment checks; pages carry no inline script."""

import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.conftest import referral_data, store

GOOD_SECRET = "k" * 20 + "-a-real-secret-kept-in-the-vault-" + "q" * 20


def test_check_deploy_is_clean_in_production_settings(tmp_path):
    # A clean production environment: none of the test run's own switches.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("VIGIL_") and key not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        VIGIL_ENV="production",
        VIGIL_SECRET_KEY=GOOD_SECRET,
        VIGIL_ALLOWED_HOSTS="vigil.example.police.uk",
        VIGIL_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "vigil.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


@pytest.mark.django_db
def test_no_page_has_inline_script_or_style(client, make_user, forces):
    referral, _ = store(referral_data())
    pages = [
        reverse("site:referral-list"),
        reverse("site:referral-detail", args=[referral.pk]),
        reverse("intake:import"),
        reverse("clocks:worklist"),
        reverse("clocks:breaches"),
        reverse("clocks:notifications"),
        reverse("risk:assurance"),
        reverse("risk:quality-checks"),
        "/worklist/?tab=unallocated",
        "/worklist/?tab=provisional",
        "/worklist/?tab=overrides",
    ]
    client.force_login(make_user("unit_head", "XF"))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not INLINE_STYLE.search(html), url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    client.force_login(make_user("auditor", "XF"))
    assert not INLINE_SCRIPT.search(client.get(reverse("audit:search")).content.decode())
    client.logout()
    login = client.get(reverse("accounts:login"))
    assert not INLINE_SCRIPT.search(login.content.decode())


@pytest.mark.django_db
def test_error_pages_show_no_detail(client, make_user, forces, settings):
    settings.DEBUG = False
    client.force_login(make_user("investigator", "XF"))
    missing = client.get("/referrals/999999/")
    assert missing.status_code == 404
    assert b"Traceback" not in missing.content and b"999999" not in missing.content

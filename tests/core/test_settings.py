"""Production fails closed: it will not start with DEBUG on or a placeholder secret."""

import os
import subprocess
import sys

import pytest

GOOD_SECRET = "k" * 20 + "-real-secret-from-the-vault-" + "q" * 20


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("VIGIL_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import vigil.settings"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(VIGIL_ENV="production", VIGIL_ALLOWED_HOSTS="vigil.example")
    assert result.returncode != 0
    assert "without a real VIGIL_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_or_placeholder_secret_key():
    result = load_settings(
        VIGIL_ENV="production",
        VIGIL_ALLOWED_HOSTS="vigil.example",
        VIGIL_SECRET_KEY="insecure-x" * 6,
    )
    assert "without a real VIGIL_SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = load_settings(
        VIGIL_ENV="production",
        VIGIL_DEBUG="1",
        VIGIL_SECRET_KEY=GOOD_SECRET,
        VIGIL_ALLOWED_HOSTS="v.example",
    )
    assert "VIGIL_DEBUG" in result.stderr


def test_production_needs_allowed_hosts():
    result = load_settings(VIGIL_ENV="production", VIGIL_SECRET_KEY=GOOD_SECRET)
    assert "VIGIL_ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_real_settings():
    result = load_settings(
        VIGIL_ENV="production", VIGIL_SECRET_KEY=GOOD_SECRET, VIGIL_ALLOWED_HOSTS="vigil.example"
    )
    assert result.returncode == 0, result.stderr


def test_an_unknown_environment_is_refused():
    assert "VIGIL_ENV must be" in load_settings(VIGIL_ENV="staging").stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"

"""Playwright driving Debian's chromium (never a downloaded browser) against a live server."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import REPO, require_or_skip
from vigil.accounts.models import User
from vigil.people.models import Person
from vigil.referrals.models import Referral

CHROMIUM = Path(os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; Django must still allow the ORM here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    require_or_skip(CHROMIUM.exists(), f"no chromium at {CHROMIUM}", "VIGIL_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo(transactional_db):
    call_command("demo", referrals=12, verbosity=0)
    investigator = User.objects.get(username="investigator")
    referral = (
        Referral.objects.filter(owner=investigator).order_by("received_at").first()
        or Referral.objects.filter(force__code="XF").first()
    )
    return {"referral": referral, "person": Person.objects.filter(referral=referral).first()}

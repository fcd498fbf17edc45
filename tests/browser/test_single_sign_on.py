"""Single sign-on end to end: a real OpenID provider (panva's oidc-provider, run with Node.js),
a real ``vigil serve`` configured for it, and chromium clicking through both.

The first sign-in provisions the person from their claims; changed claims change their role and
force at the next sign-in; claims that no longer map refuse and switch them off; a person the
provider no longer knows cannot sign in at all.
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, require_or_skip

pytestmark = [pytest.mark.browser]

BIN = Path(sys.executable).parent
PROVIDER_SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "vigil-browser-test"
CLIENT_SECRET = "a-client-secret-for-the-browser-test-only"
PASSWORD = "provider-password-1"
MAPPING = """\
second_factor_amr = ["mfa"]

[claims]
roles = "groups"
force = "force"

[roles]
"cait-investigators" = "investigator"
"cait-supervisors" = "supervisor"

[forces]
"exampleshire" = "XF"
"sampleton" = "YF"
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own loopback server
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(log.read_text()[-3000:]) from None
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


class Provider:
    """The test's identity provider: its accounts are a JSON file the test rewrites."""

    def __init__(self, directory: Path, url: str):
        self.file = directory / "accounts.json"
        self.url = url
        self.accounts: dict = {}
        self.save()

    def save(self) -> None:
        self.file.write_text(json.dumps({"accounts": self.accounts}))

    def set(self, account_id: str, *, amr=("pwd",), **claims) -> None:
        self.accounts[account_id] = {"password": PASSWORD, "amr": list(amr), "claims": claims}
        self.save()

    def remove(self, account_id: str) -> None:
        del self.accounts[account_id]
        self.save()


class Vigil:
    def __init__(self, url: str, database: Path):
        self.url = url
        self.database = database

    def rows(self, sql: str, *params):
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql, params)]

    def user(self, username: str) -> dict | None:
        found = self.rows(
            "SELECT u.*, f.code AS force_code FROM accounts_user u "
            "LEFT JOIN accounts_force f ON f.id = u.force_id WHERE username = ?",
            username,
        )
        return found[0] if found else None

    def events(self, action: str) -> list[dict]:
        found = self.rows("SELECT * FROM audit_auditevent WHERE action = ? ORDER BY id", action)
        for event in found:
            for key in ("before", "after"):
                event[key] = json.loads(event[key]) if event[key] else None
        return found


@pytest.fixture(scope="module")
def single_sign_on(tmp_path_factory):
    """An OpenID provider and a ``vigil serve`` pointed at it; yields (provider, vigil)."""
    node = shutil.which("node")
    require_or_skip(bool(node), "no node on PATH", "VIGIL_REQUIRE_BROWSER")
    require_or_skip(
        (REPO / "node_modules" / "oidc-provider").is_dir(),
        "oidc-provider is not installed (npm ci)",
        "VIGIL_REQUIRE_BROWSER",
    )
    directory = tmp_path_factory.mktemp("sso")
    provider_port, vigil_port = _free_port(), _free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    vigil_url = f"http://127.0.0.1:{vigil_port}"
    provider = Provider(directory, issuer)
    provider_log = directory / "provider.log"
    with provider_log.open("w") as log:
        provider_process = subprocess.Popen(
            [node, str(PROVIDER_SCRIPT)],
            cwd=REPO,
            env={
                **os.environ,
                "OIDC_TEST_PORT": str(provider_port),
                "OIDC_TEST_ACCOUNTS": str(provider.file),
                "OIDC_TEST_CLIENT_ID": CLIENT_ID,
                "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_TEST_REDIRECT_URI": f"{vigil_url}/accounts/oidc/callback/",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    serve_log = directory / "serve.log"
    server = None
    try:
        _wait_for(f"{issuer}/.well-known/openid-configuration", provider_process, provider_log)
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration") as answer:  # noqa: S310
            discovery = json.load(answer)
        (directory / "claims.toml").write_text(MAPPING)
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(
            PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
            VIGIL_ENV="test",
            VIGIL_DATA_DIR=str(directory / "data"),
            VIGIL_LOG_LEVEL="ERROR",
            OIDC_RP_CLIENT_ID=CLIENT_ID,
            OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_OP_AUTHORIZATION_ENDPOINT=discovery["authorization_endpoint"],
            OIDC_OP_TOKEN_ENDPOINT=discovery["token_endpoint"],
            OIDC_OP_USER_ENDPOINT=discovery["userinfo_endpoint"],
            OIDC_OP_JWKS_ENDPOINT=discovery["jwks_uri"],
            VIGIL_OIDC_CLAIMS=str(directory / "claims.toml"),
            VIGIL_OIDC_NAME="Test Force account",
        )
        vigil = [sys.executable, "-m", "vigil.cli"]
        for command in (
            ["init"],
            ["forces", "add", "XF", "Exampleshire Police", "--region", "Example"],
            ["forces", "add", "YF", "Sampleton Police", "--region", "Example"],
        ):
            subprocess.run([*vigil, *command], env=env, check=True, capture_output=True)
        with serve_log.open("w") as log:
            server = subprocess.Popen(
                [*vigil, "serve", "--port", str(vigil_port), "--no-worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_for(f"{vigil_url}/accounts/login/", server, serve_log)
        yield provider, Vigil(vigil_url, directory / "data" / "vigil.sqlite3")
    finally:
        for process in (server, provider_process):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def _sign_in(browser, vigil: Vigil, account_id: str):
    """A fresh browser (no session at Vigil or the provider) signs in through the provider."""
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
    page.goto(f"{vigil.url}/accounts/login/")
    page.click("text=Sign in with Test Force account")
    page.fill("#login", account_id)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in at the provider')")
    if page.locator("button:has-text('Allow')").count():
        page.click("button:has-text('Allow')")
    page.wait_for_load_state()
    return context, page


def test_single_sign_on_provisions_updates_and_refuses(browser, single_sign_on, screenshot):
    provider, vigil = single_sign_on
    provider.set(
        "kim-0001",
        email="kim.lee@exampleshire.police.uk",
        email_verified=True,
        preferred_username="kim.lee",
        given_name="Kim",
        family_name="Lee",
        groups=["all-staff", "cait-investigators"],
        force="exampleshire",
    )

    # First sign-in: provisioned as an investigator in Exampleshire, with no local password.
    context, page = _sign_in(browser, vigil, "kim-0001")
    assert page.url.startswith(vigil.url)
    header = page.locator("[data-testid=signed-in-as]").inner_text()
    assert "Investigator" in header and "XF" in header, header
    assert page.csp_violations == []
    context.close()
    kim = vigil.user("kim.lee")
    assert kim["role"] == "investigator" and kim["force_code"] == "XF"
    assert kim["sso_subject"] == "kim-0001" and kim["is_active"]
    assert kim["password"].startswith("!")  # unusable: only the provider signs Kim in
    added = vigil.events("user.added")
    assert added[-1]["after"]["role"] == "investigator"
    assert added[-1]["actor_name"] == "single sign-on"

    # Claims changed at the provider (a supervisor in Sampleton, who proved a second factor
    # there): the next sign-in changes the role and force, audited with the old and new.
    provider.set(
        "kim-0001",
        amr=("pwd", "mfa"),
        email="kim.lee@sampleton.police.uk",
        preferred_username="kim.lee",
        groups=["cait-supervisors"],
        force="sampleton",
    )
    context, page = _sign_in(browser, vigil, "kim-0001")
    header = page.locator("[data-testid=signed-in-as]").inner_text()
    assert "Supervisor" in header and "YF" in header, header
    assert "/two-factor/" not in page.url  # the provider's second factor counted
    screenshot("single-sign-on-changed-role")
    context.close()
    changed = vigil.events("user.changed")[-1]
    assert changed["before"]["role"] == "investigator" and changed["after"]["role"] == "supervisor"
    assert changed["before"]["force"] == "XF" and changed["after"]["force"] == "YF"
    assert vigil.user("kim.lee")["email"] == "kim.lee@sampleton.police.uk"

    # Without a second factor at the provider, a supervisor still sets up Vigil's own.
    provider.set(
        "kim-0001", preferred_username="kim.lee", groups=["cait-supervisors"], force="sampleton"
    )
    context, page = _sign_in(browser, vigil, "kim-0001")
    assert "/accounts/two-factor/setup/" in page.url
    context.close()

    # Claims that no longer give a role: refused with a page that says why, and switched off.
    provider.set("kim-0001", preferred_username="kim.lee", groups=["all-staff"], force="sampleton")
    context, page = _sign_in(browser, vigil, "kim-0001")
    assert page.locator("h1").inner_text() == "You cannot sign in to Vigil"
    assert "None of your groups (all-staff) gives a role in Vigil" in page.content()
    assert page.locator("[data-testid=signed-in-as]").count() == 0
    screenshot("single-sign-on-refused")
    context.close()
    assert not vigil.user("kim.lee")["is_active"]
    switched_off = vigil.events("user.changed")[-1]
    assert switched_off["after"] == {"is_active": False}

    # The provider no longer knows Kim: it refuses the sign-in itself; Vigil is never reached.
    provider.remove("kim-0001")
    context, page = _sign_in(browser, vigil, "kim-0001")
    assert page.url.startswith(provider.url)
    assert "No such account" in page.content()
    context.close()


def test_claims_that_give_no_force_create_nobody(browser, single_sign_on):
    provider, vigil = single_sign_on
    provider.set("ned-0002", preferred_username="ned.nobody", groups=["cait-investigators"])
    context, page = _sign_in(browser, vigil, "ned-0002")
    assert page.locator("h1").inner_text() == "You cannot sign in to Vigil"
    assert "did not say which force you are in" in page.content()
    context.close()
    assert vigil.user("ned.nobody") is None
    refused = vigil.events("login.failed")
    assert any("single sign-on refused" in event["detail"] for event in refused)

"""What investigators and supervisors do in the load benchmark (``benchmarks/load.py`` runs
this file with Locust, against ``vigil serve``, and reads what it records).

Each user signs in as a person would (the sign-in form with its CSRF token; a supervisor also
gives the one-time code of their authenticator app), then pauses between requests (1 to 5
seconds unless ``VIGIL_LOAD_WAIT`` says otherwise). Any answer but 2xx/3xx is an error, and so
is a page that does not show what was asked for (a name searched for and not found, an action
the form refused). Every request's time and error is written to ``VIGIL_LOAD_TIMINGS`` when
Locust stops.
"""

import hashlib
import hmac
import html
import itertools
import json
import os
import random
import re
import struct
import time
from pathlib import Path

from locust import HttpUser, between, events, task

from benchmarks.load import ACCOUNTS_FILE, SUPERVISOR_SHARE, TIMINGS_FILE, WAIT

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFERRAL_LINK = re.compile(r'href="/referrals/(\d+)/"')


def _accounts() -> dict:
    path = os.environ.get(ACCOUNTS_FILE)
    return json.loads(Path(path).read_text()) if path else {"investigators": [], "supervisors": []}


ACCOUNTS = _accounts()
_RECORDED: dict = {"first": None, "last": None, "signed_in": None, "requests": {}}
_SIGNED_IN = itertools.count(1)


@events.request.add_listener
def _record(name, response_time, exception, **_) -> None:
    now = time.time()
    started = now - response_time / 1000
    _RECORDED["first"] = _RECORDED["first"] or started
    _RECORDED["last"] = now
    error = "" if exception is None else str(exception)[:300]
    _RECORDED["requests"].setdefault(name, []).append((response_time, error, started))


def _signed_in(user: HttpUser) -> None:
    """Note when the last user has signed in: from then on the load is steady."""
    if next(_SIGNED_IN) == user.environment.runner.target_user_count:
        _RECORDED["signed_in"] = time.time()


@events.quitting.add_listener
def _write_timings(**_) -> None:
    path = os.environ.get(TIMINGS_FILE)
    if path and _RECORDED["first"] is not None:
        Path(path).write_text(json.dumps(_RECORDED))


_INVESTIGATORS = itertools.cycle(ACCOUNTS["investigators"] or [None])
_SUPERVISORS = iter(ACCOUNTS["supervisors"])


def totp(hex_key: str, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows (RFC 6238: SHA-1, 30-second steps)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


class SignedIn(HttpUser):
    """Someone signed in to Vigil, reading pages with pauses between them."""

    abstract = True
    wait_time = between(*(float(part) for part in os.environ.get(WAIT, "1-5").split("-", 1)))

    def sign_in(self, username: str) -> str:
        """Sign in through the form, as a browser does; returns the page signed in to."""
        page = self.client.get("/accounts/login/", name="sign in")
        token = CSRF.search(page.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": ACCOUNTS["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
            catch_response=True,
        ) as answer:
            if "/accounts/login/" in answer.url:
                answer.failure(f"{username} was not signed in")
            return answer.text

    def open_referral(self) -> str:
        referral_id = random.choice(self.referrals)  # noqa: S311 - load pattern
        with self.client.get(
            f"/referrals/{referral_id}/", name="referral page", catch_response=True
        ) as answer:
            if answer.ok and b"csrfmiddlewaretoken" not in answer.content:
                answer.failure("the referral page has no forms")
            self.last_page = (referral_id, answer.text)
            return answer.text

    @task(2)
    def search_by_name(self) -> None:
        name = random.choice(self.account["names"] or ["Smith"])  # noqa: S311 - load pattern
        with self.client.get(
            "/search/", params={"q": name}, name="search by name", catch_response=True
        ) as answer:
            if answer.ok and self.account["names"] and html.escape(name) not in answer.text:
                answer.failure(f"{name!r} was not found")


class Investigator(SignedIn):
    """Works through their worklist: opens referrals, searches, records what they did."""

    weight = SUPERVISOR_SHARE - 1

    def on_start(self) -> None:
        self.account = next(_INVESTIGATORS)
        self.sign_in(self.account["username"])
        self.referrals: list[int] = []
        _signed_in(self)
        self.worklist()

    @task(3)
    def worklist(self) -> None:
        answer = self.client.get("/worklist/", name="worklist (mine)")
        found = [int(number) for number in REFERRAL_LINK.findall(answer.text)]
        if found:
            self.referrals = found

    @task(4)
    def referral_page(self) -> None:
        if self.referrals:
            self.open_referral()

    @task(1)
    def record_action(self) -> None:
        if not self.referrals:
            return
        referral_id, page = self.last_page if hasattr(self, "last_page") else (None, "")
        if referral_id is None:
            return
        token = CSRF.search(page)
        with self.client.post(
            f"/investigation/{referral_id}/actions/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "kind": "safeguarding_visit",
                "notes": "Visited the address (load benchmark).",
            },
            headers={"Referer": f"{self.host}/referrals/{referral_id}/"},
            name="record action",
            catch_response=True,
        ) as answer:
            if answer.ok and "Action recorded." not in answer.text:
                refused = re.search(r"Not recorded:[^<]*", answer.text)
                answer.failure(refused.group(0) if refused else "no confirmation on the page")


class Supervisor(SignedIn):
    """Watches the team's clocks and the breaches, and looks into referrals."""

    weight = 1

    def on_start(self) -> None:
        self.account = next(_SUPERVISORS)
        page = self.sign_in(self.account["username"])
        token = CSRF.search(page)
        with self.client.post(
            "/accounts/two-factor/",
            data={
                "token": totp(self.account["totp_key"]),
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/two-factor/"},
            name="second factor",
            catch_response=True,
        ) as answer:
            if "/accounts/" in answer.url:
                answer.failure("the one-time code was refused")
        self.referrals: list[int] = []
        _signed_in(self)
        self.team_worklist()

    @task(3)
    def team_worklist(self) -> None:
        answer = self.client.get("/worklist/?tab=team", name="worklist (team)")
        found = [int(number) for number in REFERRAL_LINK.findall(answer.text)]
        if found:
            self.referrals = found

    @task(2)
    def breach_view(self) -> None:
        self.client.get("/worklist/breaches/", name="breach view")

    @task(2)
    def referral_page(self) -> None:
        if self.referrals:
            self.open_referral()

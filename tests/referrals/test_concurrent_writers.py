"""Many writers on the same referrals at once, over the real API, on PostgreSQL.

Two API clients (two supervisors), each with seven threads, send 308 mixed changes to the same
five referrals: investigative actions, household members, flags, and moves of the workflow with
the version each writer last saw. Every request is answered 2xx, 409 or 422, never 5xx; each
referral's version rises by exactly the number of changes that succeeded on it; and every 409
names the change that really came in between.
"""

import random
import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

from tests.conftest import low_risk, store
from vigil.accounts.models import Force, User
from vigil.accounts.tokens import create_token
from vigil.audit.models import AuditEvent
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 2
THREADS_PER_CLIENT = 7
REQUESTS_PER_THREAD = 22
NEXT_STATE = {"outcome_pending": "post_enforcement", "post_enforcement": "outcome_pending"}


@pytest.fixture
def world(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are tested on PostgreSQL (SQLite has one writer)")
    xf = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    Force.objects.create(code="YF", name="Sampleton Constabulary", region="North")
    received = timezone.now() - timedelta(days=3)
    referrals = []
    for number in range(5):
        referral, _ = store(
            low_risk(received) | {"source_reference": f"NCA-BUSY-{number}"}, as_of=received
        )
        # In a state whose moves by hand go back and forth.
        Referral.objects.filter(pk=referral.pk).update(status="outcome_pending")
        referrals.append(referral.pk)
    keys = []
    for number in range(CLIENTS):
        user = User(username=f"writer{number}", role="supervisor", force=xf)
        user.set_unusable_password()
        user.save()
        keys.append(create_token(user, "writer", as_of=timezone.now())[1])
    return {"referrals": referrals, "keys": keys}


def _writer(base: str, key: str, seed: int, referrals: list[int], results: list, lock):
    chooser = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    for _ in range(REQUESTS_PER_THREAD):
        referral = chooser.choice(referrals)
        kind = chooser.choice(["action", "household", "flags", "status", "status"])
        url = f"{base}/api/v1/referrals/{referral}"
        seen = None
        if kind == "action":
            response = session.post(f"{url}/actions", json={"kind": "search"})
        elif kind == "household":
            response = session.post(
                f"{url}/household-members",
                json={"first_name": "Kit", "age": chooser.randint(1, 17), "source": "visit"},
            )
        elif kind == "flags":
            flags = chooser.sample(["firearms", "self_harm_risk"], chooser.randint(0, 2))
            response = session.put(f"{url}/flags", json={"flags": flags})
        else:
            read = session.get(url)
            if read.status_code != 200:
                # A read that fails under the writers is as much a failure as a write.
                with lock:
                    results.append((referral, "read", None, read.status_code, read.text))
                continue
            current = read.json()
            seen = current["version"]
            response = session.post(
                f"{url}/status",
                json={"status": NEXT_STATE[current["status"]], "expected_version": seen},
            )
        with lock:
            results.append((referral, kind, seen, response.status_code, response.text))


def test_concurrent_writers_get_answers_and_every_change_counts(live_server, world):
    before = dict(Referral.objects.filter(pk__in=world["referrals"]).values_list("pk", "version"))
    results: list = []
    lock = threading.Lock()
    threads = [
        threading.Thread(
            target=_writer,
            args=(live_server.url, key, client * 100 + thread, world["referrals"], results, lock),
        )
        for client, key in enumerate(world["keys"])
        for thread in range(THREADS_PER_CLIENT)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert len(results) == CLIENTS * THREADS_PER_CLIENT * REQUESTS_PER_THREAD >= 300
    assert not [r for r in results if r[1] == "read"], "a read failed under the writers"
    statuses = Counter(status for _, _, _, status, _ in results)
    failures = [r for r in results if r[3] >= 500 or r[3] not in {200, 201, 409, 422}]
    assert not failures, failures[:5]
    assert statuses[409] + statuses[200] + statuses[201] > 0

    succeeded = Counter(referral for referral, _, _, status, _ in results if status in {200, 201})
    after = dict(Referral.objects.filter(pk__in=world["referrals"]).values_list("pk", "version"))
    for referral in world["referrals"]:
        assert after[referral] - before[referral] == succeeded[referral], referral

    for referral, _, seen, status, text in results:
        if status != 409:
            continue
        came_between = AuditEvent.objects.get(referral_id=referral, referral_version=seen + 1)
        named = re.search(r"\((.*) by (\S+) at ", text)
        assert named, text
        assert named.group(1) == came_between.get_action_display(), text
        assert named.group(2) == came_between.actor_name, text

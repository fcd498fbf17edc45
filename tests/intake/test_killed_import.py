"""`vigil import` killed at random moments leaves nothing half-stored.

Synthetic referrals are imported by the real console script, against the test database (an
SQLite file, or PostgreSQL when DATABASE_URL is set), and the import is killed with SIGKILL
after a random (seeded) delay, several times, in the middle of a batch or between batches. After
each kill every referral that is stored is whole, exactly as `store_referral` writes it in its
one transaction (a batch's commit holds several whole referrals), and `vigil audit verify`
passes. Then the import runs to the end: each referral is stored exactly once, those stored
before are reported as duplicates, and the audit trail still verifies.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from vigil.audit.choices import AuditAction
from vigil.audit.models import AuditEvent
from vigil.clocks.models import Clock
from vigil.people.models import Person
from vigil.referrals.models import Document, Material, Referral
from vigil.risk.models import Assessment

pytestmark = pytest.mark.django_db(transaction=True)

VIGIL = str(Path(sys.executable).parent / "vigil")
REPO = Path(__file__).resolve().parents[2]
REFERRALS = 60
KILLS = 6
SEED = 14
BATCH = 7


@pytest.fixture
def folder(tmp_path, forces):
    out = tmp_path / "referrals"
    # The synthesiser's referrals, each for one of the test's forces.
    call_command(
        "synth",
        count=REFERRALS,
        seed=SEED,
        format="json",
        out=str(out),
        forces="XF,YF",
        stdout=open(os.devnull, "w"),  # noqa: SIM115 - closed with the process
    )
    files = sorted(out.glob("*.json"))
    assert len(files) == REFERRALS
    return out


def _environment(tmp_path) -> dict:
    """The console script, pointed at this test's own database."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        url = f"postgresql://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "VIGIL_ENV": "test",
        "VIGIL_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": url,
    }


def _expected(folder: Path) -> dict[str, dict]:
    """What each file says it holds: its people and its material."""
    found = {}
    for path in folder.glob("*.json"):
        data = json.loads(path.read_bytes())
        found[data["source_reference"]] = {
            "people": len(data.get("subjects", [])),
            "material": len(data.get("material", [])),
        }
    return found


def _per_referral(model, **filters) -> Counter:
    rows = model.objects.filter(**filters).values("referral_id").annotate(n=Count("id"))
    return Counter({row["referral_id"]: row["n"] for row in rows})


def _assert_every_stored_referral_is_whole(expected: dict[str, dict]) -> int:
    """Whole: everything `store_referral` writes in its transaction is there. The referral row
    (first), its document, its people and its material as the file lists them, its grade and at
    least one assessment, its clocks, and its "imported" audit event (written last)."""
    documents = _per_referral(Document)
    people = _per_referral(Person)
    material = _per_referral(Material)
    assessments = _per_referral(Assessment)
    clocks = _per_referral(Clock)
    imported = _per_referral(AuditEvent, action=AuditAction.REFERRAL_IMPORTED)
    stored = list(Referral.objects.values_list("pk", "source_reference", "grade"))
    for pk, reference, grade in stored:
        wanted = expected[reference]
        whole = {
            "documents": documents[pk] == 1,
            "people": people[pk] == wanted["people"],
            "material": material[pk] == wanted["material"],
            "grade": bool(grade) and assessments[pk] >= 1,
            "clocks": clocks[pk] >= 1,
            "audit": imported[pk] == 1,
        }
        assert all(whole.values()), (reference, whole)
    # Nothing belongs to a referral that is not stored.
    held = {pk for pk, _, _ in stored}
    for name, counts in [("document", documents), ("person", people), ("clock", clocks)]:
        assert set(counts) <= held, f"a {name} of a referral that is not stored"
    return len(stored)


def _wait_until_stored(count: int, importing: subprocess.Popen, seconds: float = 60) -> None:
    started = time.monotonic()
    while Referral.objects.count() < count and importing.poll() is None:
        assert time.monotonic() - started < seconds, "the import stored nothing for a minute"
        time.sleep(0.01)


def _audit_verify(env) -> None:
    verified = subprocess.run(
        [VIGIL, "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_killed_import_leaves_only_whole_referrals_and_the_rerun_finishes_it(folder, tmp_path):
    env = _environment(tmp_path)
    expected = _expected(folder)
    chooser = random.Random(SEED)
    stored_before = 0
    for _ in range(KILLS):
        importing = subprocess.Popen(
            # Small batches, so a kill falls inside a batch's transaction as well as between.
            [VIGIL, "import", str(folder), "--json", "--batch-size", str(BATCH)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Wait until it has stored a random few more (however slowly the machine starts it),
        # then kill it a random moment later: mostly half-way through the next referral.
        target = stored_before + chooser.randint(1, (REFERRALS - stored_before) // KILLS + 1)
        _wait_until_stored(target, importing)
        time.sleep(chooser.uniform(0, 0.06))
        importing.send_signal(signal.SIGKILL)
        importing.wait()
        stored = _assert_every_stored_referral_is_whole(expected)
        assert stored >= stored_before
        stored_before = stored
        _audit_verify(env)

    finished = subprocess.run(
        [VIGIL, "import", str(folder), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    statuses = Counter(item["status"] for item in report["imported"])
    assert report["rejected"] == []
    # As Counters (a count of none is no entry): every referral may already be stored when the
    # import outran the last kill, and then nothing is created.
    assert statuses == Counter(created=REFERRALS - stored_before, duplicate=stored_before)
    assert _assert_every_stored_referral_is_whole(expected) == REFERRALS
    references = Counter(Referral.objects.values_list("source_reference", flat=True))
    assert set(references) == set(expected)
    assert set(references.values()) == {1}
    _audit_verify(env)

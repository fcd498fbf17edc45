"""`make bench` runs for minutes at full size, so it is not part of `make test`; these runs at a
tiny size keep the benchmarks working as the schema changes under them (their bulk loaders
write tables directly). They check that each benchmark completes and reports, never how fast."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, tmp_path: Path) -> str:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # the SQLite path only; the full runs cover PostgreSQL
    env["VIGIL_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "failed" not in done.stdout, done.stdout
    return done.stdout


@pytest.mark.benchmark
def test_worklist_benchmark_builds_its_referrals_and_reports_every_query(tmp_path):
    output = _run("benchmarks.clocks", "--referrals", "2000", "--runs", "2", tmp_path=tmp_path)
    assert "built 2000 referrals" in output
    for line in ("worklist force", "worklist breaches", "dashboard force", "dashboard region"):
        assert line in output
    assert "sweep:" in output


@pytest.mark.benchmark
def test_page_benchmark_measures_every_page_with_its_queries(tmp_path):
    output = _run(
        *("benchmarks.pages", "--referrals", "500", "--repeat", "2"),
        *("--work", str(tmp_path)),
        tmp_path=tmp_path,
    )
    figures = json.loads(output.strip().splitlines()[-1])
    assert set(figures) == {"worklist (mine)", "worklist (team)", "referral page", "record action"}
    assert all(row["queries"] > 0 and row["median_ms"] > 0 for row in figures.values())


@pytest.mark.benchmark
def test_intake_benchmark_imports_both_formats_three_ways(tmp_path):
    output = _run(
        "benchmarks.intake",
        "--json-count",
        "20",
        "--cybertip-count",
        "5",
        "--sustained",
        "30",
        "--work",
        str(tmp_path / "work"),
        tmp_path=tmp_path,
    )
    assert "JSON" in output and "CyberTip" in output
    # One by one, batched and the raw ceiling side by side, on each format.
    assert "batched÷raw" in output
    assert "sqlite      json" in output and "sqlite      cybertip" in output


@pytest.mark.benchmark
def test_risk_benchmark_grades_and_stores(tmp_path):
    output = _run("benchmarks.risk", "--count", "200", tmp_path=tmp_path)
    assert "engine alone" in output
    assert "with storage" in output


@pytest.mark.benchmark
def test_search_benchmark_builds_its_referrals_and_reports_every_kind(tmp_path):
    output = _run("benchmarks.search", "--referrals", "500", "--runs", "3", tmp_path=tmp_path)
    assert "built 500 referrals" in output
    for line in ("baseline", "name misspelt", "postcode", "MD5", "mix of all kinds"):
        assert line in output


@pytest.mark.benchmark
def test_regrade_benchmark_builds_the_index_and_runs_the_daily_re_grade(tmp_path):
    output = _run(
        "benchmarks.regrade", "--referrals", "2000", "--due-today", "10", tmp_path=tmp_path
    )
    assert "built 2000 referrals" in output
    assert "10 due today" in output
    agreeing, sampled = re.search(r"engine agrees with \(a sample\): (\d+)/(\d+)", output).groups()
    assert agreeing == sampled != "0"
    assert "10 referrals re-graded (10 new assessments)" in output
    assert "a second daily run the same day" in output and ", 0 re-graded" in output


@pytest.mark.benchmark
def test_audit_benchmark_seals_every_event_it_inserted_into_a_chain_that_verifies(tmp_path):
    output = _run("benchmarks.audit", "--events", "300", tmp_path=tmp_path)
    assert "sqlite: 300 events" in output
    assert "chain verified: True" in output


def _load_run(tmp_path: Path, env: dict) -> dict:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.load", "--referrals", "1000", "--users", "5"),
            *("--spawn-rate", "5", "--duration", "20s", "--wait", "0.1-0.4"),
            *("--work", str(tmp_path), "--database", "vigil_load_bench_test"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# What the scenario does; every one must be exercised in the tiny run.
REQUEST_TYPES = {
    "sign in",
    "second factor",
    "worklist (mine)",
    "worklist (team)",
    "breach view",
    "referral page",
    "search by name",
    "record action",
}


def _assert_every_request_type_answered_without_error(figures: dict) -> None:
    assert figures["all"]["errors"] == 0, figures["errors"]
    assert figures["errors"] == []
    exercised = {name for name, row in figures["types"].items() if row["count"]}
    assert exercised == REQUEST_TYPES
    assert figures["steady"] is not None, "not every user signed in"


@pytest.mark.benchmark
def test_load_scenario_signs_everyone_in_and_answers_every_request_on_sqlite(tmp_path):
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    _assert_every_request_type_answered_without_error(_load_run(tmp_path, env))


@pytest.mark.benchmark
def test_load_scenario_signs_everyone_in_and_answers_every_request_on_postgresql(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("DATABASE_URL names no PostgreSQL database (the issue measures PostgreSQL)")
    _assert_every_request_type_answered_without_error(_load_run(tmp_path, dict(os.environ)))


@pytest.mark.benchmark
def test_hash_set_benchmark_imports_and_looks_up(tmp_path):
    output = _run(
        "benchmarks.hashsets", "--hashes", "3000", "--lookup-sizes", "1000,4000", tmp_path=tmp_path
    )
    assert "sqlite: imported 3000 hashes" in output
    assert "(500 found)" in output
    # The same lookups as one set grows through each size.
    assert "sqlite lookups at      1,000 hashes" in output
    assert "sqlite lookups at      4,000 hashes" in output
    assert output.count("(500 found; grown in") == 2


@pytest.mark.benchmark
def test_triage_benchmark_triages_its_pictures_beside_hashing_alone(tmp_path):
    output = _run("benchmarks.triage", "--files", "60", tmp_path=tmp_path)
    assert "hashing alone (the ceiling): 60 files" in output
    assert "sqlite: triaged 60 files" in output
    assert "exact 6, near 0, unknown 54" in output


@pytest.mark.benchmark
def test_pdq_benchmark_answers_as_threatexchange_does_at_full_recall(tmp_path):
    output = _run("benchmarks.pdq", "--hashes", "3000", "--queries", "60", tmp_path=tmp_path)
    assert "3000 known hashes, 60 queries" in output
    assert "same answers: True" in output and "same answers: False" not in output
    assert output.count("recall 1.000") == 6
    assert "multi-hash, batch" in output
    for line in ("PdqIndex.near, the batch", "PDQIndex.query, one a call", "FAISS on 1 thread"):
        assert line in output

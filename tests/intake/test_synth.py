"""Synthetic referrals: reproducible, realistic, valid, and never imagery."""

import io
import json
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SYSTEM
from vigil.intake.native_json import read_referral
from vigil.intake.services import ImportOptions, import_paths
from vigil.intake.synth import _PHONE_RANGES, Synthesiser
from vigil.referrals.models import Referral

UNTIL = date(2026, 11, 1)


def test_the_same_seed_writes_the_same_files(tmp_path):
    for run in ("a", "b"):
        call_command(
            "synth",
            "--count",
            "20",
            "--seed",
            "7",
            "--until",
            "2026-11-01",
            "--out",
            str(tmp_path / run),
        )
        call_command(
            "synth",
            "--count",
            "5",
            "--seed",
            "7",
            "--until",
            "2026-11-01",
            "--format",
            "cybertip",
            "--out",
            str(tmp_path / run / "ct"),
        )
    first = {
        p.relative_to(tmp_path / "a"): p.read_bytes()
        for p in (tmp_path / "a").rglob("*")
        if p.is_file()
    }
    second = {
        p.relative_to(tmp_path / "b"): p.read_bytes()
        for p in (tmp_path / "b").rglob("*")
        if p.is_file()
    }
    assert first == second
    assert len(first) > 25


def test_a_different_seed_writes_different_referrals():
    one = list(Synthesiser(1, until=UNTIL).referrals(5))
    two = list(Synthesiser(2, until=UNTIL).referrals(5))
    assert one != two


def test_every_synthetic_referral_is_valid_and_the_mix_is_realistic():
    referrals = list(Synthesiser(3, until=UNTIL).referrals(400))
    as_of = datetime(2026, 11, 2, tzinfo=UTC)
    drafts = [read_referral("x.json", json.dumps(r).encode(), as_of=as_of) for r in referrals]
    assert len({d.force_code for d in drafts}) == 4
    assert {d.source for d in drafts} >= {"nca", "public", "partner"}
    children_at_home = sum(
        any(p.role == "household_member" and (p.stated_age or 99) < 18 for p in d.people)
        or any(
            p.role == "household_member"
            and p.date_of_birth
            and (d.received_at.date() - p.date_of_birth).days < 18 * 365
            for p in d.people
        )
        for d in drafts
    )
    assert 20 < children_at_home < 300
    assert sum(all(p.role != "household_member" for p in d.people) for d in drafts) > 100
    assert Counter(m.category for d in drafts for m in d.material).keys() >= {"A", "B", "C", ""}
    assert sum(bool(p.history) for d in drafts for p in d.people) > 40
    # Missing facts: works_with_children often not known.
    assert sum(d.people[0].works_with_children is None for d in drafts) > 50
    # Children who are suspects themselves.
    assert any(
        d.people[0].date_of_birth
        and (d.received_at.date() - d.people[0].date_of_birth).days < 18 * 365
        for d in drafts
    )


def test_repeat_suspects_appear_across_referrals_and_forces():
    referrals = list(Synthesiser(4, until=UNTIL).referrals(300))
    by_email = {}
    for r in referrals:
        email = r["subjects"][0]["identifiers"][0]["value"]
        by_email.setdefault(email, set()).add(r["force"])
    repeats = [forces for forces in by_email.values() if len(forces) > 1]
    assert repeats, "some suspects should recur in another force"


def test_nothing_synthetic_points_at_a_real_person():
    for r in Synthesiser(5, until=UNTIL).referrals(200):
        for identifier in r["subjects"][0]["identifiers"]:
            if identifier["type"] == "email":
                assert identifier["value"].split("@")[1] in {
                    "example.com",
                    "example.org",
                    "example.net",
                }
            if identifier["type"] == "ip":
                assert identifier["value"].startswith(("192.0.2.", "198.51.100.", "203.0.113."))
            if identifier["type"] == "phone":
                assert identifier["value"].startswith(tuple(_PHONE_RANGES))


@pytest.mark.django_db
def test_synthetic_packages_import_and_link_repeat_suspects(tmp_path, forces):
    call_command(
        "synth",
        "--count",
        "30",
        "--seed",
        "9",
        "--until",
        "2026-11-01",
        "--format",
        "cybertip",
        "--forces",
        "XF",
        "--out",
        str(tmp_path),
    )
    assert not [p for p in tmp_path.rglob("*") if p.suffix in {".jpg", ".png", ".mp4"}]
    report = import_paths(
        [tmp_path], actor=SYSTEM, as_of=timezone.now(), options=ImportOptions(force_code="XF")
    )
    assert report.rejected == []
    assert Referral.objects.count() == 30


# ---------------------------------------------------------------------------------------------
# Whatever the moment it runs, synth never writes a referral that the importer refuses.

MOMENTS = {
    "just after midnight UTC in summer (01:05 in London)": datetime(2026, 7, 15, 0, 5, tzinfo=UTC),
    "just after midnight in London in summer (23:05 UTC)": datetime(2026, 7, 14, 23, 5, tzinfo=UTC),
    "just after midnight in winter": datetime(2026, 1, 15, 0, 5, tzinfo=UTC),
    "the clocks go forward (00:30 UTC)": datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    "the clocks have gone forward (01:30 UTC)": datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    "the clocks go back (00:30 UTC)": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    "the clocks have gone back (01:30 UTC)": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    "23:59 in winter": datetime(2026, 12, 6, 23, 59, tzinfo=UTC),
    "23:59 in London in summer": datetime(2026, 6, 1, 22, 59, tzinfo=UTC),
    "23:59 UTC in summer (00:59 in London the next day)": datetime(2026, 6, 1, 23, 59, tzinfo=UTC),
    "mid-morning, with later hours of the day to come": datetime(2026, 5, 12, 9, 15, tzinfo=UTC),
}


def synthesise_and_import(
    out: Path, *, fmt: str, seed: int, count: int, until: str | None, days: int
):
    """Run `vigil synth` into ``out`` and import what it wrote, now; the import's report."""
    arguments = ["--count", str(count), "--seed", str(seed), "--format", fmt, "--days", str(days)]
    arguments += ["--forces", "XF,YF", "--out", str(out)]
    if until:
        arguments += ["--until", until]
    call_command("synth", *arguments, stdout=io.StringIO())
    options = ImportOptions(force_code="XF" if fmt == "cybertip" else "")
    return import_paths([out], actor=SYSTEM, as_of=timezone.now(), options=options)


@pytest.mark.django_db
@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
@pytest.mark.parametrize("fmt", ["json", "cybertip"])
def test_synth_run_at_any_moment_writes_only_referrals_the_importer_takes(
    tmp_path, forces, moment, fmt
):
    # Over two days ending today, about half the referrals fall on today, most of them at an
    # hour still to come.
    with time_machine.travel(moment, tick=False):
        report = synthesise_and_import(tmp_path, fmt=fmt, seed=11, count=20, until=None, days=2)
    assert report.rejected == []
    assert len(report.imported) == 20


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moment=st.sampled_from(list(MOMENTS.values())),
    seed=st.integers(min_value=-(10**6), max_value=10**6),
    count=st.integers(min_value=1, max_value=8),
    fmt=st.sampled_from(["json", "cybertip"]),
    days_back=st.none() | st.integers(min_value=0, max_value=800),
    days=st.integers(min_value=1, max_value=3) | st.just(730),
)
def test_every_synthesised_referral_is_imported_with_no_rejection(
    forces, moment, seed, count, fmt, days_back, days
):
    with time_machine.travel(moment, tick=False), tempfile.TemporaryDirectory() as out:
        until = None
        if days_back is not None:
            until = (timezone.localdate() - timedelta(days=days_back)).isoformat()
        # Each example on its own: the same seed in two examples would otherwise be the same
        # references with other content, which the importer rightly refuses.
        with transaction.atomic():
            report = synthesise_and_import(
                Path(out), fmt=fmt, seed=seed, count=count, until=until, days=days
            )
            transaction.set_rollback(True)
    assert report.rejected == [], report.rejected
    assert len(report.imported) == count


def test_synthetic_times_are_never_after_receipt_or_the_moment_of_writing():
    for moment in MOMENTS.values():
        with time_machine.travel(moment, tick=False):
            until = timezone.localdate()
            synthesiser = Synthesiser(12, until=until, as_of=moment, span_days=3)
            for data in synthesiser.referrals(100):
                received = datetime.fromisoformat(data["received_at"])
                assert received <= moment, data["received_at"]
                occurred = datetime.fromisoformat(data["incident"]["occurred_at"])
                assert occurred <= received
                for identifier in data["subjects"][0]["identifiers"]:
                    if identifier.get("seen_at"):
                        assert datetime.fromisoformat(identifier["seen_at"]) <= received


def test_the_same_seed_and_until_give_the_same_files_whenever_synth_runs(tmp_path):
    for moment in (datetime(2026, 11, 20, 0, 5, tzinfo=UTC), datetime(2027, 2, 1, 15, tzinfo=UTC)):
        with time_machine.travel(moment, tick=False):
            call_command(
                "synth",
                *("--count", "40", "--seed", "3", "--until", "2026-11-19"),
                *("--out", str(tmp_path / moment.isoformat())),
                stdout=io.StringIO(),
            )
    first, second = sorted(tmp_path.iterdir())
    assert {p.name: p.read_bytes() for p in first.iterdir()} == {
        p.name: p.read_bytes() for p in second.iterdir()
    }


def test_a_future_until_is_refused(tmp_path):
    # 01:05 on 15 July in London: the 15th is today, the 16th is the future.
    moment = datetime(2026, 7, 15, 0, 5, tzinfo=UTC)
    with time_machine.travel(moment, tick=False), pytest.raises(CommandError, match="future"):
        call_command("synth", "--count", "1", "--until", "2026-07-16", "--out", str(tmp_path))
    with time_machine.travel(moment, tick=False):
        call_command(
            "synth",
            "--count",
            "1",
            "--until",
            "2026-07-15",
            "--out",
            str(tmp_path),
            stdout=io.StringIO(),
        )

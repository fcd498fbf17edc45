"""Synthetic referrals: reproducible, realistic, valid, and never imagery."""

import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

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

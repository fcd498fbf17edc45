"""Triage of an exhibit against the hash sets: exact and near matches, what is missed, the JSON
answer, resuming a stopped run, permission and audit. Every picture is drawn here by Pillow."""

import json
import os
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from PIL import Image

from vigil.audit.models import AuditEvent
from vigil.core.permissions import Refused
from vigil.exhibits import queue
from vigil.exhibits.hashing import file_digests
from vigil.exhibits.models import Exhibit, TriageFile, TriageRun
from vigil.exhibits.services import (
    add_exhibit,
    finish_triage,
    import_hashset,
    read_files,
    start_triage,
    triage,
    triage_matches,
)
from vigil.referrals.changes import RecordError

from ..conftest import AS_OF, SYSTEM, referral_data, store
from .synthetic import blurred, cropped, known, picture, resized, vics

pytestmark = pytest.mark.django_db

# What the device below holds, as triage must answer it.
EXPECTED = {
    "files": 7,
    "images": 6,
    "exact": 1,
    "near": 3,
    "categories": {"A": 2, "B": 1, "C": 1, "other": 0},
    "unknown_images": 2,
}


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """Three known pictures (graded A, B and C in the set) and a device holding an exact copy of
    one, a resized, a re-encoded and a blurred copy, a crop, an unrelated picture and a note."""
    root = tmp_path_factory.mktemp("pictures")
    originals = []
    for seed in range(3):
        path = root / f"known-{seed}.png"
        picture(seed).save(path)
        originals.append(path)
    device = root / "device"
    (device / "DCIM").mkdir(parents=True)
    shutil.copy(originals[0], device / "DCIM" / "exact-copy.png")
    resized(picture(1)).save(device / "DCIM" / "resized.png")
    picture(2).save(device / "DCIM" / "reencoded.jpg", quality=60)
    blurred(picture(0)).save(device / "DCIM" / "blurred.png")
    cropped(picture(1)).save(device / "DCIM" / "cropped.png")
    picture(100).save(device / "unrelated.png")
    (device / "notes.txt").write_text("shopping list")
    return {"originals": originals, "device": device, "root": root}


@pytest.fixture
def hash_set(pictures, tmp_path):
    media = [known(path, number) for number, path in enumerate(pictures["originals"], start=1)]
    return import_hashset(SYSTEM, vics(tmp_path / "set.json", media), name="CAID", as_of=AS_OF)


@pytest.fixture
def exhibit(forces):
    referral, _ = store(referral_data())
    return add_exhibit(SYSTEM, referral.pk, "JS/1", kind="phone", as_of=AS_OF)


def test_triage_finds_exact_and_near_copies_and_counts_the_rest(pictures, hash_set, exhibit):
    result = triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)

    assert result == EXPECTED
    exhibit.refresh_from_db()
    assert exhibit.triage == EXPECTED
    matches = {match["path"]: match for match in triage_matches(SYSTEM, "JS/1")}
    assert set(matches) == {
        "DCIM/exact-copy.png",
        "DCIM/resized.png",
        "DCIM/reencoded.jpg",
        "DCIM/blurred.png",
    }
    exact = matches["DCIM/exact-copy.png"]
    assert (exact["kind"], exact["distance"], exact["category"]) == ("md5", 0, "A")
    assert exact["hash"] == file_digests(pictures["originals"][0])[1]
    for path, category in [
        ("DCIM/resized.png", "B"),
        ("DCIM/reencoded.jpg", "C"),
        ("DCIM/blurred.png", "A"),
    ]:
        near = matches[path]
        assert near["kind"] == "pdq" and near["category"] == category
        assert 0 <= near["distance"] <= 31
        assert (near["hash_set"], near["hash_set_version"]) == ("CAID", 1)


def test_a_crop_and_an_unrelated_picture_are_not_matched(pictures, hash_set, exhibit):
    triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)

    matched = {match["path"] for match in triage_matches(SYSTEM, "JS/1")}
    # PDQ does not survive cropping (docs/exhibits.md says what triage can miss).
    assert "DCIM/cropped.png" not in matched
    assert "unrelated.png" not in matched


def test_no_pixel_is_kept_only_paths_sizes_and_hashes(pictures, hash_set, exhibit):
    triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)

    row = TriageFile.objects.get(path="DCIM/blurred.png")
    kept = {field.name for field in TriageFile._meta.fields}
    assert kept == {"id", "run", "path", "size", "md5", "sha1", "is_image", "pdq", "pdq_quality"}
    assert len(row.pdq) == 64 and row.pdq_quality >= 50


def test_the_command_answers_exactly_the_json_the_issue_names(pictures, hash_set, exhibit, capsys):
    call_command("triage", "JS/1", str(pictures["device"]), "--json")

    answer = json.loads(capsys.readouterr().out)
    assert list(answer) == ["files", "images", "exact", "near", "categories", "unknown_images"]
    assert list(answer["categories"]) == ["A", "B", "C", "other"]
    assert answer == EXPECTED


def test_a_stopped_run_resumes_without_reading_a_file_twice(pictures, hash_set, exhibit):
    run = start_triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)
    read = []

    def stop_after_three(count):
        read.append(count)
        if len(read) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        read_files(run, stop_after_three)
    assert TriageFile.objects.filter(run=run).count() == 3

    more = []
    result = triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF, progress=more.append)

    assert len(more) == 4
    assert TriageRun.objects.count() == 1
    assert result == EXPECTED


def test_a_forensic_hash_list_is_triaged_by_exact_hash(pictures, hash_set, exhibit, tmp_path):
    _, md5, sha1 = file_digests(pictures["originals"][1])
    listing = tmp_path / "hashdeep.txt"
    listing.write_text(
        "%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,filename\n"
        f"10,{md5},{sha1},/mnt/phone/a.png\n"
        f"12,{'0' * 32},{'0' * 40},/mnt/phone/b.png\n"
    )

    result = triage(SYSTEM, "JS/1", listing, as_of=AS_OF)

    assert result == {
        "files": 2,
        "images": 0,
        "exact": 1,
        "near": 0,
        "categories": {"A": 0, "B": 1, "C": 0, "other": 0},
        "unknown_images": 0,
    }


def test_triage_is_allowed_by_role_scoped_to_the_force_and_audited(
    pictures, hash_set, exhibit, make_user
):
    with pytest.raises(Refused):
        triage(make_user("intake_officer"), "JS/1", pictures["device"], as_of=AS_OF)
    with pytest.raises(Http404):
        triage(make_user("investigator", "YF"), "JS/1", pictures["device"], as_of=AS_OF)
    assert not TriageRun.objects.exists()

    triage(make_user("investigator"), "JS/1", pictures["device"], as_of=AS_OF)

    started, recorded = (
        AuditEvent.objects.get(action=action) for action in ("triage.started", "triage.recorded")
    )
    assert started.referral_id == recorded.referral_id == exhibit.referral_id
    assert recorded.actor_name == "investigator-xf"
    assert {key: recorded.after[key] for key in EXPECTED} == EXPECTED
    assert recorded.after["hash_sets"] == {"CAID": 1}


def test_another_force_sees_no_exhibit_and_no_match(pictures, hash_set, exhibit, make_user):
    triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)
    other = make_user("investigator", "YF")

    assert not Exhibit.objects.restrict(other).exists()
    with pytest.raises(Http404):
        triage_matches(other, "JS/1")


def test_the_devices_command_records_an_exhibit(forces, capsys):
    referral, _ = store(referral_data())
    call_command(
        "devices", "add", referral.source_reference, "--exhibit", "JS/2", "--kind", "computer"
    )
    assert "exhibit JS/2 (computer)" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="exhibit.added", referral_id=referral.pk).exists()


def test_a_low_quality_pdq_hash_is_kept_but_never_matched(exhibit, tmp_path):
    flat = tmp_path / "flat.png"
    Image.new("RGB", (300, 200), (128, 128, 128)).save(flat)
    entry = known(flat, 1)
    import_hashset(
        SYSTEM,
        vics(tmp_path / "set.json", [{"PDQ": entry["PDQ"], "Category": 1}]),
        name="Own",
        as_of=AS_OF,
    )
    device = tmp_path / "device"
    device.mkdir()
    Image.new("RGB", (150, 100), (128, 128, 128)).save(device / "flat-small.png")

    result = triage(SYSTEM, "JS/1", device, as_of=AS_OF)

    assert (result["near"], result["unknown_images"]) == (0, 1)
    kept = TriageFile.objects.get(path="flat-small.png")
    assert kept.pdq == entry["PDQ"] and kept.pdq_quality < 50


def test_a_file_listed_twice_and_a_name_that_is_not_utf8_are_each_read_once(exhibit, tmp_path):
    listing = tmp_path / "list.csv"
    listing.write_text(f"path,md5,sha1\n/a.png,{'1' * 32},\n/a.png,{'1' * 32},\n")
    assert triage(SYSTEM, "JS/1", listing, as_of=AS_OF)["files"] == 1

    device = tmp_path / "device"
    device.mkdir()
    (device / os.fsdecode(b"caf\xe9.bin")).write_bytes(b"x")
    assert triage(SYSTEM, "JS/1", device, as_of=AS_OF)["files"] == 1
    assert TriageFile.objects.filter(path="caf\\udce9.bin").exists()


def test_the_command_says_when_the_exhibit_is_not_found(forces, tmp_path):
    with pytest.raises(CommandError, match="No exhibit JS/9 found") as raised:
        call_command("triage", "JS/9", str(tmp_path))
    assert raised.value.returncode == 1


@pytest.mark.parametrize("gone", ["returned", "destroyed"])
def test_a_returned_or_destroyed_exhibit_is_refused_triage_with_the_reason(
    pictures, hash_set, exhibit, gone
):
    queue.move_exhibit(SYSTEM, exhibit, to=gone, as_of=AS_OF)

    with pytest.raises(RecordError, match=f"JS/1 has been {gone}: a device no longer held"):
        start_triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)
    with pytest.raises(CommandError, match=f"has been {gone}: a device no longer held") as raised:
        call_command("triage", "JS/1", str(pictures["device"]))
    assert raised.value.returncode == 1
    assert not TriageRun.objects.filter(exhibit=exhibit).exists()
    assert Exhibit.objects.get(pk=exhibit.pk).triage is None


def test_a_stopped_run_is_not_recorded_once_its_exhibit_is_returned(pictures, hash_set, exhibit):
    run = start_triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)
    read_files(run)
    queue.move_exhibit(SYSTEM, Exhibit.objects.get(pk=exhibit.pk), to="returned", as_of=AS_OF)

    with pytest.raises(RecordError, match="has been returned"):
        finish_triage(SYSTEM, run, as_of=AS_OF)
    with pytest.raises(RecordError, match="has been returned"):
        start_triage(SYSTEM, "JS/1", pictures["device"], as_of=AS_OF)
    assert TriageRun.objects.get(pk=run.pk).finished_at is None
    assert Exhibit.objects.get(pk=exhibit.pk).triage is None

"""Triage feeds the case (issue 15, point 4): the counts by category become facts of the
referral with the exhibit as their source and the referral is re-graded; matches of set entries
with a victim-identified or series field are listed for victim identification; unknown images are
counted for the examiners' queue. Every picture is drawn here by Pillow."""

import json
import shutil
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.http import Http404

from vigil.exhibits.services import (
    add_exhibit,
    import_hashset,
    triage,
    triage_summary,
    unknown_images_by_force,
    victim_identification,
)
from vigil.referrals.models import Possession
from vigil.risk.models import Assessment, Override
from vigil.risk.services import risk_summary

from ..conftest import AS_OF, SYSTEM, low_risk, referral_data, store
from .synthetic import blurred, known, picture, vics

pytestmark = pytest.mark.django_db

LATER = AS_OF + timedelta(days=2)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """Three known pictures and a device holding an exact copy of each, a blurred copy of the
    first and two unrelated pictures."""
    root = tmp_path_factory.mktemp("case-pictures")
    originals = []
    for seed in range(3):
        path = root / f"known-{seed}.png"
        picture(seed).save(path)
        originals.append(path)
    device = root / "device"
    device.mkdir()
    for number, original in enumerate(originals):
        shutil.copy(original, device / f"copy-{number}.png")
    blurred(picture(0)).save(device / "blurred-0.png")
    picture(200).save(device / "unrelated-1.png")
    picture(201).save(device / "unrelated-2.png")
    clean = root / "clean-device"
    clean.mkdir()
    picture(300).save(clean / "holiday.png")
    return {"originals": originals, "device": device, "clean": clean}


@pytest.fixture
def hash_set(pictures, tmp_path):
    """The first picture graded A, of a victim not yet identified, in a series; the second
    graded B, its victim identified; the third graded C with neither field."""
    first, second, third = (known(path, 0) for path in pictures["originals"])
    media = [
        {**first, "Category": 1, "VictimIdentified": "false", "Series": "Bluebell"},
        {**second, "Category": 2, "VictimIdentified": True},
        {**third, "Category": 3},
    ]
    return import_hashset(SYSTEM, vics(tmp_path / "set.json", media), name="CAID", as_of=AS_OF)


@pytest.fixture
def low_referral(forces):
    """A referral graded low: an identified suspect, household, access and history established
    and nothing found."""
    referral, _ = store(low_risk(AS_OF - timedelta(days=1)))
    referral.refresh_from_db()
    assert referral.grade == "low"
    add_exhibit(SYSTEM, referral.pk, "JS/1", kind="phone", as_of=AS_OF)
    return referral


def test_a_triage_with_category_a_matches_regrades_the_referral_and_cites_the_exhibit(
    pictures, hash_set, low_referral
):
    result = triage(SYSTEM, "JS/1", pictures["device"], as_of=LATER)

    assert result["categories"] == {"A": 2, "B": 1, "C": 1, "other": 0}
    low_referral.refresh_from_db()
    # The default policy: category A material (C4) makes it medium (D5).
    assert low_referral.grade == "medium"
    current = Assessment.objects.get(referral=low_referral, is_current=True)
    assert current.step == "D5"
    assert current.answers["C4"]["answer"] == "yes"
    assert current.answers["C4"]["source"].startswith("triage of exhibit JS/1 (run ")
    cited = [reason for reason in current.reasons if reason["code"] == "C4"]
    assert (
        cited
        and "2 files of category A material found (triage of exhibit JS/1" in (cited[0]["evidence"])
    )
    assert "triage of exhibit JS/1" in risk_summary(low_referral)["sentence"]
    assert current.trigger.startswith("possession found (triage of exhibit JS/1")
    held = {row.category: row.count for row in Possession.objects.filter(referral=low_referral)}
    assert held == {"A": 2, "B": 1, "C": 1}


def test_triaging_the_exhibit_again_replaces_its_counts_and_never_adds_them(
    pictures, hash_set, low_referral
):
    triage(SYSTEM, "JS/1", pictures["device"], as_of=LATER)
    assessments = Assessment.objects.filter(referral=low_referral).count()

    triage(SYSTEM, "JS/1", pictures["device"], as_of=LATER + timedelta(hours=1))

    held = {row.category: row.count for row in Possession.objects.filter(referral=low_referral)}
    assert held == {"A": 2, "B": 1, "C": 1}
    # The same counts: nothing the grade reads changed, so no new assessment.
    assert Assessment.objects.filter(referral=low_referral).count() == assessments

    # A later triage of the same exhibit that finds nothing takes its facts away; the lower grade
    # it leads to waits for a supervisor, as every lower grade does.
    triage(SYSTEM, "JS/1", pictures["clean"], as_of=LATER + timedelta(hours=2))

    assert not Possession.objects.filter(referral=low_referral).exists()
    low_referral.refresh_from_db()
    assert low_referral.grade == "medium"
    pending = Override.objects.get(referral=low_referral, status="pending")
    assert (pending.from_grade, pending.proposed_grade) == ("medium", "low")


def test_two_exhibits_of_one_referral_each_count_their_own_files(pictures, hash_set, low_referral):
    add_exhibit(SYSTEM, low_referral.pk, "JS/2", kind="storage", as_of=AS_OF)
    triage(SYSTEM, "JS/1", pictures["device"], as_of=LATER)
    triage(SYSTEM, "JS/2", pictures["device"], as_of=LATER)

    counts = Possession.objects.filter(referral=low_referral, category="A")
    assert sorted(row.count for row in counts) == [2, 2]
    assert {row.source.split(" (")[0] for row in counts} == {
        "triage of exhibit JS/1",
        "triage of exhibit JS/2",
    }


def test_matches_with_a_victim_or_series_field_are_listed_for_victim_identification(
    pictures, hash_set, low_referral, capsys
):
    triage(SYSTEM, "JS/1", pictures["device"], as_of=LATER)

    listed = victim_identification(SYSTEM, "JS/1")

    assert [(row["path"], row["victim_identified"], row["series"]) for row in listed] == [
        ("blurred-0.png", False, "Bluebell"),
        ("copy-0.png", False, "Bluebell"),
        ("copy-1.png", True, ""),
    ]
    assert [(row["kind"], row["category"]) for row in listed][1:] == [("md5", "A"), ("md5", "B")]
    assert listed[0]["kind"] == "pdq" and 0 < listed[0]["distance"] <= 31

    call_command("triage", "show", "JS/1", "--victim-identification", "--json")
    assert json.loads(capsys.readouterr().out) == listed
    call_command("triage", "show", "JS/1", "--victim-identification")
    text = capsys.readouterr().out
    assert "copy-0.png: victim not identified; series Bluebell; category A" in text
    assert "copy-2.png" not in text


def test_unknown_images_are_counted_on_the_exhibit_and_per_force(
    pictures, hash_set, low_referral, capsys
):
    other, _ = store(referral_data(source_reference="NCA-OTHER", force="YF"))
    add_exhibit(SYSTEM, other.pk, "YS/1", kind="computer", as_of=AS_OF)

    triage(SYSTEM, "JS/1", pictures["device"], as_of=LATER)
    triage(SYSTEM, "YS/1", pictures["clean"], as_of=LATER)

    summary = triage_summary(SYSTEM, "JS/1")
    assert summary["unknown_images"] == 2
    assert summary["victim_identification"] == 3
    assert summary["triage"]["unknown_images"] == 2
    assert unknown_images_by_force(SYSTEM) == {"XF": 2, "YF": 1}
    call_command("triage", "show", "JS/1")
    text = capsys.readouterr().out
    assert "Unknown images for the examiner: 2; listed for victim identification: 3" in text
    call_command("triage", "show", "JS/1", "--json")
    assert json.loads(capsys.readouterr().out)["unknown_images"] == 2


def test_another_force_sees_none_of_it(pictures, hash_set, low_referral, make_user):
    triage(SYSTEM, "JS/1", pictures["device"], as_of=LATER)
    other = make_user("investigator", "YF")
    own = make_user("investigator", "XF")

    assert not Possession.objects.restrict(other).exists()
    assert Possession.objects.restrict(own).count() == 3
    for look in (victim_identification, triage_summary):
        with pytest.raises(Http404):
            look(other, "JS/1")
    assert unknown_images_by_force(other) == {}
    assert unknown_images_by_force(own) == {"XF": 2}
    assert len(victim_identification(own, "JS/1")) == 3

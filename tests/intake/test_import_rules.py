"""Idempotent and atomic: a repeat import writes nothing; a failing referral stores nothing."""

import json

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied

from tests.conftest import AS_OF, SYSTEM, as_bytes, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.intake import native_json
from vigil.intake.services import ImportOptions, import_paths, store_referral
from vigil.people import services as people_services
from vigil.referrals.drafts import IntakeError
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    """Rows in every Vigil table, so a test can show nothing at all was written."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"referrals", "people", "risk", "clocks", "audit"}
    }


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


def test_importing_the_same_referral_again_returns_it_as_duplicate_and_writes_nothing():
    first, status = store(referral_data())
    assert status == "created"
    before = row_counts()
    again, status = store(referral_data())
    assert (again.pk, status) == (first.pk, "duplicate")
    assert row_counts() == before


def test_the_same_referral_reformatted_is_still_a_duplicate(tmp_path):
    store(referral_data())
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(referral_data(), indent=8))
    before = row_counts()
    report = import_paths([path], actor=SYSTEM, as_of=AS_OF)
    assert [i.status for i in report.imported] == ["duplicate"]
    assert row_counts() == before


def test_a_different_document_under_a_held_reference_supplements_it_and_changes_nothing_sent():
    original, _ = store(referral_data())
    first_document = bytes(original.documents.get().content)
    referral, status = store(referral_data(summary="A changed summary"))
    assert (referral.pk, status) == (original.pk, "supplemented")
    original.refresh_from_db()
    assert original.summary == "Two videos uploaded to ExampleSocial."
    assert bytes(original.documents.get(supplementary=False).content) == first_document
    assert original.documents.filter(supplementary=True).count() == 1


def test_the_same_reference_from_another_source_is_a_different_referral():
    store(referral_data())
    _, status = store(referral_data(source="partner"))
    assert status == "created"
    assert Referral.objects.filter(source_reference="NCA-2020-0001").count() == 2


def test_a_failure_part_way_through_storing_leaves_nothing_behind(monkeypatch):
    def broken(referral, people, **options):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(people_services, "link_people", broken)
    before = row_counts()
    with pytest.raises(RuntimeError):
        store(referral_data())
    assert row_counts() == before


def test_a_batch_keeps_the_good_referrals_and_names_the_bad_one(tmp_path):
    good = tmp_path / "a.json"
    good.write_bytes(as_bytes(referral_data(source_reference="NCA-A")))
    bad = tmp_path / "b.json"
    bad.write_bytes(as_bytes(referral_data(source_reference="NCA-B", force="NOPE")))
    also_good = tmp_path / "c.json"
    also_good.write_bytes(as_bytes(referral_data(source_reference="NCA-C")))
    report = import_paths([tmp_path], actor=SYSTEM, as_of=AS_OF)
    assert sorted(i.source_reference for i in report.imported) == ["NCA-A", "NCA-C"]
    assert [(r.path, r.location) for r in report.rejected] == [(str(bad), "$.force")]
    assert not Referral.objects.filter(source_reference="NCA-B").exists()


def test_an_import_is_audited_in_the_same_transaction():
    referral, _ = store(referral_data())
    event = AuditEvent.objects.get(action="referral.imported")
    assert (event.object_type, event.object_id) == ("referrals.referral", str(referral.pk))
    assert event.after["source_reference"] == "NCA-2020-0001"
    assert event.force_code == "XF"
    assert event.actor_name == "test"


def test_a_user_imports_only_for_their_own_force(make_user):
    officer = make_user("intake_officer", "YF")
    with pytest.raises(IntakeError) as caught:
        store(referral_data(), actor=officer)
    assert "your own force only" in caught.value.message
    assert not Referral.objects.exists()


def test_source_reference_option_is_refused_for_json(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(as_bytes(referral_data()))
    report = import_paths(
        [path], actor=SYSTEM, as_of=AS_OF, options=ImportOptions(source_reference="X")
    )
    assert "applies to CyberTipline packages" in report.rejected[0].error


def test_storing_a_referral_needs_the_import_permission(make_user):
    draft = native_json.read_referral("x.json", as_bytes(referral_data()), as_of=AS_OF)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        store_referral(draft, actor=make_user("assessor"), as_of=AS_OF)
    assert row_counts() == before

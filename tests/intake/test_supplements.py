"""Supplementary reports: a further document for a referral already held is kept beside the
first, its new facts recorded as research, the referral matched again and re-graded; the same
document again is a duplicate, and nothing the force was sent before ever changes."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from tests.conftest import AS_OF, low_risk, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.clocks.models import Notification
from vigil.people.models import Identifier, Link, Person, Research
from vigil.referrals.drafts import IntakeError
from vigil.referrals.models import Document, Material, Referral

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2020, 9, 10, 8, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


def supplement(**changes) -> dict:
    """A further report about NCA-2020-0001, under its own reference."""
    data = low_risk(RECEIVED + timedelta(days=2))
    data.update(
        source_reference="NCA-2020-0001-S1",
        supplements="NCA-2020-0001",
        subjects=[
            {
                "ref": "s1",
                "role": "suspect",
                "identifiers": [{"type": "email", "value": "other.account@example.com"}],
            },
            {
                "ref": "h2",
                "role": "household_member",
                "first_name": "Dana",
                "date_of_birth": "2016-02-02",
                "lives_with": ["s1"],
            },
        ],
        indicators=["grooming"],
        material=[{"kind": "image", "count": 3, "category": "B", "md5": "b" * 32}],
    )
    data.update(changes)
    return data


def test_a_native_supplement_adds_its_facts_to_the_held_referral_and_regrades_it():
    original, _ = store(low_risk(RECEIVED))
    assert original.grade == "low"
    first = bytes(original.documents.get().content)
    version = original.version

    referral, status = store(supplement())

    assert (referral.pk, status) == (original.pk, "supplemented")
    original.refresh_from_db()
    assert original.version == version + 1
    assert original.grade in {"high", "very_high"}
    # What was sent before is untouched; the supplement is kept beside it byte for byte.
    assert original.source_reference == "NCA-2020-0001"
    assert bytes(original.documents.get(supplementary=False).content) == first
    added = original.documents.get(supplementary=True)
    assert json.loads(bytes(added.content))["source_reference"] == "NCA-2020-0001-S1"
    assert added.received_at == RECEIVED + timedelta(days=2)
    # Its facts recorded as research, on the people the refs name.
    suspect = Person.objects.get(referral=original, ref="s1")
    email = Identifier.objects.get(person=suspect, normalised="other.account@example.com")
    assert "supplementary report NCA-2020-0001-S1" in email.source
    assert Person.objects.filter(referral=original, ref="h2", role="household_member").exists()
    assert original.indicators == ["grooming"]
    assert Material.objects.filter(referral=original, md5="b" * 32).exists()
    assert Research.objects.filter(referral=original).count() == 1
    event = AuditEvent.objects.filter(referral_id=original.pk).latest("id")
    assert event.action == "referral.supplemented"
    assert not Referral.objects.filter(source_reference="NCA-2020-0001-S1").exists()


def test_the_same_supplement_again_is_a_duplicate_and_writes_nothing():
    original, _ = store(low_risk(RECEIVED))
    store(supplement())
    documents, people = Document.objects.count(), Person.objects.count()
    version = Referral.objects.get(pk=original.pk).version
    referral, status = store(supplement())
    assert (referral.pk, status) == (original.pk, "duplicate")
    assert (Document.objects.count(), Person.objects.count()) == (documents, people)
    assert Referral.objects.get(pk=original.pk).version == version


def test_a_supplement_for_a_reference_not_held_is_refused_at_supplements():
    with pytest.raises(IntakeError) as refused:
        store(supplement())
    assert refused.value.location == "$.supplements"
    assert not Referral.objects.exists()


def test_a_supplement_for_a_closed_referral_is_refused_and_stores_nothing():
    original, _ = store(low_risk(RECEIVED))
    Referral.objects.filter(pk=original.pk).update(status="closed")
    with pytest.raises(IntakeError, match="closed"):
        store(supplement())
    assert Document.objects.filter(referral=original).count() == 1
    assert not Research.objects.exists()


def test_a_supplement_for_another_forces_referral_is_refused(make_user):
    store(low_risk(RECEIVED))
    importer = make_user("intake_officer", "YF")
    with pytest.raises(IntakeError, match="held by another force"):
        store(supplement(force="YF"), actor=importer)
    assert Document.objects.count() == 1


def test_a_supplement_is_matched_again_and_the_other_referrals_holders_told(make_user):
    theirs, _ = store(
        referral_data(
            source_reference="NCA-YF-9",
            force="YF",
            subjects=[
                {
                    "ref": "s1",
                    "role": "suspect",
                    "identifiers": [{"type": "email", "value": "Other.Account@example.com"}],
                }
            ],
            access=[],
        )
    )
    supervisor = make_user("supervisor", "YF")
    original, _ = store(low_risk(RECEIVED))
    store(supplement())
    assert Link.objects.filter(referral=original, linked_referral=theirs, reason="email").exists()
    assert Notification.objects.filter(recipient=supervisor, referral=theirs).count() == 1


def test_vigil_import_reports_a_supplement_as_supplemented(tmp_path, capsys):
    store(low_risk(RECEIVED))
    path = tmp_path / "supplement.json"
    path.write_text(json.dumps(supplement()))
    call_command("import", str(path), "--json", "--as-of", AS_OF.isoformat())
    answer = json.loads(capsys.readouterr().out)
    [imported] = answer["imported"]
    assert imported["status"] == "supplemented"
    assert imported["source_reference"] == "NCA-2020-0001"


def test_the_api_answers_a_supplement_with_200_and_status_supplemented(client, make_user):
    store(low_risk(RECEIVED))
    client.force_login(make_user("intake_officer", "XF"))
    answered = client.post(
        "/api/v1/referrals", json.dumps(supplement()), content_type="application/json"
    )
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "supplemented"

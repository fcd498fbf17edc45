"""The third-party CyberTipline packages in ../shared/conformance each import, mapped as expected.

The documents are read from ../shared and never copied into the repository.
"""

import hashlib
from datetime import UTC, datetime

import pytest

from tests.conftest import CONFORMANCE, SYSTEM, require_or_skip
from vigil.intake.services import ImportOptions, import_paths
from vigil.referrals.models import Referral

pytestmark = [pytest.mark.conformance, pytest.mark.django_db]

RECEIVED = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
AS_OF = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _conformance_present(forces):
    require_or_skip(
        CONFORMANCE.is_dir(),
        f"the conformance documents are not at {CONFORMANCE}",
        "VIGIL_REQUIRE_CONFORMANCE",
    )


def import_package(name: str, **options) -> Referral:
    report = import_paths(
        [CONFORMANCE / name],
        actor=SYSTEM,
        as_of=AS_OF,
        options=ImportOptions(force_code="XF", received_at=RECEIVED, **options),
    )
    assert report.rejected == [], report.rejected
    [imported] = report.imported
    assert imported.status == "created"
    return Referral.objects.get(pk=imported.referral_id)


def identifiers(person) -> list[tuple[str, str]]:
    return [(i.kind, i.normalised) for i in person.identifiers.all()]


def test_every_package_in_the_folder_imports_on_its_own():
    packages = sorted(path.name for path in CONFORMANCE.iterdir() if path.is_dir())
    assert packages, "no packages found"
    for name in packages:
        referral = import_package(name)
        assert referral.source == "ncmec"
        Referral.objects.all().delete()


def test_package_1_maps_summary_suspect_people_and_files():
    referral = import_package("package-1")
    assert referral.source_reference == "123456"  # from the fileDetails reportId
    assert referral.incident_type == "csam"
    assert referral.incident_type_text.startswith("Child Pornography")
    assert referral.escalated is True
    assert referral.escalation_reason == "Immediate risk to child"
    assert referral.annotations == ["sextortion", "csam_solicitation"]
    assert referral.incident_occurred_at == datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
    assert [d["kind"] for d in referral.incident_details] == [
        "web_page",
        "email",
        "newsgroup",
        "chat_im",
    ]
    assert referral.source_details["law_enforcement"]["agency_name"] == "FBI Cyber Division"

    suspect = referral.people.get(role="suspect")
    # "Unknown User" is the reporter's placeholder, not a name.
    assert (suspect.first_name, suspect.last_name) == ("", "")
    assert "Unknown User" in suspect.notes
    assert identifiers(suspect) == [
        ("username", "suspicious_user_123"),
        ("ip", "192.168.1.100"),
        ("device", "IMEI:123456789012345"),
        ("email", "suspicious@example.com"),  # the e-mail incident's address
        ("ip", "192.168.5.100"),  # from the file's upload
        ("device", "IMEI:354123456789012"),
    ]
    assert suspect.identifiers.get(normalised="192.168.1.100").seen_at == datetime(
        2024, 1, 15, 12, 0, tzinfo=UTC
    )

    recipient = referral.people.get(role="intended_recipient")
    assert identifiers(recipient) == [("account_id", "USER123"), ("username", "victim_user")]
    location = recipient.addresses.get()
    assert (location.kind, location.town, location.region, location.country) == (
        "estimated",
        "Springfield",
        "Illinois",
        "US",
    )

    victim = referral.people.get(role="victim")
    assert (victim.first_name, victim.last_name, victim.stated_age) == ("Jane", "Doe", 15)
    assert victim.age_on(RECEIVED.date()) == 15
    assert victim.school_name == "Springfield High School"
    assert victim.addresses.get().line1 == "123 Main St"

    first, second = referral.material.all()
    assert (first.kind, first.file_name, first.industry_classification) == (
        "image",
        "original_evidence.jpg",
        "A1",
    )
    assert first.md5 == "e86fdc2283aff4179685f2a918a769eb"
    assert first.photodna == "hash_value_1"
    assert first.annotations == ["viral", "live_streaming"]
    assert first.details["exif"] == {"Make": "Canon", "Model": "EOS R5"}
    # The sample's "SHA1" is 64 characters: kept, but not used as a SHA-1.
    assert first.sha1 == ""
    assert first.details["hashes"]["SHA1"].startswith("5e884898")
    assert second.annotations == ["potential_meme", "viral"]
    assert second.details["relevance"] == "Supplemental Reported"


def test_package_1_says_what_was_not_mapped():
    referral = import_package("package-1")
    assert "fileDetails-1.xml: fileDetails/ipCaptureEvent/possibleProxy" in referral.unmapped
    # Now read: the IP address's event name and port.
    assert not any("eventName" in note or "/port" in note for note in referral.unmapped)
    assert any("64 characters, not a 40-character SHA1" in note for note in referral.unmapped)


def test_package_2_maps_urls_gaming_phone_location_and_a_gps_only_file():
    referral = import_package("package-2")
    assert referral.escalated is False
    web, gaming, phone = referral.incident_details
    assert web["url"] == ["https://platform1.com/content", "https://platform2.com/content"]
    assert (gaming["kind"], gaming["game_name"]) == ("online_gaming", "Virtual World")
    assert phone["phone_number"] == {"verified": "true", "value": "555-0123"}
    suspect = referral.people.get(role="suspect")
    assert identifiers(suspect) == [
        ("username", "multi_platform_user"),
        ("device", "IMEI:987654321098765"),
        ("phone", "+445550123"),  # the cell-phone incident's number
        ("device", "ICCID:89012345678901234567"),
    ]
    assert suspect.addresses.get().town == "New York"
    [material] = referral.material.all()
    assert material.details["exif"]["GPSLatitude"] == "40.7128° N"


def test_package_3_maps_trafficking_two_recipients_and_two_victims_without_files():
    referral = import_package("package-3")
    assert referral.source_reference == "package-3"  # no fileDetails: the folder's name
    assert referral.incident_type == "child_sex_trafficking"
    assert referral.escalation_reason == "Multiple victims identified"
    victims = referral.people.filter(role="victim").order_by("ref")
    assert [(v.first_name, v.last_name, v.stated_age, v.school_name) for v in victims] == [
        ("Victim", "One", 14, "Middle School A"),
        ("Victim", "Two", 15, "Middle School B"),
    ]
    assert referral.people.filter(role="intended_recipient").count() == 2
    assert not referral.people.filter(role="suspect").exists()
    assert referral.material.count() == 0
    assert referral.unmapped == []


def test_package_4_maps_only_the_required_fields():
    referral = import_package("package-4")
    assert referral.incident_type == "online_enticement"
    assert referral.incident_type_text == "Online Enticement of Children for Sexual Act"
    assert referral.people.count() == 0
    assert referral.material.get().file_id == "FILE789"


def test_the_original_documents_are_kept_byte_for_byte():
    referral = import_package("package-1")
    for name in ("report.xml", "fileDetails-1.xml", "fileDetails-2.xml"):
        original = (CONFORMANCE / "package-1" / name).read_bytes()
        document = referral.documents.get(name=name)
        assert bytes(document.content) == original
        assert document.sha256 == hashlib.sha256(original).hexdigest()
        assert document.size == len(original)


def test_a_second_package_for_a_held_report_number_is_added_as_a_supplementary_report():
    # Packages 1, 2 and 4 all carry reportId 123456 in their fileDetails.
    first = import_package("package-1")
    originals = {d.name: bytes(d.content) for d in first.documents.all()}
    report = import_paths(
        [CONFORMANCE / "package-2"],
        actor=SYSTEM,
        as_of=AS_OF,
        options=ImportOptions(force_code="XF", received_at=RECEIVED),
    )
    assert report.rejected == []
    [imported] = report.imported
    assert (imported.status, imported.referral_id) == ("supplemented", first.pk)
    kept = first.documents.filter(supplementary=False)
    assert {d.name: bytes(d.content) for d in kept} == originals
    added = first.documents.filter(supplementary=True)
    assert added.exists()
    for document in added:
        assert document.sha256 == hashlib.sha256(bytes(document.content)).hexdigest()
    # The same package again is a duplicate, not a second supplement.
    again = import_paths(
        [CONFORMANCE / "package-2"],
        actor=SYSTEM,
        as_of=AS_OF,
        options=ImportOptions(force_code="XF", received_at=RECEIVED),
    )
    assert [item.status for item in again.imported] == ["duplicate"]
    assert first.documents.filter(supplementary=True).count() == added.count()
    # With its own reference it imports as a referral in its own right.
    referral = import_package("package-2", source_reference="CT-2")
    assert referral.source_reference == "CT-2"


def test_importing_a_package_again_is_a_duplicate_that_writes_nothing():
    first = import_package("package-1")
    report = import_paths(
        [CONFORMANCE / "package-1"],
        actor=SYSTEM,
        as_of=AS_OF,
        options=ImportOptions(force_code="XF", received_at=RECEIVED),
    )
    assert [(i.referral_id, i.status) for i in report.imported] == [(first.pk, "duplicate")]


def test_a_lone_report_xml_is_a_referral_too():
    referral = import_package("package-3/report.xml", source_reference="LONE-1")
    assert referral.documents.get().name == "report.xml"
    assert referral.people.filter(role="victim").count() == 2

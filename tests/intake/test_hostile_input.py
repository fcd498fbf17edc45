"""Hostile and broken input is refused with a clear message, stores nothing, and the import
goes on with the next file."""

import io
import json
import zipfile

import pytest

from tests.conftest import AS_OF, SYSTEM, as_bytes, referral_data
from vigil.audit.models import AuditEvent
from vigil.intake.services import ImportOptions, import_paths, import_uploads
from vigil.people.models import Person
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<report><incidentSummary><incidentType>&lol4;</incidentType></incidentSummary></report>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<report><incidentSummary><incidentType>&secret;</incidentType></incidentSummary></report>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE report SYSTEM "http://attacker.invalid/evil.dtd">
<report/>"""


def good_file(tmp_path, name="zz-good.json", reference="NCA-GOOD-1"):
    path = tmp_path / name
    path.write_bytes(as_bytes(referral_data(source_reference=reference)))
    return path


def run(tmp_path, bad_name: str, bad_content: bytes, **options):
    bad = tmp_path / bad_name
    bad.write_bytes(bad_content)
    before = (Referral.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    report = import_paths(
        [bad, good_file(tmp_path)],
        actor=SYSTEM,
        as_of=AS_OF,
        options=ImportOptions(force_code=options.get("force", "XF")),
    )
    # The good file after the bad one is still imported: the process went on.
    assert [i.source_reference for i in report.imported] == ["NCA-GOOD-1"]
    assert Referral.objects.count() == before[0] + 1
    assert Referral.objects.filter(source_reference="NCA-GOOD-1").exists()
    [rejected] = report.rejected
    assert rejected.path.endswith(bad_name)
    return rejected


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


def test_billion_laughs_is_refused_without_expanding_anything(tmp_path):
    rejected = run(tmp_path, "laughs.xml", BILLION_LAUGHS)
    assert "declares a DTD" in rejected.error


def test_xxe_is_refused_and_no_file_is_read(tmp_path):
    rejected = run(tmp_path, "xxe.xml", XXE)
    assert "DTD" in rejected.error
    assert not any(
        "root:" in str(value) for value in Referral.objects.values_list("summary", flat=True)
    )


def test_an_external_dtd_is_never_fetched(tmp_path):
    rejected = run(tmp_path, "external.xml", EXTERNAL_DTD)
    assert "DTD" in rejected.error


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path):
    rejected = run(tmp_path, "huge.json", b"{" + b" " * (50 * 1024 * 1024) + b"}")
    assert "over the 10 MB limit" in rejected.error


def test_a_50_mb_xml_is_refused_too(tmp_path):
    rejected = run(tmp_path, "huge.xml", b"<report>" + b"a" * (50 * 1024 * 1024) + b"</report>")
    assert "over the 10 MB limit" in rejected.error


def test_malformed_json_is_refused_with_its_line(tmp_path):
    rejected = run(tmp_path, "broken.json", b'{\n "schema": "vigil.referral/1",\n "source": }')
    assert rejected.location == "line 3, column 12"
    assert "not valid JSON" in rejected.error


def test_malformed_xml_is_refused_with_its_line(tmp_path):
    rejected = run(tmp_path, "broken.xml", b"<report>\n<incidentSummary>\n</report>")
    assert rejected.location.startswith("line 3")
    assert "cannot be read" in rejected.error


def test_wrong_types_are_refused(tmp_path):
    data = referral_data(subjects=[{"ref": "s1", "role": "suspect", "works_with_children": "no"}])
    rejected = run(tmp_path, "types.json", as_bytes(data))
    assert rejected.location == "$.subjects[0].works_with_children"
    assert "expected true or false" in rejected.error


def test_missing_required_fields_are_refused(tmp_path):
    data = referral_data()
    del data["received_at"]
    rejected = run(tmp_path, "missing.json", as_bytes(data))
    assert "missing required field 'received_at'" in rejected.error


def test_an_unknown_force_is_refused(tmp_path):
    rejected = run(
        tmp_path,
        "force.json",
        as_bytes(referral_data(force="QQ", source_reference="Q-1")),
        force="",
    )
    assert "force 'QQ' is not known" in rejected.error
    assert rejected.location == "$.force"


def test_an_unknown_schema_is_refused(tmp_path):
    rejected = run(tmp_path, "schema.json", as_bytes(referral_data(schema="other/2")))
    assert "unknown schema 'other/2'" in rejected.error


def test_a_file_of_no_known_kind_is_refused(tmp_path):
    rejected = run(tmp_path, "photo.jpg", b"\xff\xd8\xff\xe0 not really an image")
    assert "not a referral document Vigil reads" in rejected.error


def test_a_lone_file_details_document_is_refused(tmp_path):
    rejected = run(
        tmp_path, "fileDetails-1.xml", b"<fileDetails><reportId>1</reportId></fileDetails>"
    )
    assert "on its own is not a referral" in rejected.error


def test_a_cybertip_report_without_a_force_is_refused(tmp_path):
    rejected = run(tmp_path, "report.xml", b"<report/>", force="")
    assert "--force" in rejected.error


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused(tmp_path):
    bomb = _zip({"report.xml": b"<report>" + b"0" * (60 * 1024 * 1024) + b"</report>"})
    assert len(bomb) < 1024 * 1024
    rejected = run(tmp_path, "bomb.zip", bomb)
    assert "zip bomb" in rejected.error


def test_a_corrupt_zip_is_refused(tmp_path):
    rejected = run(tmp_path, "corrupt.zip", b"PK\x03\x04 this is not a zip")
    assert "not a readable zip" in rejected.error


def test_reported_images_inside_a_package_are_left_out_and_never_stored(tmp_path):
    package = _zip(
        {
            "report.xml": b"<report><incidentSummary><incidentType>Child Pornography"
            b"</incidentType></incidentSummary></report>",
            "evidence.jpg": b"\xff\xd8\xff\xe0 imagery",
        }
    )
    report = import_uploads(
        [("package.zip", package)],
        actor=SYSTEM,
        as_of=AS_OF,
        options=ImportOptions(force_code="XF"),
    )
    [imported] = report.imported
    referral = Referral.objects.get(pk=imported.referral_id)
    assert list(referral.documents.values_list("name", flat=True)) == ["report.xml"]
    assert any("evidence.jpg was left out" in note for note in referral.unmapped)


def test_one_bad_referral_in_a_batch_does_not_stop_the_others(tmp_path):
    batch = [referral_data(source_reference=f"NCA-B-{n}") for n in range(3)]
    batch[1]["force"] = 17
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    report = import_paths([path], actor=SYSTEM, as_of=AS_OF)
    assert [i.source_reference for i in report.imported] == ["NCA-B-0", "NCA-B-2"]
    [rejected] = report.rejected
    assert (rejected.path, rejected.location) == (f"{path} [1]", "$.force")
    assert not Referral.objects.filter(source_reference="NCA-B-1").exists()


def test_json_lines_rejections_name_the_line(tmp_path):
    lines = [json.dumps(referral_data(source_reference=f"NCA-L-{n}")) for n in range(3)]
    lines[2] = lines[2].replace('"nca"', "7")
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_paths([path], actor=SYSTEM, as_of=AS_OF)
    assert len(report.imported) == 2
    assert report.rejected[0].path == f"{path} line 3"

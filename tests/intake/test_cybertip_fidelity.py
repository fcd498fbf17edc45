"""What a CyberTipline package says is kept: an IP address's port, event and time, the reporting
company as the platform, the e-mail addresses and phone numbers its incidents name, and a time
that cannot be read reported as a warning, never silently dropped."""

import shutil
from datetime import UTC, datetime

import pytest

from tests.conftest import CONFORMANCE, SYSTEM, require_or_skip
from vigil.intake import unknown_values
from vigil.intake.services import ImportOptions, import_paths
from vigil.people.models import Identifier
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


def package(tmp_path, name: str, **replace: str):
    """A copy of a conformance package with text in its report replaced."""
    folder = tmp_path / name
    shutil.copytree(CONFORMANCE / name, folder)
    report = folder / "report.xml"
    text = report.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    report.write_text(text, encoding="utf-8")
    return folder


def imported(path):
    report = import_paths(
        [path],
        actor=SYSTEM,
        as_of=AS_OF,
        options=ImportOptions(force_code="XF", received_at=RECEIVED),
    )
    assert report.rejected == [], report.rejected
    [item] = report.imported
    return Referral.objects.get(pk=item.referral_id), item


def test_ip_addresses_keep_their_port_event_and_time():
    referral, _ = imported(CONFORMANCE / "package-1")
    ips = {
        i.normalised: (i.event, i.port, i.seen_at)
        for i in Identifier.objects.filter(person__referral=referral, kind="ip")
    }
    assert ips == {
        "192.168.1.100": ("upload", None, datetime(2024, 1, 15, 12, 0, tzinfo=UTC)),
        "192.168.5.100": ("upload", 443, datetime(2024, 1, 15, 16, 30, tzinfo=UTC)),
    }
    device = Identifier.objects.get(person__referral=referral, normalised="IMEI:123456789012345")
    assert device.event == "login"


def test_the_reporting_company_becomes_the_platform():
    referral, _ = imported(CONFORMANCE / "package-1")
    # The schema has no element naming the company: its reporting person's e-mail domain does.
    assert referral.platform == "company.com"
    assert referral.source_details["platform_from"] == "the reporting person's e-mail domain"


def test_the_service_the_reported_user_used_is_the_platform_where_it_is_named(tmp_path):
    folder = package(
        tmp_path,
        "package-2",
        **{"<personOrUserReported>": "<personOrUserReported><espService>ExampleChat</espService>"},
    )
    referral, _ = imported(folder)
    assert referral.platform == "ExampleChat"


def test_e_mail_addresses_and_phone_numbers_of_incidents_are_the_reported_users():
    one, _ = imported(CONFORMANCE / "package-1")
    suspect = one.people.get(role="suspect")
    assert suspect.identifiers.filter(kind="email", normalised="suspicious@example.com").exists()
    two, _ = imported(CONFORMANCE / "package-2")
    assert two.people.get(role="suspect").identifiers.filter(kind="phone").exists()


def test_a_time_that_cannot_be_read_is_a_warning_and_the_address_is_kept(tmp_path):
    folder = package(
        tmp_path,
        "package-1",
        **{
            "<dateTime>2024-01-15T12:00:00.000Z</dateTime>": "<dateTime>last Tuesday</dateTime>",
            "<incidentDateTime>2024-01-15T14:30:00.000Z</incidentDateTime>": (
                "<incidentDateTime>15/01/2024</incidentDateTime>"
            ),
        },
    )
    referral, item = imported(folder)
    assert referral.incident_occurred_at is None
    ip = Identifier.objects.get(person__referral=referral, normalised="192.168.1.100")
    assert ip.seen_at is None
    warnings = {w["path"]: w for w in item.warnings}
    assert set(warnings) == {
        "report.xml: report/incidentSummary/incidentDateTime",
        "report.xml: report/personOrUserReported/ipCaptureEvent/dateTime",
    }
    assert (
        "last Tuesday"
        in warnings["report.xml: report/personOrUserReported/ipCaptureEvent/dateTime"]["message"]
    )
    assert len(referral.intake_warnings) == 2


def test_an_incident_type_vigil_does_not_know_is_a_warning_and_can_be_mapped(tmp_path):
    words = "Child Pornography (possession, manufacture, and distribution)"
    folder = package(tmp_path, "package-2", **{words: "Apparent Child Exploitation Livestream"})
    referral, item = imported(folder)
    assert (referral.incident_type, referral.grade_provisional) == ("other", True)
    assert [w["field"] for w in item.warnings] == ["incident_type"]
    unknown_values.map_unknown_value(
        SYSTEM,
        "incident_type",
        "Apparent Child Exploitation Livestream",
        "csam_production",
        as_of=AS_OF,
    )
    referral.refresh_from_db()
    assert referral.incident_type == "csam_production"

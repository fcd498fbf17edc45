"""Synthetic referrals for demonstrations, tests and benchmarks. Never any imagery.

Deterministic: the same seed and end date give the same referrals, byte for byte. Nothing is
received after the moment of writing (``as_of``), since the importer refuses a referral from
the future: with today as the end date, today's referrals are only those whose hour has passed
(the others fall on the day before).

Everything that could touch a real person is drawn from reserved ranges: email addresses at
example domains, phone numbers from Ofcom's drama ranges, IP addresses from the documentation
blocks. Names and street addresses come from Faker's ``en_GB`` provider.
"""

import json
import random

# Builds XML only; nothing here parses untrusted input.
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from faker import Faker

LONDON = ZoneInfo("Europe/London")
PLATFORMS = ["ExampleSocial", "PicShare", "ChatterBox", "StreamPal", "CloudLocker", "GameHub"]
DEMO_FORCES = ["XF", "YF", "ZF", "WF"]

# Ofcom numbers reserved for drama: never allocated to a real line.
_PHONE_RANGES = [
    "+447700900",
    "+441632960",
    "+442079460",
    "+441134960",
    "+441144960",
    "+441154960",
    "+441164960",
    "+441174960",
    "+441184960",
    "+441214960",
    "+441314960",
    "+441414960",
    "+441514960",
    "+441614960",
]
_DOCUMENTATION_NETS = ["192.0.2", "198.51.100", "203.0.113"]
_INCIDENT_TYPES = [
    ("csam_upload", 40),
    ("csam_possession", 15),
    ("csam_distribution", 15),
    ("csam_production", 4),
    ("online_enticement", 10),
    ("sexual_communication", 8),
    ("sextortion", 5),
    ("child_sex_trafficking", 1),
    ("other", 2),
]
_CYBERTIP_TYPES = [
    ("Child Pornography (possession, manufacture, and distribution)", 80),
    ("Online Enticement of Children for Sexual Acts", 12),
    ("Unsolicited Obscene Material Sent to a Child", 4),
    ("Child Sex Trafficking", 2),
    ("Misleading Domain Name", 2),
]
# How often a referral carries each annotation and each indicator.
_ANNOTATIONS = [
    ("sextortion", 0.05),
    ("infant", 0.02),
    ("violence", 0.03),
    ("possible_self_production", 0.04),
]
_INDICATORS = [
    ("possession", 0.5),
    ("distribution", 0.3),
    ("upload", 0.4),
    ("production", 0.05),
    ("grooming", 0.08),
    ("sexual_communication_with_child", 0.08),
]
_SOURCES = [("nca", 70), ("public", 8), ("partner", 8), ("proactive", 7), ("other", 7)]
_PREFIX = {"nca": "NCA", "public": "PUB", "partner": "PTN", "proactive": "PRO", "other": "OTH"}


@dataclass
class _Identity:
    """A synthetic suspect who may turn up again in later referrals."""

    first_name: str
    last_name: str
    date_of_birth: date
    gender: str
    email: str
    username: str
    service: str
    phone: str | None
    device: str
    line1: str
    town: str
    postcode: str


class Synthesiser:
    """Makes referrals as native JSON objects or as CyberTipline packages."""

    def __init__(
        self,
        seed: int,
        *,
        until: date,
        as_of: datetime | None = None,
        forces: list[str] | None = None,
        span_days: int = 730,
        repeat_rate: float = 0.12,
    ):
        self.seed = seed
        self.random = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        if as_of is not None and until > as_of.astimezone(LONDON).date():
            raise ValueError(
                f"the end date {until} is after today; referrals cannot be received later"
            )
        self.until = until
        self.as_of = as_of
        self.forces = forces or DEMO_FORCES
        self.span_days = span_days
        self.repeat_rate = repeat_rate
        self.identities: list[_Identity] = []
        self._phones = 0
        self._people = 0

    # -- shared pieces ------------------------------------------------------------------------

    def _weighted(self, choices):
        values, weights = zip(*choices, strict=True)
        return self.random.choices(values, weights=weights)[0]

    def _each_by_chance(self, chances) -> list[str]:
        return [name for name, chance in chances if self.random.random() < chance]

    def _received_at(self) -> datetime:
        day = self.until - timedelta(days=self.random.randrange(self.span_days))
        moment = time(self.random.randrange(7, 20), self.random.randrange(60))
        received = datetime.combine(day, moment, tzinfo=LONDON)
        if self.as_of is not None and received > self.as_of:
            # Today, at an hour still to come. The same hour the day before keeps every draw,
            # and so every other referral, as it was; dates drawn from receipt follow it.
            received -= timedelta(days=1)
        return received

    def _hex(self, digits: int) -> str:
        return f"{self.random.getrandbits(digits * 4):0{digits}x}"

    def _ip(self) -> str:
        return f"{self.random.choice(_DOCUMENTATION_NETS)}.{self.random.randrange(1, 255)}"

    def _new_identity(self, received: date) -> _Identity:
        self._people += 1
        gender = self.random.choice(["male"] * 9 + ["female"])
        first = self.fake.first_name_male() if gender == "male" else self.fake.first_name_female()
        last = self.fake.last_name()
        # Mostly adults; some suspects are children themselves.
        age = self.random.choice([15, 16, 17] + list(range(18, 70)) * 2)
        born = received - timedelta(days=age * 365 + self.random.randrange(365))
        phone = None
        if self.random.random() < 0.5 and self._phones < len(_PHONE_RANGES) * 1000:
            block, number = divmod(self._phones, 1000)
            phone = f"{_PHONE_RANGES[block]}{number:03d}"
            self._phones += 1
        tag = f"{self.seed}{self._people:05d}"
        domain = self.random.choice(["example.com", "example.org", "example.net"])
        return _Identity(
            first_name=first,
            last_name=last,
            date_of_birth=born,
            gender=gender,
            email=f"{first}.{last}{tag}@{domain}".lower(),
            username=f"{first[:3]}{last[:4]}_{tag}".lower(),
            service=self.random.choice(PLATFORMS),
            phone=phone,
            device=f"IMEI:35{self.random.randrange(10**12, 10**13)}",
            line1=self.fake.street_address().replace("\n", ", "),
            town=self.fake.city(),
            postcode=self.fake.postcode(),
        )

    def _suspect_identity(self, received: date) -> _Identity:
        if self.identities and self.random.random() < self.repeat_rate:
            return self.random.choice(self.identities)
        identity = self._new_identity(received)
        self.identities.append(identity)
        return identity

    # -- native JSON --------------------------------------------------------------------------

    def referral(self, sequence: int) -> dict:
        received = self._received_at()
        source = self._weighted(_SOURCES)
        identity = self._suspect_identity(received.date())
        data: dict = {
            "schema": "vigil.referral/1",
            "source": source,
            "source_reference": f"{_PREFIX[source]}-{received.year}-{self.seed:04d}{sequence:06d}",
            "received_at": received.isoformat(),
            "force": self.random.choice(self.forces),
        }
        incident_type = self._weighted(_INCIDENT_TYPES)
        occurred = received - timedelta(days=self.random.randrange(1, 60), minutes=37)
        incident = {
            "type": incident_type,
            "occurred_at": occurred.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "platform": identity.service,
        }
        roll = self.random.random()
        if roll < 0.03:
            incident["escalated"] = True
            incident["escalation_reason"] = "Reporter believes a child is at immediate risk"
        elif roll < 0.8:
            incident["escalated"] = False
        annotations = self._each_by_chance(_ANNOTATIONS)
        if annotations:
            incident["annotations"] = annotations
        data["incident"] = incident
        data["summary"] = self._summary(incident_type, identity)
        indicators = self._each_by_chance(_INDICATORS)
        if indicators:
            data["indicators"] = indicators
        data["material"] = [self._material() for _ in range(self.random.randrange(1, 4))]
        subjects, access = self._people_for(identity, received.date())
        data["subjects"] = subjects
        if access:
            data["access"] = access
        return data

    def _summary(self, incident_type: str, identity: _Identity) -> str:
        return (
            f"Synthetic referral: {incident_type.replace('_', ' ')} reported by "
            f"{identity.service} against account {identity.username}."
        )

    def _material(self) -> dict:
        item = {
            "kind": self.random.choice(["image", "image", "image", "video"]),
            "count": self.random.choice([1, 1, 2, 3, 5, 12, 40, 150]),
            "md5": self._hex(32),
            "sha1": self._hex(40),
        }
        if self.random.random() < 0.7:
            item["category"] = self._weighted([("A", 20), ("B", 25), ("C", 55)])
        if self.random.random() < 0.5:
            item["industry_classification"] = self.random.choice(["A1", "A2", "B1", "B2"])
        if self.random.random() < 0.3:
            item["pdq"] = self._hex(64)
        return item

    def _people_for(self, identity: _Identity, received: date) -> tuple[list[dict], list[dict]]:
        suspect: dict = {
            "ref": "s1",
            "role": "suspect",
            "first_name": identity.first_name,
            "last_name": identity.last_name,
        }
        if self.random.random() < 0.85:
            suspect["date_of_birth"] = identity.date_of_birth.isoformat()
        suspect["gender"] = identity.gender
        if self.random.random() < 0.6:
            suspect["occupation"] = self.fake.job()
        roll = self.random.random()
        if roll < 0.05:
            suspect["works_with_children"] = True
        elif roll < 0.55:
            suspect["works_with_children"] = False
        identifiers = [
            {"type": "email", "value": identity.email},
            {"type": "username", "value": identity.username, "service": identity.service},
            {
                "type": "ip",
                "value": self._ip(),
                # The evening before receipt: an address seen after the referral arrived could
                # not be in it (and, received today, could be in the future).
                "seen_at": datetime.combine(received - timedelta(days=1), time(21, 10), tzinfo=UTC)
                .isoformat()
                .replace("+00:00", "Z"),
            },
        ]
        if identity.phone:
            identifiers.append({"type": "phone", "value": identity.phone})
        if self.random.random() < 0.4:
            identifiers.append({"type": "device", "value": identity.device})
        suspect["identifiers"] = identifiers
        if self.random.random() < 0.8:
            suspect["address"] = {
                "line1": identity.line1,
                "town": identity.town,
                "postcode": identity.postcode,
            }
        if self.random.random() < 0.25:
            suspect["history"] = [
                self._history(received) for _ in range(self.random.randrange(1, 3))
            ]
        if self.random.random() < 0.4:
            suspect["history_established"] = True
            suspect.setdefault("history", [])

        subjects = [suspect]
        household_known = self.random.random() < 0.5
        if household_known:
            suspect["household_established"] = True
        if self.random.random() < 0.35:
            for index in range(1, self.random.randrange(1, 4) + 1):
                subjects.append(self._household_member(f"h{index}", received))
        elif not household_known and self.random.random() < 0.3:
            subjects.append(self._household_member("h1", received))
        access = []
        if self.random.random() < 0.1:
            subjects.append(
                {
                    "ref": "c1",
                    "role": "other",
                    "first_name": self.fake.first_name(),
                    "age": self.random.randrange(2, 16),
                    "notes": "Child of a family friend; suspect babysits.",
                }
            )
            access.append({"subject": "s1", "child": "c1", "kind": "regular_unsupervised"})
        if self.random.random() < 0.4:
            suspect["access_established"] = True
        if self.random.random() < 0.15:
            subjects.append({"ref": "v1", "role": "victim", "age": self.random.randrange(4, 17)})
        return subjects, access

    def _household_member(self, ref: str, received: date) -> dict:
        member: dict = {
            "ref": ref,
            "role": "household_member",
            "first_name": self.fake.first_name(),
            "lives_with": ["s1"],
        }
        if self.random.random() < 0.5:
            age = self.random.randrange(0, 18)
        else:
            age = self.random.randrange(18, 80)
        if self.random.random() < 0.5:
            born = received - timedelta(days=age * 365 + self.random.randrange(365))
            member["date_of_birth"] = born.isoformat()
        else:
            member["age"] = age
        return member

    def _history(self, received: date) -> dict:
        return {
            "type": self._weighted(
                [
                    ("contact_sexual_offence_child", 10),
                    ("indecent_images", 30),
                    ("other_sexual_offence", 10),
                    ("violence", 20),
                    ("domestic_abuse", 15),
                    ("other", 15),
                ]
            ),
            "outcome": self._weighted(
                [("conviction", 30), ("caution", 15), ("allegation", 35), ("nfa", 20)]
            ),
            "date": (received - timedelta(days=self.random.randrange(200, 7000))).isoformat(),
        }

    def referrals(self, count: int) -> Iterator[dict]:
        for sequence in range(1, count + 1):
            yield self.referral(sequence)

    # -- CyberTipline -------------------------------------------------------------------------

    def cybertip_package(self, sequence: int) -> tuple[str, dict[str, bytes]]:
        """One package: (report id, {file name: XML bytes})."""
        received = self._received_at()
        identity = self._suspect_identity(received.date())
        report_id = f"{self.seed % 1000:03d}{sequence:07d}"
        report = ET.Element("report")
        summary = ET.SubElement(report, "incidentSummary")
        ET.SubElement(summary, "incidentType").text = self._weighted(_CYBERTIP_TYPES)
        if self.random.random() < 0.03:
            ET.SubElement(summary, "escalateToHighPriority").text = "Immediate risk to child"
        annotations = ET.SubElement(summary, "reportAnnotations")
        if self.random.random() < 0.05:
            ET.SubElement(annotations, "sextortion")
        occurred = datetime.combine(
            received.date() - timedelta(days=self.random.randrange(1, 30)), time(21, 10), UTC
        )
        ET.SubElement(summary, "incidentDateTime").text = occurred.strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        details = ET.SubElement(ET.SubElement(report, "internetDetails"), "webPageIncident")
        ET.SubElement(
            details, "url"
        ).text = f"https://{identity.service.lower()}.example/p/{report_id}"
        reporter = ET.SubElement(ET.SubElement(report, "reporter"), "reportingPerson")
        ET.SubElement(reporter, "firstName").text = self.fake.first_name()
        ET.SubElement(reporter, "lastName").text = self.fake.last_name()
        ET.SubElement(reporter, "email").text = f"trust-safety@{identity.service.lower()}.example"
        reported = ET.SubElement(report, "personOrUserReported")
        if self.random.random() < 0.6:
            person = ET.SubElement(reported, "personOrUserReportedPerson")
            ET.SubElement(person, "firstName").text = identity.first_name
            ET.SubElement(person, "lastName").text = identity.last_name
            ET.SubElement(person, "email").text = identity.email
            if identity.phone:
                ET.SubElement(person, "phone").text = identity.phone
        ET.SubElement(reported, "espIdentifier").text = f"{identity.service}:{identity.username}"
        ET.SubElement(reported, "screenName").text = identity.username
        event = ET.SubElement(reported, "ipCaptureEvent")
        ET.SubElement(event, "ipAddress").text = self._ip()
        ET.SubElement(event, "eventName").text = "Upload"
        ET.SubElement(event, "dateTime").text = occurred.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        location = ET.SubElement(reported, "estimatedLocation")
        ET.SubElement(location, "city").text = identity.town
        ET.SubElement(location, "countryCode").text = "GB"
        if self.random.random() < 0.1:
            victim = ET.SubElement(ET.SubElement(report, "victim"), "victimPerson")
            ET.SubElement(victim, "age").text = str(self.random.randrange(8, 17))
        files = {"report.xml": _xml_bytes(report)}
        for index in range(1, self.random.randrange(1, 4) + 1):
            files[f"fileDetails-{index}.xml"] = self._file_details(report_id, index, identity)
        return report_id, files

    def _file_details(self, report_id: str, index: int, identity: _Identity) -> bytes:
        root = ET.Element("fileDetails")
        ET.SubElement(root, "reportId").text = report_id
        ET.SubElement(root, "fileId").text = f"{report_id}-{index}"
        suffix = self.random.choice([".jpg", ".jpg", ".png", ".mp4"])
        ET.SubElement(root, "fileName").text = f"{self._hex(12)}{suffix}"
        ET.SubElement(root, "fileViewedByEsp").text = "true"
        ET.SubElement(root, "publiclyAvailable").text = "false"
        ET.SubElement(root, "fileAnnotations")
        if self.random.random() < 0.6:
            ET.SubElement(root, "industryClassification").text = self.random.choice(
                ["A1", "A2", "B1", "B2"]
            )
        md5 = ET.SubElement(root, "originalFileHash", hashType="MD5")
        md5.text = self._hex(32)
        sha1 = ET.SubElement(root, "originalFileHash", hashType="SHA1")
        sha1.text = self._hex(40)
        if self.random.random() < 0.3:
            device = ET.SubElement(root, "deviceId")
            kind, _, value = identity.device.partition(":")
            ET.SubElement(device, "idType").text = kind
            ET.SubElement(device, "idValue").text = value
        return _xml_bytes(root)

    def cybertip_packages(self, count: int) -> Iterator[tuple[str, dict[str, bytes]]]:
        for sequence in range(1, count + 1):
            yield self.cybertip_package(sequence)


def _xml_bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def json_bytes(referral: dict) -> bytes:
    return json.dumps(referral, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"

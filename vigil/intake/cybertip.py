"""Reading CyberTipline packages: one ``report.xml`` and any ``fileDetails`` documents.

Pure: documents in, ``ReferralDraft`` out. XML is parsed by defusedxml with DTDs forbidden, so
no entity is expanded and nothing outside the document is ever fetched. Every element the
mapping does not use is listed in the draft's ``unmapped``, so the user is told what Vigil did
not take from the report; the documents themselves are kept unchanged.
"""

import hashlib
import re

# The standard library only builds and walks trees here; parsing goes through defusedxml.
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePosixPath

import defusedxml.ElementTree as SafeET
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from vigil.referrals.drafts import (
    AddressDraft,
    IdentifierDraft,
    IntakeError,
    IntakeWarning,
    MaterialDraft,
    PersonDraft,
    ReferralDraft,
    SourceDocument,
)

MEDIA_TYPE = "application/xml"

_INCIDENT_TYPES = (
    ("child pornography", "csam"),
    ("trafficking", "child_sex_trafficking"),
    ("tourism", "child_sex_tourism"),
    ("molestation", "child_sexual_molestation"),
    ("enticement", "online_enticement"),
    ("unsolicited obscene", "obscene_material_to_child"),
    ("misleading domain", "misleading_domain"),
    ("misleading words", "misleading_content"),
)
_INDUSTRY_CLASSES = {"A1", "A2", "B1", "B2"}
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".heic", ".tif", ".tiff"}
_VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".wmv", ".flv", ".m4v", ".3gp"}
_PLACEHOLDER_NAMES = {"unknown", "n/a", "na", "none", "not known", "unk"}
_EVENTS = {"upload", "login", "registration", "purchase"}
# The identifiers an incident names: (element, identifier type).
_INCIDENT_IDENTIFIERS = {
    "emailIncident": (("emailAddress", "email"),),
    "cellPhoneIncident": (("phoneNumber", "phone"),),
    "chatImIncident": (("screenName", "username"),),
    "onlineGamingIncident": (("screenName", "username"),),
}
_INTERNET_DETAIL_KINDS = {
    "webPageIncident": "web_page",
    "emailIncident": "email",
    "newsgroupIncident": "newsgroup",
    "chatImIncident": "chat_im",
    "onlineGamingIncident": "online_gaming",
    "cellPhoneIncident": "cell_phone",
    "nonInternetIncident": "non_internet",
    "peer2peerIncident": "peer_to_peer",
}


def parse_xml(name: str, content: bytes) -> ET.Element:
    """Parse safely, or raise ``IntakeError`` saying in plain words why the document is refused."""
    try:
        root = SafeET.fromstring(content, forbid_dtd=True)
    except DTDForbidden:
        raise IntakeError(
            "the document declares a DTD (<!DOCTYPE …>); Vigil never reads DTDs, because they "
            "can be used to attack the importer (entity expansion, external files)",
            "line 1",
        ) from None
    except EntitiesForbidden:
        raise IntakeError(
            "the document declares XML entities; Vigil never expands them", ""
        ) from None
    except ExternalReferenceForbidden:
        raise IntakeError(
            "the document refers to an external resource; Vigil never fetches one", ""
        ) from None
    except ET.ParseError as error:
        line, column = error.position
        reason = str(error).split(":")[0]
        raise IntakeError(
            f"the XML cannot be read: {reason}", f"line {line}, column {column + 1}"
        ) from None
    for element in root.iter():
        element.tag = _local(element.tag)
    return root


def root_tag(content: bytes) -> str:
    """The root element's name, read without building the tree (for telling documents apart)."""
    match = re.search(rb"<\s*(?:[\w.-]+:)?([A-Za-z_][\w.-]*)[\s/>]", _without_prolog(content))
    return match.group(1).decode("ascii") if match else ""


def _without_prolog(content: bytes) -> bytes:
    return re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", content[:4096], flags=re.S)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else tag


class _Reading:
    """One document being mapped: remembers which elements were used."""

    def __init__(self, name: str, root: ET.Element, mappings: Mapping | None = None):
        self.name = name
        self.root = root
        self.used: set[int] = set()
        self.mappings = mappings or {}
        self.warnings: list[IntakeWarning] = []

    def time(self, parent: ET.Element, path: str, where: str) -> datetime | None:
        """A date and time with its offset; one that cannot be read is a warning, never
        silently dropped (the document keeps it as written)."""
        text = self.text(parent, path)
        moment = _datetime(text)
        if text and moment is None:
            self.warnings.append(
                IntakeWarning(
                    f"{self.name}: {where}/{path}",
                    "time",
                    text,
                    "",
                    f"{path} {text!r} is not a date and time with a UTC offset "
                    "(e.g. 2024-01-15T12:00:00Z); kept in the document, not used",
                )
            )
        return moment

    def use(self, element: ET.Element | None) -> ET.Element | None:
        if element is not None:
            self.used.add(id(element))
        return element

    def use_all(self, element: ET.Element | None) -> ET.Element | None:
        if element is not None:
            for inner in element.iter():
                self.used.add(id(inner))
        return element

    def find(self, parent: ET.Element, path: str) -> ET.Element | None:
        return self.use(parent.find(path))

    def findall(self, parent: ET.Element, path: str) -> list[ET.Element]:
        return [self.use(found) for found in parent.findall(path)]

    def text(self, parent: ET.Element, path: str) -> str:
        found = self.find(parent, path)
        return (found.text or "").strip() if found is not None else ""

    def texts(self, parent: ET.Element, path: str) -> list[str]:
        return [(found.text or "").strip() for found in self.findall(parent, path) if found.text]

    def flags(self, parent: ET.Element, path: str) -> list[str]:
        container = self.find(parent, path)
        if container is None:
            return []
        return [_snake(self.use(flag).tag) for flag in container]

    def unused(self) -> list[str]:
        """Paths of elements with text, or flags (empty elements), that the mapping did not use."""
        found: dict[str, None] = {}

        def walk(element: ET.Element, path: str) -> None:
            here = f"{path}/{element.tag}" if path else element.tag
            carries = bool((element.text or "").strip()) or len(element) == 0
            if carries and id(element) not in self.used:
                found[here] = None
            for child in element:
                walk(child, here)

        walk(self.root, "")
        return [f"{self.name}: {path}" for path in found]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _element_dict(element: ET.Element) -> dict:
    """An element as plain data: attributes, text, and children (repeated children as lists)."""
    data: dict = {_snake(key): value for key, value in element.attrib.items() if ":" not in key}
    for child in element:
        value = _element_dict(child) if len(child) or child.attrib else (child.text or "").strip()
        key = _snake(child.tag)
        if key in data:
            if not isinstance(data[key], list):
                data[key] = [data[key]]
            data[key].append(value)
        else:
            data[key] = value
    text = (element.text or "").strip()
    if text and not len(element):
        if not data:
            return text  # type: ignore[return-value]
        data["value"] = text
    return data


def _datetime(text: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _boolean(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text.strip().lower())


def package_digest(documents: list[SourceDocument]) -> str:
    """SHA-256 over the package's documents by name, the same whether it came zipped or not."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.name):
        digest.update(PurePosixPath(document.name).name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(document.content).digest())
    return digest.hexdigest()


def read_package(
    package_name: str,
    documents: list[SourceDocument],
    *,
    force_code: str,
    received_at: datetime,
    source_reference: str = "",
    notes: list[str] | None = None,
    mappings: Mapping[tuple[str, str], str] | None = None,
) -> ReferralDraft:
    """Map one CyberTipline package (a report and its files' details) to a referral draft.

    ``mappings`` are what administrators have said unknown words mean ((field, word) to a word
    Vigil knows); a word still unknown is read as ``other`` with a warning."""
    reports, files = [], []
    for document in documents:
        root = parse_xml(document.name, document.content)
        if root.tag == "report":
            reports.append((document, root))
        elif root.tag == "fileDetails":
            files.append((document, root))
        else:
            raise IntakeError(
                f"{document.name} is a <{root.tag}> document, not a CyberTipline "
                "<report> or <fileDetails>",
                "line 1",
            )
    if not reports:
        raise IntakeError(
            "the package has no report.xml (a <report> document); fileDetails documents "
            "alone are not a referral",
            "",
        )
    if len(reports) > 1:
        names = ", ".join(document.name for document, _ in reports)
        raise IntakeError(f"the package holds more than one <report> document: {names}", "")
    if not force_code:
        raise IntakeError(
            "CyberTipline reports do not name the owning force; give one with --force CODE",
            "",
        )

    report_document, report_root = reports[0]
    report = _Reading(PurePosixPath(report_document.name).name, report_root, mappings)
    draft = ReferralDraft(
        source="ncmec",
        source_reference="",
        received_at=received_at,
        force_code=force_code.strip().upper(),
        content_digest=package_digest(documents),
        documents=list(documents),
        unmapped=list(notes or []),
    )
    _map_summary(report, draft)
    suspect = _map_reported_person(report, draft)
    _map_other_people(report, draft)
    suspect = _map_report_extras(report, draft, suspect)
    _map_platform(report, draft)

    report_ids, unused = [], report.unused()
    readings = [report]
    for document, root in files:
        reading = _Reading(PurePosixPath(document.name).name, root, mappings)
        readings.append(reading)
        report_id = reading.text(root, "reportId")
        if report_id:
            report_ids.append(report_id)
        suspect = _map_file(reading, root, draft, suspect)
        unused.extend(reading.unused())
    draft.unmapped.extend(unused)

    distinct_ids = list(dict.fromkeys(report_ids))
    if len(distinct_ids) > 1:
        draft.unmapped.append(
            "the fileDetails documents name more than one reportId: " + ", ".join(distinct_ids)
        )
    draft.source_reference = (
        source_reference.strip() or (distinct_ids[0] if distinct_ids else "") or package_name
    )
    draft.summary = _summary(draft)
    draft.warnings = [warning for reading in readings for warning in reading.warnings]
    return draft


def _map_summary(report: _Reading, draft: ReferralDraft) -> None:
    summary = report.find(report.root, "incidentSummary")
    if summary is None:
        draft.unmapped.append(f"{report.name}: report/incidentSummary is missing")
        return
    text = report.text(summary, "incidentType")
    draft.incident_type_text = text
    lowered = text.casefold()
    draft.incident_type = next(
        (code for words, code in _INCIDENT_TYPES if words in lowered),
        report.mappings.get(("incident_type", text), "other" if text else ""),
    )
    if text and draft.incident_type == "other":
        report.warnings.append(
            IntakeWarning(
                f"{report.name}: report/incidentSummary/incidentType",
                "incident_type",
                text,
                "other",
            )
        )
    reason = report.text(summary, "escalateToHighPriority")
    # In the reporting schema the element is present only when the reporter escalates.
    draft.escalated = bool(reason)
    draft.escalation_reason = reason
    draft.annotations = report.flags(summary, "reportAnnotations")
    draft.incident_occurred_at = report.time(summary, "incidentDateTime", "report/incidentSummary")
    description = report.text(summary, "incidentDateTimeDescription")
    if description:
        draft.source_details["incident_time_description"] = description


def _person_fields(reading: _Reading, element: ET.Element, person: PersonDraft) -> None:
    """Fields shared by the reported person, victims and intended recipients."""
    inner = next((child for child in element if child.tag.endswith("Person")), None)
    if inner is not None:
        reading.use(inner)
        first, last = reading.text(inner, "firstName"), reading.text(inner, "lastName")
        if first.casefold() in _PLACEHOLDER_NAMES:
            person.notes = _join(person.notes, f"Named in the report as {first} {last}".strip())
            first = last = "" if last.casefold() in {"user", "person", ""} else last
        person.first_name, person.last_name = first, last
        for email in reading.texts(inner, "email"):
            person.identifiers.append(IdentifierDraft("email", email))
        for phone in reading.texts(inner, "phone"):
            person.identifiers.append(IdentifierDraft("phone", phone))
        born = reading.text(inner, "dateOfBirth")
        if born:
            try:
                person.date_of_birth = datetime.fromisoformat(born).date()
            except ValueError:
                person.notes = _join(person.notes, f"Date of birth given as {born!r}")
        _age(reading, inner, person)
        for address in reading.findall(inner, "address"):
            person.addresses.append(
                AddressDraft(
                    line1=reading.text(address, "address"),
                    town=reading.text(address, "city"),
                    region=reading.text(address, "state"),
                    postcode=reading.text(address, "zipCode"),
                    country=reading.text(address, "country"),
                )
            )
    _age(reading, element, person)
    for account in reading.texts(element, "espIdentifier"):
        person.identifiers.append(IdentifierDraft("account_id", account))
    for screen_name in reading.texts(element, "screenName"):
        person.identifiers.append(IdentifierDraft("username", screen_name))
    for url in reading.texts(element, "profileUrl"):
        person.identifiers.append(IdentifierDraft("profile_url", url))
    for display_name in reading.texts(element, "displayName"):
        person.notes = _join(person.notes, f"Display name: {display_name}")
    where = f"report/{element.tag}"
    for event in reading.findall(element, "ipCaptureEvent"):
        _ip_event(reading, event, person, f"{where}/ipCaptureEvent")
    for device in reading.findall(element, "deviceId"):
        _device(reading, device, person, f"{where}/deviceId")
    for service in reading.texts(element, "espService"):
        person.notes = _join(person.notes, f"Service used: {service}")
    for location in reading.findall(element, "estimatedLocation"):
        person.addresses.append(
            AddressDraft(
                kind="estimated",
                town=reading.text(location, "city"),
                region=reading.text(location, "region"),
                country=reading.text(location, "countryCode"),
            )
        )
    school = reading.text(element, "schoolName")
    if school:
        person.school_name = school
    for info in reading.texts(element, "additionalInfo"):
        person.notes = _join(person.notes, info)


def _age(reading: _Reading, element: ET.Element, person: PersonDraft) -> None:
    text = reading.text(element, "age")
    if not text:
        return
    if text.isdigit() and int(text) <= 130:
        person.stated_age = int(text)
    else:
        person.notes = _join(person.notes, f"Age given as {text!r}")


def _ip_event(reading: _Reading, event: ET.Element, person: PersonDraft, where: str) -> None:
    """An IP address with what the user was doing (upload, login, registration), when, and from
    which port: behind carrier-grade NAT, the address alone names hundreds of subscribers."""
    address = reading.text(event, "ipAddress")
    seen_at = reading.time(event, "dateTime", where)
    if not address:
        return
    port_text = reading.text(event, "port")
    port = int(port_text) if port_text.isdigit() and int(port_text) <= 65535 else None
    if port_text and port is None:
        reading.warnings.append(
            IntakeWarning(
                f"{reading.name}: {where}/port",
                "port",
                port_text,
                "",
                f"port {port_text!r} is not a port number (0 to 65535); kept in the document",
            )
        )
    person.identifiers.append(
        IdentifierDraft(
            "ip",
            address,
            seen_at=seen_at,
            port=port,
            event=_event(reading.text(event, "eventName")),
        )
    )


def _event(name: str) -> str:
    word = name.strip().casefold()
    return word if word in _EVENTS else ("other" if word else "")


def _device(reading: _Reading, device: ET.Element, person: PersonDraft, where: str) -> None:
    kind, value = reading.text(device, "idType"), reading.text(device, "idValue")
    seen_at = reading.time(device, "dateTime", where)
    if value:
        person.identifiers.append(
            IdentifierDraft(
                "device",
                f"{kind}:{value}" if kind else value,
                seen_at=seen_at,
                event=_event(reading.text(device, "eventName")),
            )
        )


def _map_reported_person(report: _Reading, draft: ReferralDraft) -> PersonDraft | None:
    element = report.find(report.root, "personOrUserReported")
    if element is None:
        return None
    suspect = PersonDraft(ref="reported-user", role="suspect")
    _person_fields(report, element, suspect)
    prior = report.texts(element, "priorCTReports")
    if prior:
        draft.source_details["prior_cybertip_reports"] = prior
    draft.people.append(suspect)
    return suspect


def _map_other_people(report: _Reading, draft: ReferralDraft) -> None:
    for index, element in enumerate(report.findall(report.root, "intendedRecipient"), start=1):
        person = PersonDraft(ref=f"intended-recipient-{index}", role="intended_recipient")
        _person_fields(report, element, person)
        draft.people.append(person)
    for index, element in enumerate(report.findall(report.root, "victim"), start=1):
        person = PersonDraft(ref=f"victim-{index}", role="victim")
        _person_fields(report, element, person)
        draft.people.append(person)


def _map_report_extras(
    report: _Reading, draft: ReferralDraft, suspect: PersonDraft | None
) -> PersonDraft | None:
    """The incidents' details (kept whole), and the e-mail addresses and phone numbers they
    name, which are the reported user's identifiers: they are matched like any other."""
    found: list[IdentifierDraft] = []
    for details in report.findall(report.root, "internetDetails"):
        for incident in details:
            report.use_all(incident)
            kind = _INTERNET_DETAIL_KINDS.get(incident.tag, _snake(incident.tag))
            entry = _element_dict(incident)
            draft.incident_details.append(
                {"kind": kind, **(entry if isinstance(entry, dict) else {"value": entry})}
            )
            for tag, identifier_kind in _INCIDENT_IDENTIFIERS.get(incident.tag, ()):
                for element in incident.findall(tag):
                    value = (element.text or "").strip()
                    if value:
                        found.append(IdentifierDraft(identifier_kind, value))
    if found:
        if suspect is None:
            suspect = _unnamed_suspect(draft, "Not named in the report; known from its incidents.")
        held = {(i.kind, i.value) for i in suspect.identifiers}
        suspect.identifiers.extend(i for i in found if (i.kind, i.value) not in held)
    for section, key in (("lawEnforcement", "law_enforcement"), ("reporter", "reporter")):
        element = report.use_all(report.root.find(section))
        if element is not None:
            draft.source_details[key] = _element_dict(element)
    info = report.texts(report.root, "additionalInfo")
    if info:
        draft.source_details["additional_info"] = info
    return suspect


def _unnamed_suspect(draft: ReferralDraft, notes: str) -> PersonDraft:
    suspect = PersonDraft(ref="reported-user", role="suspect", notes=notes)
    draft.people.append(suspect)
    return suspect


def _map_platform(report: _Reading, draft: ReferralDraft) -> None:
    """The reporting company is the platform. The reporting schema has no element for its name
    (the company is whoever sends the report), so it is read from the service the reported
    user used where the report names one, else from the reporting person's e-mail domain."""
    service = report.text(report.root, "personOrUserReported/espService")
    if service:
        draft.platform, source = service, "personOrUserReported/espService"
    else:
        addresses = [
            *report.texts(report.root, "reporter/reportingPerson/email"),
            *report.texts(report.root, "reporter/contactPerson/email"),
        ]
        domain = next((a.rpartition("@")[2].lower() for a in addresses if "@" in a), "")
        if not domain:
            return
        draft.platform, source = domain, "the reporting person's e-mail domain"
    draft.source_details["platform_from"] = source


def _map_file(
    reading: _Reading, root: ET.Element, draft: ReferralDraft, suspect: PersonDraft | None
) -> PersonDraft | None:
    material = MaterialDraft(file_id=reading.text(root, "fileId"))
    file_name = reading.text(root, "fileName")
    original_name = reading.text(root, "originalFileName")
    material.file_name = file_name or original_name
    if original_name and file_name:
        material.details["original_file_name"] = original_name
    material.kind = _kind_from_name(material.file_name)
    for field, key in (
        ("locationOfFile", "location"),
        ("fileRelevance", "relevance"),
        ("fileViewedByEsp", "viewed_by_reporter"),
        ("exifViewedByEsp", "exif_viewed_by_reporter"),
        ("publiclyAvailable", "publicly_available"),
    ):
        text = reading.text(root, field)
        if text:
            flag = _boolean(text)
            material.details[key] = text if flag is None else flag
    material.annotations = reading.flags(root, "fileAnnotations")
    classification = reading.text(root, "industryClassification").upper()
    if classification in _INDUSTRY_CLASSES:
        material.industry_classification = classification
    elif classification:
        draft.unmapped.append(
            f"{reading.name}: industryClassification {classification!r} is not A1, A2, B1 or B2"
        )
    hashes: dict[str, str] = {}
    for element in reading.findall(root, "originalFileHash"):
        hash_type = element.get("hashType", "").upper()
        value = (element.text or "").strip().lower()
        if value:
            hashes[hash_type or "UNKNOWN"] = value
    _set_hash(material, "md5", hashes.get("MD5", ""), 32, reading.name, draft)
    _set_hash(material, "sha1", hashes.get("SHA1", ""), 40, reading.name, draft)
    for details in reading.findall(root, "details"):
        pairs = {}
        for pair in reading.findall(details, "nameValuePair"):
            pairs[reading.text(pair, "name")] = reading.text(pair, "value")
        kind = details.get("type", "").upper()
        if kind == "HASH":
            photodna = pairs.pop("PhotoDNA", "")
            if photodna:
                material.photodna = photodna
            hashes.update(pairs)
        else:
            material.details[kind.lower() or "details"] = pairs
    if hashes:
        material.details["hashes"] = hashes
    info = reading.texts(root, "additionalInfo")
    if info:
        material.details["additional_info"] = info

    # IP addresses and devices on a file are the reported user's; with no reported person in
    # the report, they still belong to an (unnamed) suspect.
    events = reading.findall(root, "ipCaptureEvent")
    devices = reading.findall(root, "deviceId")
    if (events or devices) and suspect is None:
        suspect = _unnamed_suspect(draft, "Not named in the report; known from the reported files.")
    for event in events:
        _ip_event(reading, event, suspect, "fileDetails/ipCaptureEvent")
    for device in devices:
        _device(reading, device, suspect, "fileDetails/deviceId")
    draft.material.append(material)
    return suspect


def _set_hash(
    material: MaterialDraft, field: str, value: str, length: int, name: str, draft: ReferralDraft
) -> None:
    if not value:
        return
    if len(value) == length and all(ch in "0123456789abcdef" for ch in value):
        setattr(material, field, value)
    else:
        draft.unmapped.append(
            f"{name}: originalFileHash of type {field.upper()} is {len(value)} characters, not "
            f"a {length}-character {field.upper()}; kept with the file's hashes, not used for "
            "matching"
        )


def _kind_from_name(file_name: str) -> str:
    suffix = PurePosixPath(file_name).suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        return "image"
    if suffix in _VIDEO_SUFFIXES:
        return "video"
    return "unknown"


def _summary(draft: ReferralDraft) -> str:
    parts = [f"CyberTipline report: {draft.incident_type_text or 'incident type not given'}"]
    if draft.escalated:
        parts.append(f"escalated by the reporter ({draft.escalation_reason})")
    if draft.material:
        parts.append(f"{len(draft.material)} file(s) reported")
    return "; ".join(parts) + "."


def _join(existing: str, more: str) -> str:
    return f"{existing}\n{more}" if existing else more

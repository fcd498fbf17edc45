"""Reading Vigil's native referral format, ``vigil.referral/1`` (see docs/referral-format.md).

Pure: bytes in, ``ReferralDraft`` or ``IntakeError`` out. A file may hold one referral object,
an array of them, or JSON Lines; each referral is judged on its own, so one bad referral in a
batch does not stop the others.
"""

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance

from vigil.referrals.drafts import (
    AccessDraft,
    AddressDraft,
    CheckDraft,
    HistoryDraft,
    IdentifierDraft,
    IntakeError,
    IntakeWarning,
    MaterialDraft,
    PersonDraft,
    ReferralDraft,
    ResearchDraft,
    SourceDocument,
)

SCHEMA_NAME = "vigil.referral/1"
MEDIA_TYPE = "application/json"
# A referral dated a little ahead of the importing machine's clock is a clock difference, not a
# referral from the future.
CLOCK_TOLERANCE = timedelta(minutes=5)
MAX_ERRORS_REPORTED = 5


@cache
def referral_schema() -> dict:
    text = resources.files("vigil.intake").joinpath("schema/vigil.referral-1.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(referral_schema())


# ---------------------------------------------------------------------------------------------
# Splitting a file into referrals


def split_document(name: str, content: bytes) -> Iterator[tuple[str, bytes]]:
    """Yield (label, bytes) for each referral in a JSON or JSON Lines file.

    The bytes are exactly those of the referral in the file, so the original can be kept
    byte for byte. A file that is not valid JSON at all raises ``IntakeError`` with its line.
    """
    if name.lower().endswith((".jsonl", ".ndjson")):
        yield from _split_lines(name, content)
        return
    text = _decode(content)
    whole = _load(text)
    if not isinstance(whole, list):
        yield name, content.removeprefix(b"\xef\xbb\xbf")
        return
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    for index in range(len(whole)):
        position = _skip(text, position, ",")
        _, end = decoder.raw_decode(text, position)
        yield f"{name} [{index}]", text[position:end].encode("utf-8")
        position = end


def _split_lines(name: str, content: bytes) -> Iterator[tuple[str, bytes]]:
    for number, line in enumerate(content.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if line.strip():
            yield f"{name} line {number}", line.rstrip(b"\r")


def _skip(text: str, position: int, separators: str) -> int:
    while position < len(text) and (text[position].isspace() or text[position] in separators):
        position += 1
    return position


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IntakeError(
            f"the file is not UTF-8 text (byte {error.start} cannot be read)", ""
        ) from None


def _load(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise IntakeError(
            f"this is not valid JSON: {error.msg.lower()}",
            f"line {error.lineno}, column {error.colno}",
        ) from None
    except RecursionError:
        raise IntakeError("the JSON is nested too deeply to be a referral", "") from None


# ---------------------------------------------------------------------------------------------
# Reading one referral


def _first_nul(value, path: str) -> str:
    """Where the first string holding a NUL character is (no database stores one)."""
    if isinstance(value, str):
        return path if "\x00" in value else ""
    if isinstance(value, dict):
        items = ((f"{path}.{key}", item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    else:
        return ""
    for where, item in items:
        found = _first_nul(item, where)
        if found:
            return found
    return ""


def read_referral(
    label: str,
    content: bytes,
    *,
    as_of: datetime,
    default_force: str = "",
    mappings: Mapping[tuple[str, str], str] | None = None,
) -> ReferralDraft:
    """Turn one referral's bytes into a draft, or raise ``IntakeError`` naming what is wrong.

    A word Vigil does not know in one of the vocabularies (an incident type, a role, an
    identifier type, a material category...) does not refuse the referral: the word is kept as
    written, read as an administrator mapped it (``mappings``: (field, word) to a known value)
    or else as ``other``, and reported in the draft's warnings with its JSON path.
    """
    data = _load(_decode(content))
    if not isinstance(data, dict):
        raise IntakeError(f"a referral must be a JSON object, not {_describe(data)}", "$")

    schema = data.get("schema")
    if schema is None:
        raise IntakeError(f"missing required field 'schema' (expected {SCHEMA_NAME!r})", "$")
    if schema != SCHEMA_NAME:
        raise IntakeError(
            f"unknown schema {schema!r}: Vigil reads {SCHEMA_NAME!r} and CyberTipline XML",
            "$.schema",
        )
    if "force" not in data and default_force:
        data["force"] = default_force
    elif default_force and str(data.get("force", "")).upper() != default_force.upper():
        raise IntakeError(
            f"the referral names force {data.get('force')!r} but {default_force!r} was given",
            "$.force",
        )

    nul = _first_nul(data, "$")
    if nul:
        raise IntakeError("text may not contain NUL characters", nul)
    original = data
    data, words = lenient(data, referral_schema(), mappings or {})
    errors = sorted(_validator().iter_errors(data), key=relevance, reverse=True)
    if errors:
        first, *rest = errors
        message = _error_message(first)
        if rest:
            more = "; ".join(
                f"{_path(e)}: {_error_message(e)}" for e in rest[: MAX_ERRORS_REPORTED - 1]
            )
            extra = len(rest) - (MAX_ERRORS_REPORTED - 1)
            message += f" (also {more}{f'; and {extra} more' if extra > 0 else ''})"
        raise IntakeError(message, _path(first))

    return _draft(data, label, content, as_of, original, words)


def _draft(
    data: dict, label: str, content: bytes, as_of: datetime, original: dict, words: "Words"
) -> ReferralDraft:
    received_at = _datetime(data["received_at"], "$.received_at")
    if received_at > as_of + CLOCK_TOLERANCE:
        raise IntakeError(f"received_at {data['received_at']} is in the future", "$.received_at")
    incident = data.get("incident", {})
    people, access = _people_and_access(data, received_at.date(), words=words)
    material = []
    for i, item in enumerate(data.get("material", [])):
        draft = MaterialDraft(**_material(item))
        for key in ("category", "industry_classification", "kind"):
            written = words.written(f"$.material[{i}].{key}")
            if written:
                draft.details[f"{key}_as_written"] = written
        material.append(draft)
    return ReferralDraft(
        source=data["source"],
        source_reference=data["source_reference"].strip(),
        received_at=received_at,
        force_code=data["force"].strip().upper(),
        # Of the referral as sent, before any unknown word was read as another.
        content_digest=canonical_digest(original),
        documents=[SourceDocument(label, MEDIA_TYPE, content)],
        summary=data.get("summary", ""),
        incident_type=incident.get("type", ""),
        incident_type_text=words.written("$.incident.type"),
        incident_occurred_at=_optional_datetime(incident, "occurred_at", "$.incident"),
        platform=incident.get("platform", ""),
        escalated=incident.get("escalated"),
        escalation_reason=incident.get("escalation_reason", ""),
        annotations=list(dict.fromkeys(incident.get("annotations", []))),
        indicators=list(dict.fromkeys(data.get("indicators", []))),
        material=material,
        people=people,
        access=access,
        unmapped=unknown_fields(data, referral_schema()),
        supplements=data.get("supplements", "").strip(),
        warnings=words.warnings,
    )


def _people_and_access(
    data: dict, on: date, held: frozenset[str] = frozenset(), words: "Words | None" = None
) -> tuple[list[PersonDraft], list[AccessDraft]]:
    """The subjects and access entries of a document; ``held`` are refs already on the
    referral, which lives_with and access may name too (research adds to what is held)."""
    words = words or Words()
    people = [
        _person(subject, f"$.subjects[{i}]", on, words)
        for i, subject in enumerate(data.get("subjects", []))
    ]
    refs = [person.ref for person in people]
    duplicated = sorted({ref for ref in refs if refs.count(ref) > 1})
    if duplicated:
        raise IntakeError(f"subject ref {duplicated[0]!r} is used twice", "$.subjects")
    known = set(refs) | held
    for i, person in enumerate(people):
        for j, other in enumerate(person.lives_with):
            if other not in known:
                raise IntakeError(
                    f"lives_with names {other!r}, who is not among the subjects",
                    f"$.subjects[{i}].lives_with[{j}]",
                )
    access = []
    for i, entry in enumerate(data.get("access", [])):
        if entry["subject"] not in known:
            raise IntakeError(
                f"access names subject {entry['subject']!r}, who is not among the subjects",
                f"$.access[{i}].subject",
            )
        if entry["child"] not in known:
            # A child the source knows only as someone the suspect can reach.
            known.add(entry["child"])
            people.append(
                PersonDraft(
                    ref=entry["child"],
                    role="other",
                    notes="A child known only from an access entry.",
                )
            )
        access.append(AccessDraft(entry["subject"], entry["child"], entry["kind"]))
    return people, access


def _person(subject: dict, path: str, received_on: date, words: "Words") -> PersonDraft:
    addresses = [
        (f"{path}.addresses[{i}]", item) for i, item in enumerate(subject.get("addresses", []))
    ]
    if "address" in subject:
        addresses.insert(0, (f"{path}.address", subject["address"]))
    return PersonDraft(
        ref=subject["ref"].strip(),
        role=subject["role"],
        role_text=words.written(f"{path}.role"),
        relation=subject.get("relation", "").strip(),
        first_name=subject.get("first_name", "").strip(),
        last_name=subject.get("last_name", "").strip(),
        date_of_birth=_date(subject, "date_of_birth", path, not_after=received_on),
        stated_age=subject.get("age"),
        gender=subject.get("gender", ""),
        occupation=subject.get("occupation", ""),
        works_with_children=subject.get("works_with_children"),
        school_name=subject.get("school_name", ""),
        household_established=subject.get("household_established", False),
        access_established=subject.get("access_established", False),
        history_established=subject.get("history_established", False),
        notes=subject.get("notes", ""),
        identifiers=[
            IdentifierDraft(
                kind=item["type"],
                value=item["value"],
                service=item.get("service", ""),
                seen_at=_optional_datetime(item, "seen_at", f"{path}.identifiers[{i}]"),
                port=item.get("port"),
                event=item.get("event", "").strip().lower(),
                kind_text=words.written(f"{path}.identifiers[{i}].type"),
            )
            for i, item in enumerate(subject.get("identifiers", []))
        ],
        addresses=[_address(address, where, received_on) for where, address in addresses],
        history=[
            HistoryDraft(
                type=item["type"],
                outcome=item.get("outcome", ""),
                date=_date(item, "date", f"{path}.history[{i}]", not_after=received_on),
                description=_with_words_as_written(
                    item.get("description", ""), words, f"{path}.history[{i}]"
                ),
            )
            for i, item in enumerate(subject.get("history", []))
        ],
        lives_with=[ref.strip() for ref in subject.get("lives_with", [])],
    )


def _address(address: dict, path: str, received_on: date) -> AddressDraft:
    dates = {
        key: _date(address, key, path, not_after=received_on)
        for key in ("lived_from", "lived_until")
    }
    if dates["lived_from"] and dates["lived_until"] and dates["lived_until"] < dates["lived_from"]:
        raise IntakeError("lived_until is before lived_from", f"{path}.lived_until")
    return AddressDraft(**{**address, **dates})


def _material(item: dict) -> dict:
    fields = {
        "kind",
        "count",
        "category",
        "industry_classification",
        "md5",
        "sha1",
        "pdq",
        "photodna",
        "annotations",
        "file_name",
        "file_id",
    }
    found = {key: value for key, value in item.items() if key in fields}
    for digest in ("md5", "sha1", "pdq"):
        if digest in found:
            found[digest] = found[digest].lower()
    return found


def _datetime(value: str, path: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise IntakeError(
            f"{value!r} is not a date and time (expected e.g. 2020-09-10T09:00:00+01:00)", path
        ) from None
    if parsed.tzinfo is None:
        raise IntakeError(
            f"{value!r} has no UTC offset; add one, e.g. {value}Z or {value}+01:00", path
        )
    return parsed


def _optional_datetime(container: dict, key: str, path: str) -> datetime | None:
    if container.get(key) is None:
        return None
    return _datetime(container[key], f"{path}.{key}")


def _date(container: dict, key: str, path: str, *, not_after: date) -> date | None:
    value = container.get(key)
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise IntakeError(
            f"{value!r} is not a date (expected YYYY-MM-DD)", f"{path}.{key}"
        ) from None
    if parsed > not_after:
        raise IntakeError(f"{value} is after the referral was received", f"{path}.{key}")
    return parsed


def canonical_digest(data: dict) -> str:
    """SHA-256 of the referral's content, so reformatting alone does not make it different."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def unknown_fields(data, schema: dict, path: str = "$") -> list[str]:
    """Paths of fields the schema does not describe: kept in the original, not mapped."""
    found: list[str] = []
    if isinstance(data, dict) and "properties" in schema:
        for key, value in data.items():
            child = schema["properties"].get(key)
            if child is None:
                found.append(f"{path}.{key}")
            else:
                found.extend(unknown_fields(value, child, f"{path}.{key}"))
    elif isinstance(data, list) and "items" in schema:
        for index, value in enumerate(data):
            found.extend(unknown_fields(value, schema["items"], f"{path}[{index}]"))
    return found


# ---------------------------------------------------------------------------------------------
# Words Vigil does not know

# Each vocabulary of the format a document may use a word of its own in: the field's name (as
# administrators see it and map it) and what an unknown word is read as meanwhile: ``other``,
# or None where the fact is left out (the word is still kept as written).
VOCABULARIES: dict[str, tuple[str, str | None]] = {
    "source": ("source", "other"),
    "incident.type": ("incident_type", "other"),
    "indicators[]": ("indicator", None),
    "material[].kind": ("material_kind", "other"),
    "material[].category": ("material_category", None),
    "material[].industry_classification": ("industry_classification", None),
    "subjects[].role": ("role", "other"),
    "subjects[].identifiers[].type": ("identifier_type", "other"),
    "subjects[].address.kind": ("address_kind", "other"),
    "subjects[].addresses[].kind": ("address_kind", "other"),
    "subjects[].history[].type": ("history_type", "other"),
    "subjects[].history[].outcome": ("history_outcome", None),
    "access[].kind": ("access_kind", "other"),
}


def vocabulary(field: str) -> list[str]:
    """The words Vigil knows for a field of ``VOCABULARIES`` (what a word may be mapped to)."""
    for place, (name, _) in VOCABULARIES.items():
        if name == field:
            node = referral_schema()
            for part in place.split("."):
                node = node["properties"][part.removesuffix("[]")]
                if part.endswith("[]"):
                    node = node["items"]
            return list(node["enum"])
    return []


class Words:
    """The words of a document read as others: the warnings, and each word as written."""

    def __init__(self) -> None:
        self.warnings: list[IntakeWarning] = []
        self._written: dict[str, str] = {}

    def read_as(self, path: str, field: str, value: str, mapped_to: str | None) -> None:
        self.warnings.append(IntakeWarning(path, field, value, mapped_to or ""))
        self._written[path] = value

    def mapped(self, path: str, value: str) -> None:
        """A word an administrator has mapped: no warning, but kept as written."""
        self._written[path] = value

    def written(self, path: str) -> str:
        return self._written.get(path, "")


def lenient(data: dict, schema: dict, mappings: Mapping[tuple[str, str], str]):
    """A copy of ``data`` in which every word of a vocabulary Vigil does not know is read as
    an administrator mapped it, or as ``other`` (or left out), and the ``Words`` read so.

    Only text is read leniently: a number where a word belongs, or a word in a field that is
    not a vocabulary, is still refused by the schema as before.
    """
    data = copy.deepcopy(data)
    words = Words()
    _read_words(data, schema, "$", "", mappings, words)
    return data, words


def _read_words(value, schema: dict, path: str, key: str, mappings, words: Words) -> None:
    if isinstance(value, dict) and "properties" in schema:
        for name in list(value):
            child = schema["properties"].get(name)
            if child is None:
                continue
            where, place = f"{path}.{name}", f"{key}.{name}" if key else name
            if "enum" in child and isinstance(value[name], str):
                known = _known_word(value[name], child["enum"], place, where, mappings, words)
                if known is None:
                    del value[name]
                else:
                    value[name] = known
            else:
                _read_words(value[name], child, where, place, mappings, words)
    elif isinstance(value, list) and "items" in schema:
        items = schema["items"]
        keep = []
        for index, item in enumerate(value):
            where, place = f"{path}[{index}]", f"{key}[]"
            if "enum" in items and isinstance(item, str):
                known = _known_word(item, items["enum"], place, where, mappings, words)
                if known is not None:
                    keep.append(known)
            else:
                _read_words(item, items, where, place, mappings, words)
                keep.append(item)
        value[:] = keep


def _known_word(word: str, allowed: list, place: str, path: str, mappings, words: Words):
    if word in allowed:
        return word
    # "CSAM Upload", "csam-upload" and "a" are the words Vigil knows, written another way.
    for spelling in (
        word.strip().casefold().replace(" ", "_").replace("-", "_"),
        word.strip().upper(),
    ):
        if spelling in allowed:
            return spelling
    if place not in VOCABULARIES:
        return word  # not a vocabulary read leniently: the schema refuses it as before
    field, fallback = VOCABULARIES[place]
    mapped = mappings.get((field, word.strip()))
    if mapped in allowed:
        words.mapped(path, word)
        return mapped
    words.read_as(path, field, word, fallback)
    return fallback


def _with_words_as_written(description: str, words: Words, path: str) -> str:
    """A history entry keeps its type and outcome as written in its description."""
    notes = [
        f"{name} as written: {words.written(f'{path}.{name}')}"
        for name in ("type", "outcome")
        if words.written(f"{path}.{name}")
    ]
    return (
        "; ".join([description, *notes])
        if notes and description
        else "; ".join(notes) or description
    )


# ---------------------------------------------------------------------------------------------
# Research: facts learned after receipt, in the native subjects' shape


@cache
def research_schema() -> dict:
    """A research record: its subjects and access entries are exactly the referral's."""
    referral = referral_schema()
    return {
        "$schema": referral.get("$schema", "https://json-schema.org/draft/2020-12/schema"),
        "type": "object",
        "required": ["source"],
        "additionalProperties": False,
        "properties": {
            "source": {"type": "string", "minLength": 1, "maxLength": 200},
            "learned_at": {"type": "string"},
            "subjects": referral["properties"]["subjects"],
            "access": referral["properties"]["access"],
            "checks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["system", "done_at"],
                    "additionalProperties": False,
                    "properties": {
                        "system": {"type": "string", "minLength": 1, "maxLength": 120},
                        "done_at": {"type": "string"},
                        "result": {"type": "string"},
                        "by": {"type": "string", "maxLength": 150},
                        "subject": {"type": "string", "minLength": 1},
                    },
                },
            },
        },
    }


CHECK_SYSTEMS = {
    "pnc",
    "pnd",
    "local_intelligence",
    "childrens_social_care",
    "education",
    "health",
    "other",
}


def read_research(
    data,
    *,
    held: frozenset[str] = frozenset(),
    on: date | None = None,
    mappings: Mapping[tuple[str, str], str] | None = None,
) -> ResearchDraft:
    """Turn a research record (a JSON object, or its bytes) into a draft, or raise
    ``IntakeError`` with the JSON path of the first thing wrong. ``held`` are the refs already
    on the referral; ``on`` is the day the facts were learned if the record does not say."""
    if isinstance(data, bytes | str):
        data = _load(_decode(data) if isinstance(data, bytes) else data)
    if not isinstance(data, dict):
        raise IntakeError(f"research must be a JSON object, not {_describe(data)}", "$")
    nul = _first_nul(data, "$")
    if nul:
        raise IntakeError("text may not contain NUL characters", nul)
    data, words = lenient(data, research_schema(), mappings or {})
    errors = sorted(
        Draft202012Validator(research_schema()).iter_errors(data), key=relevance, reverse=True
    )
    if errors:
        raise IntakeError(_error_message(errors[0]), _path(errors[0]))
    learned_at = _optional_datetime(data, "learned_at", "$")
    day = learned_at.date() if learned_at else on
    people, access = _people_and_access(data, day or date.max, held, words)
    checks = []
    for i, item in enumerate(data.get("checks", [])):
        system = item["system"].strip()
        known = system.lower().replace(" ", "_").replace("'", "")
        checks.append(
            CheckDraft(
                system=known if known in CHECK_SYSTEMS else "other",
                system_text="" if known in CHECK_SYSTEMS else system,
                done_at=_datetime(item["done_at"], f"$.checks[{i}].done_at"),
                result=item.get("result", ""),
                done_by=item.get("by", "").strip(),
                subject_ref=item.get("subject", "").strip(),
            )
        )
    known_refs = held | {person.ref for person in people}
    for i, check in enumerate(checks):
        if check.subject_ref and check.subject_ref not in known_refs:
            raise IntakeError(
                f"subject {check.subject_ref!r} is not on the referral or among the subjects",
                f"$.checks[{i}].subject",
            )
    return ResearchDraft(
        source=data["source"].strip(),
        learned_at=learned_at,
        people=people,
        access=access,
        checks=checks,
        warnings=words.warnings,
    )


# ---------------------------------------------------------------------------------------------
# Messages a user can act on

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _describe(value) -> str:
    if isinstance(value, bool):
        return f"true or false ({json.dumps(value)})"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _error_message(error: ValidationError) -> str:
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return f"missing required field {missing[0]!r}"
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else expected
        wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in names)
        return f"expected {wanted}, got {_describe(error.instance)}"
    if kind == "enum":
        allowed = ", ".join(str(value) for value in error.validator_value)
        return f"{error.instance!r} is not one of the allowed values: {allowed}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "maxLength":
        return f"is longer than {error.validator_value} characters"
    if kind == "minimum":
        return f"must be at least {error.validator_value}"
    if kind == "maximum":
        return f"must be at most {error.validator_value}"
    if kind == "pattern":
        field = error.absolute_path[-1] if error.absolute_path else "value"
        expected = {
            "md5": "an MD5 hash (32 hexadecimal characters)",
            "sha1": "a SHA-1 hash (40 hexadecimal characters)",
            "pdq": "a PDQ hash (64 hexadecimal characters)",
        }.get(str(field), "the expected form")
        return f"{error.instance!r} is not {expected}"
    return error.message

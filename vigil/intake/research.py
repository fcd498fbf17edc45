"""Research: what is learned about a referral after it arrived, recorded through the guarded path.

A research record is a JSON object ``{"source", "learned_at", "subjects", "access", "checks"}``
whose subjects have exactly the shape of the native format's (docs/referral-format.md): a ref
already on the referral adds to that person, a new ref adds a person. The pages' smaller forms
(an identifier, an address, a person, a check) each build such a record, so every way in takes
the same path: read and checked in full before anything is stored, matched again against every
force's referrals, the holders of a newly linked referral told, the referral re-graded and its
clocks brought up to date, one audit event.
"""

from datetime import datetime
from functools import partial

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.audit.choices import AuditAction as Audit
from vigil.core.roles import Action
from vigil.people import services as people
from vigil.people.models import Person, Research
from vigil.referrals.changes import Change, RecordError, learned
from vigil.referrals.drafts import IntakeError
from vigil.referrals.recordings import recording

from . import native_json, unknown_values
from .schemas import AddressIn, CheckIn, IdentifierIn, PersonFoundIn, ResearchIn

step = partial(recording, section="research")


def apply_research(change: Change, record: dict) -> Research:
    """Add a research record to the referral being changed; raise ``RecordError`` naming the
    JSON path of the first thing wrong, having stored nothing."""
    held = frozenset(Person.objects.filter(referral=change.referral).values_list("ref", flat=True))
    try:
        draft = native_json.read_research(
            record, held=held, on=change.as_of.date(), mappings=unknown_values.mappings()
        )
    except IntakeError as error:
        message = f"{error.location}: {error.message}" if error.location else error.message
        raise RecordError(message) from None
    try:
        learned_at = learned(change, draft.learned_at)
    except RecordError as error:
        raise RecordError(
            _("$.learned_at: %(problem)s") % {"problem": " ".join(error.messages)}
        ) from None
    for index, check in enumerate(draft.checks):
        if check.done_at > change.as_of:
            raise RecordError(
                _("$.checks[%(index)s].done_at: a check cannot be done in the future")
                % {"index": index}
            )
    found = people.record_research(change, draft, content=record, learned_at=learned_at)
    research = found.research
    if draft.warnings:
        # Words read as "other" in research count as at intake: the grade waits on them too.
        referral = change.referral
        referral.intake_warnings = [
            *referral.intake_warnings,
            *({**w.as_dict(), "research": research.pk} for w in draft.warnings),
        ]
        referral.save(update_fields=["intake_warnings"])
        unknown_values.count(draft.warnings, at=change.as_of)
    change.facts_changed("research recorded")
    change.describe(
        research,
        after={
            "research": research.pk,
            "source": research.source,
            "learned_at": learned_at,
            **research.summary,
            "warnings": [w.as_dict() for w in draft.warnings],
        },
    )
    return research


@step(
    "research",
    Action.FACTS_RECORD,
    Audit.RESEARCH_RECORDED,
    ResearchIn,
    gettext_lazy("Research recorded; the referral has been matched again and re-graded."),
)
def add_research(change: Change, **record) -> Research:
    """Record what research found: people, identifiers, addresses, history and checks.

    Subjects have the native format's shape; a ref already on the referral adds to that person.
    """
    return apply_research(change, _json_record(record))


def _json_record(record: dict) -> dict:
    """The record as JSON would carry it (times as text), without the fields left out."""
    found = {}
    for name, value in record.items():
        if value in (None, [], ""):
            continue
        found[name] = value.isoformat() if isinstance(value, datetime) else value
    return found


def _dated(value) -> str | None:
    return value.isoformat() if value is not None else None


def _subject(ref: str, role: str = "", **facts) -> dict:
    subject = {"ref": ref, "role": role}
    subject.update({name: value for name, value in facts.items() if value not in (None, "", [])})
    return subject


def _role_of(change: Change, ref: str) -> str:
    person = Person.objects.filter(referral=change.referral, ref=ref).first()
    if person is None:
        raise RecordError(_("no one in this referral has the ref %(ref)s") % {"ref": repr(ref)})
    return person.role


def _suspect(change: Change) -> str:
    suspect = people.suspect_ref(change.referral)
    if not suspect:
        raise RecordError(_("the referral has no suspect; say whose it is"))
    return suspect


def _about(change: Change, ref: str, source: str, learned_at, **facts) -> Research:
    ref = ref or _suspect(change)
    subject = _subject(ref, _role_of(change, ref), **facts)
    return apply_research(
        change,
        _json_record({"source": source, "learned_at": learned_at, "subjects": [subject]}),
    )


@step(
    "identifiers",
    Action.FACTS_RECORD,
    Audit.RESEARCH_RECORDED,
    IdentifierIn,
    gettext_lazy("Identifier recorded; the referral has been matched again and re-graded."),
)
def add_identifier(
    change: Change,
    *,
    type: str,
    value: str,
    person_ref: str = "",
    service: str = "",
    seen_at: datetime | None = None,
    port: int | None = None,
    event: str = "",
    source: str,
    learned_at: datetime | None = None,
) -> Research:
    """An e-mail address, phone number, username, IP address or device id found for a person."""
    identifier = {"type": type, "value": value, "service": service, "event": event}
    identifier = {name: item for name, item in identifier.items() if item}
    if seen_at is not None:
        identifier["seen_at"] = seen_at.isoformat()
    if port is not None:
        identifier["port"] = port
    return _about(change, person_ref, source, learned_at, identifiers=[identifier])


@step(
    "addresses",
    Action.FACTS_RECORD,
    Audit.RESEARCH_RECORDED,
    AddressIn,
    gettext_lazy("Address recorded; the referral has been matched again and re-graded."),
)
def add_address(
    change: Change,
    *,
    person_ref: str = "",
    kind: str = "home",
    line1: str = "",
    line2: str = "",
    town: str = "",
    postcode: str = "",
    lived_from=None,
    lived_until=None,
    source: str,
    learned_at: datetime | None = None,
) -> Research:
    """An address where a person lives or lived, with the dates they lived there."""
    address = {
        "kind": kind,
        "line1": line1,
        "line2": line2,
        "town": town,
        "postcode": postcode,
        "lived_from": _dated(lived_from),
        "lived_until": _dated(lived_until),
    }
    address = {name: item for name, item in address.items() if item}
    if not (line1 or postcode or town):
        raise RecordError(_("give at least the first line, the town or the postcode"))
    return _about(change, person_ref, source, learned_at, addresses=[address])


@step(
    "people-found",
    Action.FACTS_RECORD,
    Audit.RESEARCH_RECORDED,
    PersonFoundIn,
    gettext_lazy("Person recorded; the referral has been matched again and re-graded."),
)
def add_person_found(
    change: Change,
    *,
    role: str,
    first_name: str = "",
    last_name: str = "",
    date_of_birth=None,
    age: int | None = None,
    relation: str = "",
    lives_with_suspect: bool = False,
    source: str,
    learned_at: datetime | None = None,
) -> Research:
    """A household member, relative, associate or victim found by research."""
    ref = people.new_ref(change.referral, _REF_PREFIX.get(role, "p"))
    subject = _subject(
        ref,
        role,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=_dated(date_of_birth),
        age=age,
        relation=relation,
    )
    if lives_with_suspect:
        subject["lives_with"] = [_suspect(change)]
    return apply_research(
        change,
        _json_record({"source": source, "learned_at": learned_at, "subjects": [subject]}),
    )


_REF_PREFIX = {"household_member": "h", "relative": "r", "associate": "a", "victim": "v"}


@step(
    "checks",
    Action.FACTS_RECORD,
    Audit.RESEARCH_RECORDED,
    CheckIn,
    gettext_lazy("Check recorded."),
)
def add_check(
    change: Change,
    *,
    system: str,
    done_at: datetime | None = None,
    result: str = "",
    person_ref: str = "",
    by: str = "",
    source: str = "",
    learned_at: datetime | None = None,
) -> Research:
    """A check of a person on a police or partner system: which, when, by whom, what came back."""
    check = {
        "system": system,
        "done_at": (done_at or change.as_of).isoformat(),
        "result": result,
        "subject": person_ref or _suspect(change),
        "by": by,
    }
    return apply_research(
        change,
        _json_record(
            {
                "source": source or f"{system} check",
                "learned_at": learned_at,
                "checks": [{name: item for name, item in check.items() if item}],
            }
        ),
    )


RECORDINGS = [add_research, add_identifier, add_address, add_person_found, add_check]

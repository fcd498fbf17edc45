"""Deriving the policy's answers from what is recorded on a referral. Pure: no Django.

The service layer turns a stored referral into a ``ReferralRecord`` (plain data); the policy
names, for each question, one derivation below and its parameters. Each answer carries the
evidence that decided it: the record, where it came from and when it was learned.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from vigil.people.children import (
    ADULT,
    NO_SOURCE,
    AccessRecord,
    LivesWithRecord,
    PersonRecord,
    Source,
    children_in_view,
    routes,
)

from .engine import UNKNOWN, Answer, Fact
from .policy import Policy


@dataclass(frozen=True)
class HistoryRecord:
    person_ref: str
    type: str
    outcome: str = ""
    date: date | None = None
    source: Source = NO_SOURCE


@dataclass(frozen=True)
class SignalRecord:
    """What the referral says of the behaviour: an indicator, incident type or annotation."""

    kind: str  # indicator | incident_type | annotation
    value: str
    source: Source = NO_SOURCE


@dataclass(frozen=True)
class MaterialRecord:
    """Material reported with the referral, or (with a ``count``) found in the suspect's
    possession afterwards, e.g. by a triage of a seized device, known from its source's time."""

    category: str = ""
    classification: str = ""
    annotations: tuple[str, ...] = ()
    source: Source = NO_SOURCE
    count: int | None = None

    @property
    def found(self) -> bool:
        return self.count is not None


@dataclass(frozen=True)
class ReferralRecord:
    """Everything the policy may read about one referral."""

    escalated: bool | None = None
    escalation_reason: str = ""
    source: Source = NO_SOURCE
    people: tuple[PersonRecord, ...] = ()
    history: tuple[HistoryRecord, ...] = ()
    lives_with: tuple[LivesWithRecord, ...] = ()
    access: tuple[AccessRecord, ...] = ()
    signals: tuple[SignalRecord, ...] = ()
    material: tuple[MaterialRecord, ...] = ()
    # Words the referral used that Vigil did not know and nobody has yet said the meaning of:
    # (field, word as written), e.g. ("incident_type", "Livestream abuse").
    unknown_words: tuple[tuple[str, str], ...] = ()
    # The moment the answers are asked as of: what was learned after it does not count.
    known_by: datetime | None = None
    _by_ref: dict = field(default_factory=dict, compare=False, repr=False)

    def person(self, ref: str) -> PersonRecord | None:
        if not self._by_ref:
            self._by_ref.update({person.ref: person for person in self.people})
        return self._by_ref.get(ref)

    @property
    def suspects(self) -> list[PersonRecord]:
        return [person for person in self.people if person.role == "suspect"]


def derive_facts(record: ReferralRecord, policy: Policy, as_of: datetime) -> dict[str, Fact]:
    """Answer every question of the policy from the record, as of a moment (what was known by
    then, and ages on that day)."""
    record = replace(record, known_by=as_of)
    today = as_of.date()
    return {
        question.code: DERIVATIONS[question.derive](record, today, **question.params)
        for question in policy.questions
    }


def _yes(detail: str, source: Source) -> Fact:
    return Fact(Answer.YES, detail, source.label, source.at)


def _no(detail: str, source: Source = NO_SOURCE) -> Fact:
    return Fact(Answer.NO, detail, source.label, source.at)


_HISTORY_WORDS = {
    "contact_sexual_offence_child": "a contact sexual offence against a child",
    "indecent_images": "an indecent-image offence",
    "other_sexual_offence": "another sexual offence",
    "registered_sex_offender": "registration as a sex offender",
    "sexual_harm_prevention_order": "a sexual harm prevention order",
    "violence": "violence",
    "domestic_abuse": "domestic abuse",
    "substance_misuse": "substance misuse",
    "other": "another offence",
}
_OUTCOME_WORDS = {
    "conviction": "a conviction for",
    "caution": "a caution for",
    "allegation": "a previous allegation of",
    "investigation": "an open investigation into",
    "nfa": "an allegation (no further action) of",
}


def history(record: ReferralRecord, today: date, types=(), outcomes=None) -> Fact:
    suspects = record.suspects
    if not suspects:
        return UNKNOWN
    refs = {suspect.ref for suspect in suspects}
    found = [
        item
        for item in record.history
        if item.person_ref in refs
        and item.type in types
        and (outcomes is None or item.outcome in outcomes)
    ]
    if found:
        item = max(found, key=lambda h: h.date or date.min)
        words = _OUTCOME_WORDS.get(item.outcome, "a record of")
        detail = f"{words} {_HISTORY_WORDS.get(item.type, item.type.replace('_', ' '))}"
        if item.type in {"registered_sex_offender", "sexual_harm_prevention_order"}:
            detail = _HISTORY_WORDS[item.type]
        return _yes(detail, item.source)
    if all(suspect.history_established for suspect in suspects):
        return _no("none found after checks", suspects[0].source)
    return UNKNOWN


def _children(record: ReferralRecord, today: date, under_age: int):
    return children_in_view(
        record.people,
        record.lives_with,
        record.access,
        on=today,
        known_by=record.known_by,
        adult_at=under_age,
    )


def lives_with_child(record: ReferralRecord, today: date, under_age: int = 18) -> Fact:
    suspects = record.suspects
    if not suspects:
        return UNKNOWN
    household = [c for c in _children(record, today, under_age) if "household" in c.relations]
    aged = [child for child in household if child.age is not None]
    if aged:
        child = min(aged, key=lambda found: found.age)
        elsewhere = f" (known from {child.known_from})" if child.known_from else ""
        return _yes(f"lives with a child aged {child.age}{elsewhere}", child.source)
    if household:
        return UNKNOWN
    if all(suspect.household_established for suspect in suspects):
        return _no("household established: no one under 18", suspects[0].source)
    return UNKNOWN


def access(record: ReferralRecord, today: date, kinds=(), under_age: int = ADULT) -> Fact:
    suspects = record.suspects
    if not suspects:
        return UNKNOWN
    for child in _children(record, today, under_age):
        kind = next((kind for kind in child.access_kinds if kind in kinds), None)
        if kind is not None:
            words = kind.replace("_", " ")
            aged = f" aged {child.age}" if child.age is not None else ""
            elsewhere = f" (known from {child.known_from})" if child.known_from else ""
            return _yes(f"has {words} access to a child{aged}{elsewhere}", child.source)
    if all(suspect.access_established for suspect in suspects):
        return _no("access to children established: none", suspects[0].source)
    return UNKNOWN


def works_with_children(record: ReferralRecord, today: date) -> Fact:
    suspects = record.suspects
    for suspect in suspects:
        if suspect.works_with_children:
            job = f" ({suspect.occupation})" if suspect.occupation else ""
            return _yes(f"works or volunteers with children{job}", suspect.source)
    if suspects and all(suspect.works_with_children is False for suspect in suspects):
        return _no("does not work or volunteer with children", suspects[0].source)
    return UNKNOWN


_SIGNAL_WORDS = {
    "indicator": "reported {}",
    "incident_type": "incident type: {}",
    "annotation": "annotated {}",
}


def referral_signals(
    record: ReferralRecord, today: date, indicators=(), incident_types=(), annotations=()
) -> Fact:
    wanted = {"indicator": indicators, "incident_type": incident_types, "annotation": annotations}
    for signal in record.signals:
        if signal.value in wanted.get(signal.kind, ()):
            words = _SIGNAL_WORDS[signal.kind].format(signal.value.replace("_", " "))
            return _yes(words, signal.source)
    return UNKNOWN


def child_victim(record: ReferralRecord, today: date, under_age: int = 18) -> Fact:
    for child in _children(record, today, under_age):
        if child.role == "victim" and not child.known_from:
            # A victim in a child abuse referral is a child unless shown otherwise.
            aged = f" aged {child.age}" if child.age is not None else ""
            return _yes(f"an identified child victim{aged}", child.source)
    return UNKNOWN


def _known_material(record: ReferralRecord):
    """The material known by the moment asked about: what was found later does not count."""
    for item in record.material:
        if item.found and record.known_by and item.source.at and item.source.at > record.known_by:
            continue
        yield item


def material(
    record: ReferralRecord, today: date, categories=(), classifications=(), annotations=()
) -> Fact:
    for item in _known_material(record):
        if item.category in categories:
            if item.found:
                files = "file" if item.count == 1 else "files"
                return _yes(
                    f"{item.count} {files} of category {item.category} material found",
                    item.source,
                )
            return _yes(f"category {item.category} material", item.source)
        if item.classification in classifications:
            return _yes(f"industry class {item.classification} material", item.source)
        for note in item.annotations:
            if note in annotations:
                return _yes(f"material annotated {note.replace('_', ' ')}", item.source)
    for signal in record.signals:
        if signal.kind == "annotation" and signal.value in annotations:
            return _yes(f"annotated {signal.value.replace('_', ' ')}", signal.source)
    return UNKNOWN


def escalated(record: ReferralRecord, today: date) -> Fact:
    if record.escalated:
        reason = f": {record.escalation_reason}" if record.escalation_reason else ""
        return _yes(f"escalated by the source{reason}", record.source)
    if record.escalated is False:
        return _no("not escalated by the source", record.source)
    return UNKNOWN


def suspect_identified(record: ReferralRecord, today: date) -> Fact:
    for suspect in record.suspects:
        if (
            suspect.first_name
            and suspect.last_name
            and (suspect.date_of_birth or suspect.has_home_address)
        ):
            return _yes(f"{suspect.first_name} {suspect.last_name}", suspect.source)
    if not record.suspects:
        return _no("no suspect is named")
    return _no("the suspect is not fully identified", record.suspects[0].source)


def suspect_is_child(record: ReferralRecord, today: date, under_age: int = 18) -> Fact:
    ages = [(suspect.age_on(today), suspect) for suspect in record.suspects]
    children = [(age, suspect) for age, suspect in ages if age is not None and age < under_age]
    if children:
        age, suspect = min(children, key=lambda child: child[0])
        return _yes(f"suspect aged {age}", suspect.source)
    if ages and all(age is not None for age, _ in ages):
        return _no("suspect is an adult", ages[0][1].source)
    return UNKNOWN


def words_known(record: ReferralRecord, today: date, fields=()) -> Fact:
    """Whether every word the grade could read is one Vigil knows: an incident type read as
    "other" may be the gravest there is, so it is not taken as the mildest."""
    unknown = [(field, word) for field, word in record.unknown_words if field in fields]
    if unknown:
        words = ", ".join(f"{field.replace('_', ' ')} {word!r}" for field, word in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        return _no(f"words Vigil does not know: {words}{more}", record.source)
    return _yes("every word the grade reads is one Vigil knows", record.source)


DERIVATIONS: dict[str, Callable[..., Fact]] = {
    "history": history,
    "lives_with_child": lives_with_child,
    "access": access,
    "works_with_children": works_with_children,
    "referral_signals": referral_signals,
    "child_victim": child_victim,
    "material": material,
    "escalated": escalated,
    "suspect_identified": suspect_identified,
    "suspect_is_child": suspect_is_child,
    "words_known": words_known,
}


# ---------------------------------------------------------------------------------------------
# When the answers can next change with nothing recorded


def age_thresholds(policy: Policy) -> frozenset[int]:
    """Every age on which the policy's answers turn: the ``under_age`` of each question whose
    derivation reads ages, as the policy sets it or as the derivation defaults it. A derivation
    reads ages exactly when it takes ``under_age``."""
    known = _THRESHOLDS.get(policy.sha256)
    if known is not None:
        return known
    found = set()
    for question in policy.questions:
        parameter = inspect.signature(DERIVATIONS[question.derive]).parameters.get("under_age")
        if parameter is not None:
            found.add(int(question.params.get("under_age", parameter.default)))
    return _THRESHOLDS.setdefault(policy.sha256, frozenset(found))


# Each policy text's ages, worked out once (a policy is read for every assessment).
_THRESHOLDS: dict[str, frozenset[int]] = {}


def next_change(record: ReferralRecord, policy: Policy, as_of: datetime) -> date | None:
    """The first day after ``as_of`` on which the answers to the policy may differ from those
    derived as of ``as_of`` with nothing newly recorded: the day someone on the record reaches an
    age the policy asks about, or the day a fact recorded as learned later than ``as_of`` comes
    into view (a route to a child, or material found). None when neither will ever happen (the
    answers stand until something is recorded).

    Between ``as_of`` and that day, ``derive_facts`` gives the same answers every day.
    """
    today = as_of.date()
    thresholds = age_thresholds(policy)
    days = [person.next_crossing(thresholds, today) for person in record.people]
    later = [
        route.known_since
        for route in routes(record.people, record.lives_with, record.access)
        if route.known_since is not None and route.known_since > as_of
    ]
    later.extend(
        item.source.at
        for item in record.material
        if item.found and item.source.at is not None and item.source.at > as_of
    )
    days.extend(max(moment.date(), today + timedelta(days=1)) for moment in later)
    return min((day for day in days if day is not None), default=None)

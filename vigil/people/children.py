"""Children in view: the one rule for which children a suspect can reach. Pure: no Django.

Safeguarding, grading, bail checks, worklists and insight all ask this one question. The
answer is built from plain records of people and of the ties between them (who lives with
whom, who has access to whom), from every source: the people who came with the referral,
facts recorded later, and what other referrals about the same person say (fed in as ties from
the suspect, marked with the referral they are known from). Each child carries their age on
the day asked and where the knowledge came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from .ages import Aged

ADULT = 18


@dataclass(frozen=True)
class Source:
    """Where a recorded fact came from ("NCA referral NCA-2020-0001", "intelligence check")."""

    label: str = ""
    at: datetime | None = None


NO_SOURCE = Source()


@dataclass(frozen=True)
class PersonRecord(Aged):
    ref: str
    role: str
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    stated_age: int | None = None
    stated_age_on: date | None = None
    occupation: str = ""
    works_with_children: bool | None = None
    household_established: bool = False
    access_established: bool = False
    history_established: bool = False
    has_home_address: bool = False
    source: Source = NO_SOURCE
    postcodes: tuple[str, ...] = ()
    # The other referral this person is known from ("" when it is the referral asked about).
    known_from: str = ""

    @property
    def name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or f"Unnamed ({self.ref})"


@dataclass(frozen=True)
class LivesWithRecord:
    person_ref: str
    other_ref: str
    source: Source = NO_SOURCE


@dataclass(frozen=True)
class AccessRecord:
    person_ref: str
    child_ref: str
    kind: str
    source: Source = NO_SOURCE


@dataclass(frozen=True)
class ChildInView:
    ref: str
    name: str
    age: int | None
    age_is_estimated: bool
    # household | access | victim | suspect (the suspect is a child themselves)
    relation: str
    source: Source
    role: str = ""
    known_from: str = ""
    access_kind: str = ""
    postcodes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "ref": self.ref,
            "name": self.name,
            "age": self.age,
            "age_is_estimated": self.age_is_estimated,
            "relation": self.relation,
            "access_kind": self.access_kind,
            "known_from": self.known_from,
            "source": self.source.label,
            "learned_at": self.source.at.isoformat() if self.source.at else None,
            "postcodes": list(self.postcodes),
        }


def household_of(
    suspect: PersonRecord,
    people: Sequence[PersonRecord],
    lives_with: Iterable[LivesWithRecord],
) -> list[tuple[PersonRecord, Source]]:
    """Who lives with the suspect, each with the source that says so."""
    by_ref = {person.ref: person for person in people}
    lives_with = list(lives_with)
    members = []
    for tie in lives_with:
        other = None
        if tie.person_ref == suspect.ref:
            other = by_ref.get(tie.other_ref)
        elif tie.other_ref == suspect.ref:
            other = by_ref.get(tie.person_ref)
        if other is not None:
            members.append((other, tie.source))
    tied = {tie.person_ref for tie in lives_with} | {tie.other_ref for tie in lives_with}
    # A household member the referral listed without saying whom they live with.
    members.extend(
        (person, person.source)
        for person in people
        if person.role == "household_member" and person.ref not in tied and not person.known_from
    )
    return members


def children_in_view(
    people: Sequence[PersonRecord],
    lives_with: Iterable[LivesWithRecord] = (),
    access: Iterable[AccessRecord] = (),
    *,
    on: date,
    known_by: datetime | None = None,
    adult_at: int = ADULT,
) -> list[ChildInView]:
    """Every child the referral's suspects can reach, with their age on ``on``.

    A child is someone under ``adult_at`` (18) on that day, or of unknown age (never assumed an
    adult).
    ``known_by`` leaves out what was learned after that moment (an "as of" view).
    """

    def known(source: Source) -> bool:
        return known_by is None or source.at is None or source.at <= known_by

    people = [person for person in people if known(person.source)]
    lives_with = [tie for tie in lives_with if known(tie.source)]
    access = [tie for tie in access if known(tie.source)]
    by_ref = {person.ref: person for person in people}
    suspects = [person for person in people if person.role == "suspect" and not person.known_from]
    suspect_refs = {suspect.ref for suspect in suspects}
    found: dict[str, ChildInView] = {}

    def add(person: PersonRecord, relation: str, source: Source, access_kind: str = "") -> None:
        if person.ref in found or person.ref in suspect_refs:
            return
        age = person.age_on(on)
        if age is not None and age >= adult_at:
            return
        found[person.ref] = ChildInView(
            ref=person.ref,
            name=person.name,
            age=age,
            age_is_estimated=person.age_is_estimated,
            relation=relation,
            source=source,
            role=person.role,
            known_from=person.known_from,
            access_kind=access_kind,
            postcodes=person.postcodes,
        )

    for suspect in suspects:
        for member, source in household_of(suspect, people, lives_with):
            add(member, "household", source)
    for tie in access:
        child = by_ref.get(tie.child_ref)
        if tie.person_ref in suspect_refs and child is not None:
            add(child, "access", tie.source, tie.kind)
    for person in people:
        if person.role == "victim" and not person.known_from:
            add(person, "victim", person.source)
    children = sorted(
        found.values(),
        key=lambda child: (child.known_from, child.age if child.age is not None else 99, child.ref),
    )
    for suspect in suspects:
        age = suspect.age_on(on)
        if age is not None and age < adult_at:
            children.append(
                ChildInView(
                    ref=suspect.ref,
                    name=suspect.name,
                    age=age,
                    age_is_estimated=suspect.age_is_estimated,
                    relation="suspect",
                    source=suspect.source,
                    role=suspect.role,
                )
            )
    return children

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
class Route:
    """One way the referral's suspect reaches someone: who, how, and the facts that say so.

    The routes are the structure alone (who lives with whom, who has access to whom); whether
    the person is a child is asked of a day, from their age then.
    """

    person: PersonRecord
    # household | access | victim | suspect (the suspect, when a child themselves)
    relation: str
    # The fact that makes the route: the tie, or the person (a victim, an untied household
    # member, the suspect).
    source: Source
    # Every fact the route stands on was known by then (None: known from the start).
    known_since: datetime | None = None
    access_kind: str = ""


@dataclass(frozen=True)
class ChildInView:
    ref: str
    name: str
    age: int | None
    age_is_estimated: bool
    # household | access | victim | suspect: the first way they are reached, in that order
    relation: str
    source: Source
    role: str = ""
    known_from: str = ""
    access_kind: str = ""
    postcodes: tuple[str, ...] = ()
    # Every way they are reached (a child may live with the suspect and be a victim too).
    relations: tuple[str, ...] = ()
    access_kinds: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "ref": self.ref,
            "name": self.name,
            "age": self.age,
            "age_is_estimated": self.age_is_estimated,
            "relation": self.relation,
            "relations": list(self.relations),
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


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


RELATIONS = ("household", "access", "victim", "suspect")


def routes(
    people: Sequence[PersonRecord],
    lives_with: Iterable[LivesWithRecord] = (),
    access: Iterable[AccessRecord] = (),
) -> list[Route]:
    """Every way the referral's suspects reach someone who is, or may yet be found to be, a
    child: the people they live with, the children they have access to, the victims, and the
    suspects themselves."""
    lives_with, access = list(lives_with), list(access)
    by_ref = {person.ref: person for person in people}
    suspects = [person for person in people if person.role == "suspect" and not person.known_from]
    suspect_refs = {suspect.ref for suspect in suspects}
    found: list[Route] = []
    for suspect in suspects:
        for member, source in household_of(suspect, people, lives_with):
            if member.ref not in suspect_refs:
                known = _latest(suspect.source.at, member.source.at, source.at)
                found.append(Route(member, "household", source, known))
    for tie in access:
        child = by_ref.get(tie.child_ref)
        suspect = by_ref.get(tie.person_ref)
        if tie.person_ref in suspect_refs and child is not None and child.ref not in suspect_refs:
            known = _latest(suspect.source.at, child.source.at, tie.source.at)
            found.append(Route(child, "access", tie.source, known, tie.kind))
    for person in people:
        if person.role == "victim" and not person.known_from:
            found.append(Route(person, "victim", person.source, person.source.at))
    found.extend(
        Route(suspect, "suspect", suspect.source, suspect.source.at) for suspect in suspects
    )
    return found


def is_child(route: Route, on: date, adult_at: int = ADULT) -> bool:
    """Whether the person a route reaches is a child on that day: under ``adult_at``, or of
    unknown age (never assumed an adult) — but a suspect only on a known age."""
    age = route.person.age_on(on)
    if route.relation == "suspect":
        return age is not None and age < adult_at
    return age is None or age < adult_at


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

    ``known_by`` leaves out what was learned after that moment (an "as of" view).
    """
    reached: dict[str, list[Route]] = {}
    for route in routes(people, lives_with, access):
        if known_by is not None and route.known_since is not None and route.known_since > known_by:
            continue
        if is_child(route, on, adult_at):
            reached.setdefault(route.person.ref, []).append(route)
    children = []
    for ways in reached.values():
        ways.sort(key=lambda way: RELATIONS.index(way.relation))
        first, person = ways[0], ways[0].person
        children.append(
            ChildInView(
                ref=person.ref,
                name=f"{person.name} (the suspect)" if first.relation == "suspect" else person.name,
                age=person.age_on(on),
                age_is_estimated=person.age_is_estimated,
                relation=first.relation,
                source=first.source,
                role=person.role,
                known_from=person.known_from,
                access_kind=first.access_kind,
                postcodes=person.postcodes,
                relations=tuple(way.relation for way in ways),
                access_kinds=tuple(way.access_kind for way in ways if way.access_kind),
            )
        )
    children.sort(
        key=lambda child: (
            child.relation == "suspect",
            child.known_from,
            child.age if child.age is not None else 99,
            child.ref,
        )
    )
    return children

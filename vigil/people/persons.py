"""One person across referrals: the records deconfliction joined, as far as an actor may see.

A person is recorded per referral; the same human in two referrals is two ``Person`` rows joined
by a ``Link``. ``linked_people`` follows the links from one record to every record of the same
person, stepping only through records of referrals the actor may see (so nothing is learned
through a referral they may not open, not even that it exists), and ``person_facts`` gathers
what those records say: names, ages, identifiers, addresses over time and households.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.http import Http404

from vigil.audit.choices import AuditAction as Audit
from vigil.audit.services import record
from vigil.core.permissions import require
from vigil.core.roles import Action

from .choices import PersonRole
from .models import Access, Address, Identifier, Link, LivesWith, Person

# The most records of one person gathered for a page (a person linked more widely than this is
# shown in part, and the page says so).
MAX_RECORDS = 200


@dataclass
class LinkedPeople:
    """The records of one person an actor may see, the links between them, and whether the
    gathering stopped at ``MAX_RECORDS``."""

    person: Person
    records: list[Person]
    links: list[Link]
    truncated: bool = False


def find_person(actor, person_id: int) -> Person:
    """One person's record if this actor may see its referral; else Http404 (as for a referral
    of another force)."""
    require(actor, Action.REFERRAL_VIEW)
    person = (
        Person.objects.restrict(actor, Action.REFERRAL_VIEW)
        .filter(pk=person_id)
        .select_related("referral__force")
        .first()
    )
    if person is None:
        raise Http404("No person found.")
    return person


def linked_people(actor, person: Person, *, limit: int = MAX_RECORDS) -> LinkedPeople:
    """Every record of the same person the actor may see, following deconfliction's links from
    one visible record to the next (at most ``limit`` records)."""
    visible = Person.objects.restrict(actor, Action.REFERRAL_VIEW)
    found = {person.pk: person}
    links: dict[int, Link] = {}
    frontier = {person.pk}
    truncated = False
    while frontier:
        rows = list(
            Link.objects.filter(Q(person_id__in=frontier) | Q(linked_person_id__in=frontier))
        )
        candidates = {
            pk for row in rows for pk in (row.person_id, row.linked_person_id)
        } - found.keys()
        new = {
            row.pk: row
            for row in visible.filter(pk__in=candidates)
            .select_related("referral__force")
            .order_by("pk")
        }
        room = limit - len(found)
        if len(new) > room:
            truncated = True
            new = dict(sorted(new.items())[:room])
        found.update(new)
        for row in rows:
            if row.person_id in found and row.linked_person_id in found:
                links[row.pk] = row
        frontier = set(new)
    records = sorted(found.values(), key=lambda p: (p.referral.received_at, p.referral_id, p.pk))
    return LinkedPeople(
        person=person,
        records=records,
        links=sorted(links.values(), key=lambda link: link.pk),
        truncated=truncated,
    )


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def record_of(person: Person, *, as_of: datetime) -> dict:
    """One record of a person as a referral holds it, with their age on the day asked."""
    return {
        "person_id": person.pk,
        "referral_id": person.referral_id,
        "ref": person.ref,
        "role": person.role,
        "relation": person.relation,
        "name": person.display_name,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": _iso(person.date_of_birth),
        "stated_age": person.stated_age,
        "stated_age_on": _iso(person.stated_age_on),
        "age_today": person.age_on(as_of.date()),
        "age_is_estimated": person.age_is_estimated,
        "gender": person.gender,
        "occupation": person.occupation,
        "source": person.source,
        "learned_at": _iso(person.learned_at),
    }


def person_facts(actor, linked: LinkedPeople, *, as_of: datetime) -> dict:
    """What the records of one person say, each fact with the referrals it came from:
    identifiers (one per normalised value), addresses over time, and households."""
    ids = [person.pk for person in linked.records]
    referral_ids = {person.referral_id for person in linked.records}
    return {
        "records": [record_of(person, as_of=as_of) for person in linked.records],
        "links": [
            {
                "person_id": link.person_id,
                "referral_id": link.referral_id,
                "linked_person_id": link.linked_person_id,
                "linked_referral_id": link.linked_referral_id,
                "reason": link.reason,
                "reason_text": link.get_reason_display(),
                "matched_on": link.matched_on,
            }
            for link in linked.links
        ],
        "identifiers": _identifiers(actor, ids),
        "addresses": _addresses(actor, ids),
        "households": _households(actor, linked.records, referral_ids, as_of=as_of),
    }


def _identifiers(actor, ids: list[int]) -> list[dict]:
    rows = (
        Identifier.objects.restrict(actor, Action.REFERRAL_VIEW)
        .filter(person_id__in=ids)
        .select_related("person")
        .order_by("kind", "normalised", "seen_at", "id")
    )
    found: dict[tuple, dict] = {}
    for row in rows:
        key = (row.kind, row.normalised, row.service.casefold())
        item = found.get(key)
        if item is None:
            item = found[key] = {
                "kind": row.kind,
                "kind_as_given": row.kind_text,
                "value": row.value,
                "normalised": row.normalised,
                "service": row.service,
                "first_seen_at": _iso(row.seen_at),
                "last_seen_at": _iso(row.seen_at),
                "seen": [],
                "referral_ids": [],
            }
        if row.seen_at:
            seen = row.seen_at.isoformat()
            item["first_seen_at"] = min(item["first_seen_at"] or seen, seen)
            item["last_seen_at"] = max(item["last_seen_at"] or seen, seen)
        item["seen"].append(
            {
                "referral_id": row.person.referral_id,
                "value": row.value,
                "seen_at": _iso(row.seen_at),
                "port": row.port,
                "event": row.event,
                "source": row.source,
                "learned_at": _iso(row.learned_at),
            }
        )
        if row.person.referral_id not in item["referral_ids"]:
            item["referral_ids"].append(row.person.referral_id)
    return list(found.values())


def _addresses(actor, ids: list[int]) -> list[dict]:
    rows = (
        Address.objects.restrict(actor, Action.REFERRAL_VIEW)
        .filter(person_id__in=ids)
        .select_related("person")
        .order_by("id")
    )
    found: dict[tuple, dict] = {}
    for row in rows:
        key = (row.kind, row.line1.casefold().strip(), row.postcode_key or "", row.lived_from)
        item = found.get(key)
        if item is None:
            item = found[key] = {
                "kind": row.kind,
                "text": str(row),
                "line1": row.line1,
                "line2": row.line2,
                "town": row.town,
                "region": row.region,
                "postcode": row.postcode,
                "country": row.country,
                "lived_from": _iso(row.lived_from),
                "lived_until": _iso(row.lived_until),
                "sources": [],
                "referral_ids": [],
            }
        if row.lived_until and (
            item["lived_until"] is None or row.lived_until.isoformat() > item["lived_until"]
        ):
            item["lived_until"] = row.lived_until.isoformat()
        source = {
            "referral_id": row.person.referral_id,
            "source": row.source,
            "learned_at": _iso(row.learned_at),
        }
        if source not in item["sources"]:
            item["sources"].append(source)
        if row.person.referral_id not in item["referral_ids"]:
            item["referral_ids"].append(row.person.referral_id)
    # Oldest first; an address with no dates after those with them, in the order learned.
    return sorted(
        found.values(),
        key=lambda item: (
            item["lived_from"] is None and item["lived_until"] is None,
            item["lived_from"] or "",
            item["lived_until"] or "9999",
        ),
    )


def _households(actor, records: list[Person], referral_ids: set[int], *, as_of: datetime):
    """For each record, whom they live with in that referral (a suspect also with the household
    members the referral listed without saying whom they live with, as ``people.children``
    reads them)."""
    ids = {person.pk for person in records}
    ties = (
        LivesWith.objects.restrict(actor, Action.REFERRAL_VIEW)
        .filter(Q(person_id__in=ids) | Q(other_id__in=ids))
        .values_list("person_id", "other_id", "source", "learned_at")
    )
    members: dict[int, dict[int, tuple]] = defaultdict(dict)
    for a, b, source, learned_at in ties:
        if a in ids and a != b:
            members[a].setdefault(b, (source, learned_at))
        if b in ids and a != b:
            members[b].setdefault(a, (source, learned_at))
    suspects = [person for person in records if person.role == PersonRole.SUSPECT]
    if suspects:
        tied = set()
        for pair in (
            LivesWith.objects.restrict(actor, Action.REFERRAL_VIEW)
            .filter(person__referral_id__in=referral_ids)
            .values_list("person_id", "other_id")
        ):
            tied |= set(pair)
        untied = (
            Person.objects.restrict(actor, Action.REFERRAL_VIEW)
            .filter(
                referral_id__in={s.referral_id for s in suspects},
                role=PersonRole.HOUSEHOLD_MEMBER,
            )
            .exclude(pk__in=tied)
            .values_list("pk", "referral_id", "source", "learned_at")
        )
        for pk, referral_id, source, learned_at in untied:
            for suspect in suspects:
                if suspect.referral_id == referral_id:
                    members[suspect.pk].setdefault(pk, (source, learned_at))
    wanted = {pk for found in members.values() for pk in found}
    people = {
        person.pk: person
        for person in Person.objects.restrict(actor, Action.REFERRAL_VIEW).filter(pk__in=wanted)
    }
    households = []
    for person in records:
        shown = [
            {
                **record_of(people[pk], as_of=as_of),
                "tie_source": source,
                "tie_learned_at": _iso(learned_at),
            }
            for pk, (source, learned_at) in sorted(members[person.pk].items())
            if pk in people
        ]
        if shown:
            households.append(
                {"person_id": person.pk, "referral_id": person.referral_id, "members": shown}
            )
    return households


def reaching_referrals(actor, records: list[Person]) -> set[int]:
    """The referrals whose children in view may include one of these records: their own, and
    those of anyone linked to a person who lives with or has access to one of them (the one
    rule brings a linked person's household into the suspect's view)."""
    visible = Person.objects.restrict(actor, Action.REFERRAL_VIEW)
    ids = {person.pk for person in records}
    found = {person.referral_id for person in records}
    tied = set()
    for a, b in (
        LivesWith.objects.restrict(actor, Action.REFERRAL_VIEW)
        .filter(Q(person_id__in=ids) | Q(other_id__in=ids))
        .values_list("person_id", "other_id")
    ):
        tied |= {a, b}
    tied |= set(
        Access.objects.restrict(actor, Action.REFERRAL_VIEW)
        .filter(child_id__in=ids)
        .values_list("person_id", flat=True)
    )
    tied -= ids
    if tied:
        linked = set()
        for a, b in Link.objects.filter(
            Q(person_id__in=tied) | Q(linked_person_id__in=tied)
        ).values_list("person_id", "linked_person_id"):
            linked |= {a, b}
        found |= set(visible.filter(pk__in=linked - tied).values_list("referral_id", flat=True))
    return found


def record_look(actor, linked: LinkedPeople, *, at: datetime) -> None:
    """Audit that the actor looked at a person, and which records and referrals they saw."""
    person = linked.person
    record(
        actor,
        Audit.PERSON_VIEWED,
        person,
        at=at,
        force_code=person.referral.force.code,
        referral_id=person.referral_id,
        after={
            "referrals": sorted({p.referral_id for p in linked.records}),
            "people": sorted(p.pk for p in linked.records),
        },
    )


def people_by_ref(actor, referral_ids: set[int]) -> dict[tuple[int, str], Person]:
    """Each visible person of these referrals by (referral id, ref)."""
    return {
        (person.referral_id, person.ref): person
        for person in Person.objects.restrict(actor, Action.REFERRAL_VIEW).filter(
            referral_id__in=referral_ids
        )
    }


def suspects_of(actor, referral_ids: set[int]) -> dict[int, list[Person]]:
    """The suspects of each of these referrals the actor may see."""
    found: dict[int, list[Person]] = defaultdict(list)
    for person in Person.objects.restrict(actor, Action.REFERRAL_VIEW).filter(
        referral_id__in=referral_ids, role=PersonRole.SUSPECT
    ):
        found[person.referral_id].append(person)
    return found

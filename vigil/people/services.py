"""Storing the people of a referral and recognising them in other referrals (deconfliction)."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.audit.choices import AuditAction as Audit
from vigil.core.roles import Action
from vigil.referrals.changes import Change, RecordError, learned
from vigil.referrals.drafts import AccessDraft, PersonDraft, ResearchDraft
from vigil.referrals.models import Referral
from vigil.referrals.recordings import recording

from .children import (
    AccessRecord,
    LivesWithRecord,
    PersonRecord,
    Source,
    children_in_view,
)
from .choices import AccessKind, AddressKind, HistoryOutcome, HistoryType, PersonRole
from .models import (
    Access,
    Address,
    Check,
    History,
    Identifier,
    Link,
    LivesWith,
    MatchKey,
    Person,
    Research,
)
from .normalise import match_keys, normalise
from .schemas import AccessIn, HistoryIn, HouseholdMemberIn, PersonCorrectionIn

# A step recorded in this part, on its section of the referral page.
step = partial(recording, section="facts")


# Rows of a model planned now and inserted later with others (an import's batch): given the
# model and new rows, it sets each row's id, the one the database would have given it inserted
# at once, keeps the rows to insert and returns them.
Plan = Callable[[type, list], list]


@dataclass
class StoredPeople:
    """The rows ``add_people`` wrote for a new referral, as they were written (in id order): what
    its grading reads, without reading them back (``new_people_records``)."""

    people: list[Person]
    addresses: list[Address]
    history: list[History]
    lives_with: list[LivesWith]
    access: list[Access]


def add_people(
    referral,
    drafts: list[PersonDraft],
    access: list[AccessDraft],
    *,
    defer_identifiers: list[Identifier] | None = None,
    plan: Plan | None = None,
) -> StoredPeople:
    """Store the referral's people with everything known about them, in the caller's transaction.
    ``defer_identifiers``: their identifiers are put on this list, for the caller to store with
    others in the same transaction (``add_identifiers``), instead of inserted here. ``plan``:
    the people, addresses, history, ties, access and match keys are given their ids and left to
    the caller to insert with those of other referrals (see ``Plan``), instead of inserted here."""
    insert = plan or _insert
    received_on = referral.received_at.date()
    # Facts that arrive with a referral are known from its receipt, on its authority.
    source = f"{referral.get_source_display()} referral {referral.source_reference}"
    learned = {"source": source[:200], "learned_at": referral.received_at}
    people = insert(
        Person,
        [
            Person(
                referral=referral,
                ref=draft.ref,
                role=draft.role,
                role_text=draft.role_text,
                relation=draft.relation,
                first_name=draft.first_name,
                last_name=draft.last_name,
                date_of_birth=draft.date_of_birth,
                stated_age=draft.stated_age,
                stated_age_on=received_on if draft.stated_age is not None else None,
                gender=draft.gender,
                occupation=draft.occupation,
                works_with_children=draft.works_with_children,
                school_name=draft.school_name,
                household_established=draft.household_established,
                access_established=draft.access_established,
                history_established=draft.history_established,
                notes=draft.notes,
                **learned,
            )
            for draft in drafts
        ],
    )
    by_ref = {person.ref: person for person in people}
    identifiers, addresses, history, lives_with = [], [], [], set()
    for draft, person in zip(drafts, people, strict=True):
        for item in draft.identifiers:
            identifiers.append(
                Identifier(
                    person=person,
                    kind=item.kind,
                    kind_text=item.kind_text,
                    value=item.value,
                    normalised=normalise(item.kind, item.value),
                    service=item.service,
                    seen_at=item.seen_at,
                    port=item.port,
                    event=item.event,
                    **learned,
                )
            )
        addresses.extend(
            Address(person=person, **asdict(item), **learned) for item in draft.addresses
        )
        history.extend(History(person=person, **asdict(item), **learned) for item in draft.history)
        for other in draft.lives_with:
            # One row per pair, whichever side listed it.
            pair = tuple(sorted((person.pk, by_ref[other].pk)))
            if pair[0] != pair[1]:
                lives_with.add(pair)
    if defer_identifiers is None:
        Identifier.objects.bulk_create(identifiers)
    else:
        defer_identifiers.extend(identifiers)
    insert(Address, addresses)
    insert(History, history)
    ties = insert(
        LivesWith, [LivesWith(person_id=a, other_id=b, **learned) for a, b in sorted(lives_with)]
    )
    reached = insert(
        Access,
        list(
            {
                (entry.person_ref, entry.child_ref, entry.kind): Access(
                    person=by_ref[entry.person_ref],
                    child=by_ref[entry.child_ref],
                    kind=entry.kind,
                    **learned,
                )
                for entry in access
            }.values()
        ),
    )
    _store_match_keys(referral, people, identifiers, addresses, insert)
    return StoredPeople(people, addresses, history, ties, reached)


def add_identifiers(identifiers: list[Identifier]) -> None:
    """Store identifiers ``add_people`` left to the caller, in order, with one insert."""
    Identifier.objects.bulk_create(identifiers)


def _insert(model, rows: list) -> list:
    return model.objects.bulk_create(rows)


def _store_match_keys(
    referral,
    people: list[Person],
    identifiers: list[Identifier],
    addresses: list[Address],
    insert=_insert,
) -> None:
    by_person, homes = defaultdict(list), defaultdict(list)
    for item in identifiers:
        by_person[item.person_id].append((item.kind, item.normalised, item.service))
    for item in addresses:
        if item.kind == AddressKind.HOME:
            homes[item.person_id].append((item.line1, item.postcode))
    referral.new_match_keys = insert(MatchKey, _match_key_rows(referral, people, by_person, homes))


def _match_key_rows(referral, people, identifiers: dict, homes: dict) -> list[MatchKey]:
    rows = []
    for person in people:
        for reason, key, shown in match_keys(
            identifiers[person.pk],
            person.first_name,
            person.last_name,
            person.date_of_birth,
            homes[person.pk],
        ):
            row = MatchKey(
                person=person,
                referral=referral,
                is_suspect=person.role == PersonRole.SUSPECT,
                reason=reason,
                key=key,
            )
            # What the key means to a reader ("a@example.com"), for the link it may make.
            row.shown = shown
            rows.append(row)
    return rows


def relink(change: Change, people: list[Person]) -> list[Link]:
    """Match these people again against every force's referrals, on what they can newly be
    recognised by; the new links go on the change (their holders are told as it ends)."""
    keys = refresh_match_keys(change.referral, people)
    links = link_people(change.referral, people, keys) if keys else []
    change.links.extend(links)
    return links


def refresh_match_keys(referral, people: list[Person]) -> list[MatchKey]:
    """Store the keys these people can now be matched on that they did not have before (a new
    identifier, a home address, a name and date of birth learned), and return those."""
    identifiers, homes = defaultdict(list), defaultdict(list)
    for kind, value, service, person_id in Identifier.objects.filter(person__in=people).values_list(
        "kind", "normalised", "service", "person_id"
    ):
        identifiers[person_id].append((kind, value, service))
    for line1, postcode, person_id in Address.objects.filter(
        person__in=people, kind=AddressKind.HOME
    ).values_list("line1", "postcode", "person_id"):
        homes[person_id].append((line1, postcode))
    held = set(MatchKey.objects.filter(person__in=people).values_list("person_id", "key"))
    rows = [
        row
        for row in _match_key_rows(referral, people, identifiers, homes)
        if (row.person_id, row.key) not in held
    ]
    MatchKey.objects.bulk_create(rows)
    return rows


def link_people(
    referral,
    people: list[Person],
    keys: list[MatchKey] | None = None,
    *,
    held_keys: Callable[[set[str]], dict[str, list[dict]]] | None = None,
    plan: Plan | None = None,
) -> list[Link]:
    """Link this referral's people to anyone already held who shares a key with them, on the
    keys given (those just learned) or all the referral's; return the links that are new.

    Only pairs where at least one side is a suspect are linked: that is the question the
    deconfliction answers (is this suspect known, or is someone here a suspect elsewhere?).
    One indexed lookup, whatever the number of referrals held. ``held_keys``: the rows held
    under each of some keys, where the caller has them (an import's batch, looked up at once),
    in place of the lookup; ``plan``: the links are planned, not inserted (see ``Plan``).
    """
    mine = keys if keys is not None else getattr(referral, "new_match_keys", None)
    if mine is None:
        mine = list(MatchKey.objects.filter(referral=referral))
    if not mine:
        return []
    wanted = {row.key for row in mine}
    by_key = held_keys(wanted) if held_keys is not None else _held_keys(wanted, referral)
    held = set()
    if keys is not None:
        # Research learns a key later: the pair may already be linked, either way round.
        pairs = Link.objects.filter(Q(person__in=people) | Q(linked_person__in=people)).values_list(
            "person_id", "linked_person_id", "reason"
        )
        for a, b, reason in pairs:
            held |= {(a, b, reason), (b, a, reason)}
    links = []
    for row in mine:
        for match in by_key.get(row.key, ()):
            if match["referral_id"] == referral.pk:
                continue
            if not (row.is_suspect or match["is_suspect"]):
                continue
            if (row.person_id, match["person_id"], row.reason) in held:
                continue
            held.add((row.person_id, match["person_id"], row.reason))
            links.append(
                Link(
                    person_id=row.person_id,
                    referral=referral,
                    linked_person_id=match["person_id"],
                    linked_referral_id=match["referral_id"],
                    reason=row.reason,
                    matched_on=getattr(row, "shown", row.key),
                )
            )
    if plan is not None:
        # A new referral's links: its people are new, so none can be held already.
        return plan(Link, links)
    return Link.objects.bulk_create(links, ignore_conflicts=True)


def _held_keys(keys: set[str], referral) -> dict[str, list[dict]]:
    by_key = defaultdict(list)
    for row in (
        MatchKey.objects.filter(key__in=keys)
        .exclude(referral=referral)
        .values("person_id", "referral_id", "key", "is_suspect")
    ):
        by_key[row["key"]].append(row)
    return by_key


def keys_held(keys: Iterable[str]) -> dict[str, list[dict]]:
    """The match key rows held under these keys, each key's in the order they were stored
    (the order a lookup of one referral's keys reads them), in a few queries however many."""
    keys = sorted(set(keys))
    by_key = defaultdict(list)
    for start in range(0, len(keys), 5000):
        rows = MatchKey.objects.filter(key__in=keys[start : start + 5000]).order_by("pk")
        for row in rows.values("person_id", "referral_id", "key", "is_suspect"):
            by_key[row["key"]].append(row)
    return by_key


def draft_keys(drafts: list[PersonDraft]) -> set[str]:
    """The keys the people of a referral's draft will be matched on, once stored."""
    found = set()
    for draft in drafts:
        identifiers = [
            (item.kind, normalise(item.kind, item.value), item.service)
            for item in draft.identifiers
        ]
        homes = [(a.line1, a.postcode) for a in draft.addresses if a.kind == AddressKind.HOME]
        found.update(
            key
            for _, key, _ in match_keys(
                identifiers, draft.first_name, draft.last_name, draft.date_of_birth, homes
            )
        )
    return found


def linked_referrals(referral, viewer) -> list[dict]:
    """Referrals that share a person with this one, each with why; other forces' only by name."""
    links = Link.objects.filter(Q(referral=referral) | Q(linked_referral=referral))
    visible = set(
        Referral.objects.restrict(viewer)
        .filter(
            pk__in={link.referral_id for link in links}
            | {link.linked_referral_id for link in links}
        )
        .values_list("pk", flat=True)
    )
    others = {
        row["pk"]: row
        for row in Referral.objects.filter(
            pk__in={link.linked_referral_id for link in links}
            | {link.referral_id for link in links}
        ).values("pk", "source", "source_reference", "force__code", "received_at")
    }
    people = {
        person.pk: person
        for person in Person.objects.filter(
            pk__in={link.person_id for link in links} | {link.linked_person_id for link in links}
        )
    }
    found = []
    for link in links:
        if link.referral_id == referral.pk:
            here, there, other_id = link.person_id, link.linked_person_id, link.linked_referral_id
        else:
            here, there, other_id = link.linked_person_id, link.person_id, link.referral_id
        other = others[other_id]
        can_see = other_id in visible
        # A referral this person may not open is named only by the force that holds it: enough
        # to ask them, nothing of their case.
        found.append(
            {
                "referral_id": other_id if can_see else None,
                "force": other["force__code"],
                "source": other["source"] if can_see else "",
                "source_reference": other["source_reference"] if can_see else "",
                "received_at": other["received_at"].isoformat() if can_see else None,
                "visible": can_see,
                "person_ref": people[here].ref,
                "person_role": people[here].role,
                "their_role": people[there].role,
                "reason": link.reason,
                "reason_text": link.get_reason_display(),
                "matched_on": link.matched_on,
            }
        )
    found.sort(
        key=lambda item: (item["received_at"] or "", item["source_reference"], item["reason"])
    )
    return found


def referral_people(referral) -> list[Person]:
    """A referral's own people, in order, with what ``people_detail`` shows of each."""
    return list(
        Person.objects.filter(referral=referral).prefetch_related(
            "identifiers", "addresses", "history"
        )
    )


def people_detail(referral, *, as_of: datetime, people: list[Person] | None = None) -> list[dict]:
    """``people``: ``referral_people(referral)``, when the caller has read them."""
    people = referral_people(referral) if people is None else people
    refs = {person.pk: person.ref for person in people}
    lives_with = defaultdict(list)
    # Only ties between the people just read: a page read while someone adds a person sees a
    # consistent household, not a tie to someone it has not read.
    for a, b in LivesWith.objects.filter(person_id__in=refs, other_id__in=refs).values_list(
        "person_id", "other_id"
    ):
        lives_with[a].append(refs[b])
        lives_with[b].append(refs[a])
    today = as_of.date()
    return [
        {
            "id": person.pk,
            "ref": person.ref,
            "role": person.role,
            "role_as_given": person.role_text,
            "relation": person.relation,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "stated_age": person.stated_age,
            "stated_age_on": person.stated_age_on.isoformat() if person.stated_age_on else None,
            "age_today": person.age_on(today),
            "age_is_estimated": person.age_is_estimated,
            "gender": person.gender,
            "occupation": person.occupation,
            "works_with_children": person.works_with_children,
            "school_name": person.school_name,
            "household_established": person.household_established,
            "access_established": person.access_established,
            "history_established": person.history_established,
            "notes": person.notes,
            "lives_with": sorted(lives_with[person.pk]),
            "identifiers": [
                {
                    "type": item.kind,
                    "value": item.value,
                    "normalised": item.normalised,
                    "service": item.service,
                    "seen_at": item.seen_at.isoformat() if item.seen_at else None,
                    "port": item.port,
                    "event": item.event,
                    "type_as_given": item.kind_text,
                    "source": item.source,
                    "learned_at": item.learned_at.isoformat() if item.learned_at else None,
                }
                for item in person.identifiers.all()
            ],
            "addresses": [
                {
                    "kind": item.kind,
                    "line1": item.line1,
                    "line2": item.line2,
                    "town": item.town,
                    "region": item.region,
                    "postcode": item.postcode,
                    "country": item.country,
                    "lived_from": item.lived_from.isoformat() if item.lived_from else None,
                    "lived_until": item.lived_until.isoformat() if item.lived_until else None,
                    "text": str(item),
                    "source": item.source,
                }
                for item in person.addresses.all()
            ],
            "history": [
                {
                    "type": item.type,
                    "outcome": item.outcome,
                    "date": item.date.isoformat() if item.date else None,
                    "description": item.description,
                }
                for item in person.history.all()
            ],
        }
        for person in people
    ]


def research_detail(referral) -> dict:
    """The research recorded on a referral, newest first, and every check done."""
    records = Research.objects.filter(referral=referral).order_by("-learned_at", "-id")
    checks = Check.objects.filter(referral=referral).select_related("person")
    return {
        "records": [
            {
                "id": item.pk,
                "source": item.source,
                "learned_at": item.learned_at.isoformat(),
                "recorded_by": item.recorded_by_name,
                "recorded_at": item.recorded_at.isoformat(),
                "added": item.summary,
            }
            for item in records
        ],
        "checks": [
            {
                "system": check.system,
                "system_text": check.system_text or check.get_system_display(),
                "person_ref": check.person.ref if check.person else None,
                "person": str(check.person) if check.person else None,
                "done_at": check.done_at.isoformat(),
                "done_by": check.done_by_name,
                "result": check.result,
                "source": check.source,
            }
            for check in checks
        ],
    }


def access_detail(referral) -> list[dict]:
    return [
        {"subject": person_ref, "child": child_ref, "kind": kind}
        for person_ref, child_ref, kind in Access.objects.filter(
            person__referral=referral
        ).values_list("person__ref", "child__ref", "kind")
    ]


# ---------------------------------------------------------------------------------------------
# The people of a referral as plain records, and the children in view (``children.py``)


@dataclass
class PeopleRecords:
    people: list[PersonRecord]
    lives_with: list[LivesWithRecord]
    access: list[AccessRecord]
    # For each person known from another referral, that referral's id (by the record's ref).
    origins: dict[str, int]


def _referral_label(referral) -> str:
    return f"{referral.get_source_display()} referral {referral.source_reference}"


def _record(
    person: Person, fallback: Source, *, ref: str = "", known_from: str = "", addresses=None
) -> PersonRecord:
    addresses = list(person.addresses.all()) if addresses is None else addresses
    return PersonRecord(
        ref=ref or person.ref,
        role=person.role,
        first_name=person.first_name,
        last_name=person.last_name,
        date_of_birth=person.date_of_birth,
        stated_age=person.stated_age,
        stated_age_on=person.stated_age_on,
        occupation=person.occupation,
        works_with_children=person.works_with_children,
        household_established=person.household_established,
        access_established=person.access_established,
        history_established=person.history_established,
        has_home_address=any(a.kind == "home" and (a.line1 or a.postcode) for a in addresses),
        source=Source(person.source, person.learned_at) if person.source else fallback,
        postcodes=tuple(
            sorted({"".join(a.postcode.split()).upper() for a in addresses if a.postcode})
        ),
        known_from=known_from,
    )


def _source(label: str, at, fallback: Source) -> Source:
    return Source(label, at) if label else fallback


def people_records(referral, *, linked: bool = True) -> PeopleRecords:
    """The referral's people and ties, and, through deconfliction's links, the children other
    referrals about the same suspect place in that suspect's home or reach."""
    records = records_of_many(Referral.objects.filter(pk=referral.pk)).get(
        referral.pk, PeopleRecords([], [], [], {})
    )
    if linked:
        suspects = {
            person.pk: person
            for person in Person.objects.filter(referral=referral, role=PersonRole.SUSPECT)
        }
        _add_linked(referral, suspects, records)
    return records


def new_people_records(referral, stored: StoredPeople, links: list[Link]) -> PeopleRecords:
    """``people_records`` of a referral stored a moment ago in this transaction, built from the
    rows in hand (``add_people``'s, and the links ``link_people`` made) instead of read back:
    the same records, field for field, with the times as the database gives them back (UTC).
    Nothing else can have written to a referral that is not yet committed; the children of
    other referrals, reached through the links, are read as ``people_records`` reads them."""
    label = Source(_referral_label(referral), _utc(referral.received_at))
    homes = defaultdict(list)
    for address in stored.addresses:
        homes[address.person_id].append(address)
    records = PeopleRecords(
        [_record(_in_utc(person), label, addresses=homes[person.pk]) for person in stored.people],
        [],
        [],
        {},
    )
    refs = {person.pk: person.ref for person in stored.people}
    for tie in _as_read(stored.lives_with, "person_id", "other_id"):
        records.lives_with.append(
            LivesWithRecord(
                refs[tie.person_id],
                refs[tie.other_id],
                _source(tie.source, _utc(tie.learned_at), label),
            )
        )
    for entry in _as_read(stored.access, "person_id", "child_id", "kind"):
        records.access.append(
            AccessRecord(
                refs[entry.person_id],
                refs[entry.child_id],
                entry.kind,
                _source(entry.source, _utc(entry.learned_at), label),
            )
        )
    suspects = {person.pk: person for person in stored.people if person.role == PersonRole.SUSPECT}
    # A new referral's people are linked only by the links it made itself (nobody stored
    # before it can have linked to people who did not exist).
    pairs = {(link.person_id, link.linked_person_id) for link in links}
    _add_linked(referral, suspects, records, pairs={p for p in pairs if p[0] in suspects})
    return records


def _utc(at):
    return at.astimezone(UTC) if at is not None else None


def _in_utc(person: Person) -> Person:
    if person.learned_at is not None and person.learned_at.tzinfo is not UTC:
        person.learned_at = _utc(person.learned_at)
    return person


def _as_read(rows: list, *names: str) -> list:
    """Rows in the order a query without ORDER BY gives them back (by their unique key on
    SQLite, whose plan reads that index; as inserted on PostgreSQL)."""
    if connection.vendor == "sqlite":
        return sorted(rows, key=lambda row: tuple(getattr(row, name) for name in names))
    return list(rows)


def records_of_many(referrals, *, addresses: bool = True) -> dict[int, PeopleRecords]:
    """The people and ties of the referrals in a queryset, in a handful of queries however many
    there are (for counting across a force's year: only referrals with people come back).
    Without ``addresses``, people carry no postcodes (counting children does not need them)."""
    chosen = referrals.values("pk")
    people = (
        Person.objects.filter(referral__in=chosen)
        .select_related("referral")
        .order_by("referral_id", "id")
    )
    if addresses:
        people = people.prefetch_related("addresses")
    found: dict[int, PeopleRecords] = {}
    labels: dict[int, Source] = {}
    refs = {}
    for person in people.iterator(chunk_size=2000) if not addresses else people:
        referral = person.referral
        if referral.pk not in labels:
            labels[referral.pk] = Source(_referral_label(referral), referral.received_at)
            found[referral.pk] = PeopleRecords([], [], [], {})
        refs[person.pk] = (referral.pk, person.ref)
        found[referral.pk].people.append(
            _record(person, labels[referral.pk], addresses=None if addresses else [])
        )
    # Only ties between the people just read: a page read while someone adds a person sees a
    # consistent household, not a tie to someone it has not read.
    ties = LivesWith.objects.filter(person__referral__in=chosen).values_list(
        "person_id", "other_id", "source", "learned_at"
    )
    for person_id, other_id, label, learned_at in ties.iterator(chunk_size=2000):
        if person_id in refs and other_id in refs:
            referral_id, ref = refs[person_id]
            found[referral_id].lives_with.append(
                LivesWithRecord(
                    ref, refs[other_id][1], _source(label, learned_at, labels[referral_id])
                )
            )
    reached = Access.objects.filter(person__referral__in=chosen).values_list(
        "person_id", "child_id", "kind", "source", "learned_at"
    )
    for person_id, child_id, kind, label, learned_at in reached.iterator(chunk_size=2000):
        if person_id in refs and child_id in refs:
            referral_id, ref = refs[person_id]
            found[referral_id].access.append(
                AccessRecord(
                    ref, refs[child_id][1], kind, _source(label, learned_at, labels[referral_id])
                )
            )
    return found


def _add_linked(
    referral, suspects: dict[int, Person], records: PeopleRecords, pairs: set | None = None
) -> None:
    if not suspects:
        return
    if pairs is None:
        # The same human elsewhere: (our suspect, their person) for every link either way.
        pairs = set()
        either_way = Link.objects.filter(
            Q(person_id__in=suspects) | Q(linked_person_id__in=suspects)
        ).values_list("person_id", "linked_person_id")
        for one, other in either_way:
            if one in suspects:
                pairs.add((one, other))
            if other in suspects:
                pairs.add((other, one))
    if not pairs:
        return
    elsewhere = {
        person.pk: person
        for person in Person.objects.filter(pk__in={theirs for _, theirs in pairs})
        .exclude(referral=referral)
        .select_related("referral__force")
    }
    for mine, theirs in sorted(pairs):
        other = elsewhere.get(theirs)
        if other is None:
            continue
        other_referral = other.referral
        # Named by the force alone: a grade's reasons are read by everyone who sees this
        # referral, and they may not see the other one.
        label = f"another referral held by {other_referral.force.code}"
        fallback = Source(label, other_referral.received_at)
        suspect_ref = suspects[mine].ref

        ties = list(
            LivesWith.objects.filter(person=other).values_list("other_id", "learned_at")
        ) + list(LivesWith.objects.filter(other=other).values_list("person_id", "learned_at"))
        reached = list(
            Access.objects.filter(person=other).values_list("child_id", "kind", "learned_at")
        )
        wanted = {pk for pk, _ in ties} | {pk for pk, _, _ in reached}
        found = {
            person.pk: person
            for person in Person.objects.filter(pk__in=wanted).prefetch_related("addresses")
        }
        for person in found.values():
            ref = f"{person.ref}@{other_referral.pk}"
            if ref not in records.origins:
                records.people.append(_record(person, fallback, ref=ref, known_from=label))
                records.origins[ref] = other_referral.pk
        for pk, learned_at in ties:
            if pk in found:
                records.lives_with.append(
                    LivesWithRecord(
                        suspect_ref,
                        f"{found[pk].ref}@{other_referral.pk}",
                        Source(label, learned_at or other_referral.received_at),
                    )
                )
        for pk, kind, learned_at in reached:
            if pk in found:
                records.access.append(
                    AccessRecord(
                        suspect_ref,
                        f"{found[pk].ref}@{other_referral.pk}",
                        kind,
                        Source(label, learned_at or other_referral.received_at),
                    )
                )


def children_counts(referral_ids, *, as_of: datetime) -> dict[int, int]:
    """How many children each referral has in view as of a moment, by the one rule (for lists:
    each referral's own children, read together in a handful of queries)."""
    found = records_of_many(Referral.objects.filter(pk__in=list(referral_ids)), addresses=False)
    return {
        referral_id: len(
            children_in_view(
                records.people,
                records.lives_with,
                records.access,
                on=as_of.date(),
                known_by=as_of,
            )
        )
        for referral_id, records in found.items()
    }


def children_for(referral, *, as_of: datetime, viewer=None) -> list[dict]:
    """The children in view of a referral as of a moment, for showing to ``viewer``.

    A child known only from a referral the viewer may not open is shown by age and relation
    and the force that holds it, never by name (and without ``person_id``, their record's id).
    """
    records = people_records(referral)
    children = children_in_view(
        records.people, records.lives_with, records.access, on=as_of.date(), known_by=as_of
    )
    origins = set(records.origins.values())
    visible = (
        set(Referral.objects.restrict(viewer).filter(pk__in=origins).values_list("pk", flat=True))
        if viewer is not None and origins
        else origins
    )
    # Each child's own record, for the person page (``person_id``); most referrals have none.
    ids = {
        (referral_id, ref): pk
        for pk, referral_id, ref in (
            Person.objects.filter(referral_id__in={referral.pk} | visible).values_list(
                "pk", "referral_id", "ref"
            )
            if children
            else []
        )
    }
    shown = []
    for child in children:
        entry = child.as_dict()
        origin = records.origins.get(child.ref)
        entry["from_referral_id"] = origin
        entry["person_id"] = ids.get((origin or referral.pk, child.ref.split("@")[0]))
        if origin is not None and origin not in visible:
            entry.update(
                ref="",
                name=f"A child {child.known_from.replace('another referral held by', 'known to')}",
                postcodes=[],
                person_id=None,
            )
            entry["from_referral_id"] = None
        shown.append(entry)
    return shown


# ---------------------------------------------------------------------------------------------
# Recording facts after receipt. Each goes through the guarded change path and re-grades the
# referral in the same transaction, so assessors record facts and the grade follows from them.


def _person(referral, ref: str) -> Person:
    person = Person.objects.filter(referral=referral, ref=ref).first()
    if person is None:
        raise RecordError(_("no one in this referral has the ref %(ref)s") % {"ref": repr(ref)})
    return person


def suspect_ref(referral) -> str:
    """The ref of the referral's (first) suspect, or "" if it names none."""
    suspect = Person.objects.filter(referral=referral, role=PersonRole.SUSPECT).first()
    return suspect.ref if suspect else ""


def _suspect_ref(referral) -> str:
    ref = suspect_ref(referral)
    if not ref:
        raise RecordError(_("the referral has no suspect; name whom the person lives with"))
    return ref


def new_ref(referral, prefix: str) -> str:
    """A ref no one on the referral has yet ("h3"), for a person recorded after receipt."""
    # Safe without a retry: the referral's row is locked for the change, so no one else is
    # adding a person to it.
    taken = set(Person.objects.filter(referral=referral).values_list("ref", flat=True))
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def _fact(change: Change, what: str, after: dict, source: str, learned_at) -> None:
    change.facts_changed(what)
    change.describe(after={"fact": what, **after, "source": source, "learned_at": learned_at})


@step(
    "household-members",
    Action.FACTS_RECORD,
    Audit.FACT_RECORDED,
    HouseholdMemberIn,
    gettext_lazy("Household member recorded; the referral has been re-graded."),
)
def add_household_member(
    change: Change,
    *,
    first_name: str = "",
    last_name: str = "",
    date_of_birth=None,
    age: int | None = None,
    lives_with: str = "",
    source: str,
    learned_at: datetime | None = None,
) -> Person:
    """Someone who lives with a person of the referral (the suspect unless said otherwise)."""
    referral = change.referral
    learned_at = learned(change, learned_at)
    if date_of_birth and date_of_birth > learned_at.date():
        raise RecordError(_("a date of birth cannot be after the day it was learned"))
    other = _person(referral, lives_with or _suspect_ref(referral))
    member = Person.objects.create(
        referral=referral,
        ref=new_ref(referral, "h"),
        role=PersonRole.HOUSEHOLD_MEMBER,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        stated_age=age if date_of_birth is None else None,
        stated_age_on=learned_at.date() if age is not None and date_of_birth is None else None,
        source=source,
        learned_at=learned_at,
    )
    LivesWith.objects.create(person=member, other=other, source=source, learned_at=learned_at)
    relink(change, [member])
    _fact(
        change,
        "household member added",
        {"ref": member.ref, "lives_with": other.ref, "age": member.age_on(learned_at.date())},
        source,
        learned_at,
    )
    return member


@step(
    "access",
    Action.FACTS_RECORD,
    Audit.FACT_RECORDED,
    AccessIn,
    gettext_lazy("Access to a child recorded; the referral has been re-graded."),
)
def add_access(
    change: Change,
    *,
    kind: str,
    child_ref: str = "",
    child_first_name: str = "",
    child_age: int | None = None,
    person_ref: str = "",
    source: str,
    learned_at: datetime | None = None,
) -> Access:
    """A person's access to a child outside their home (an existing person or a new child)."""
    referral = change.referral
    if kind not in AccessKind.values:
        raise RecordError(
            _("kind must be one of %(kinds)s") % {"kinds": ", ".join(AccessKind.values)}
        )
    learned_at = learned(change, learned_at)
    person = _person(referral, person_ref or _suspect_ref(referral))
    if child_ref:
        child = _person(referral, child_ref)
    else:
        child = Person.objects.create(
            referral=referral,
            ref=new_ref(referral, "c"),
            role=PersonRole.OTHER,
            first_name=child_first_name,
            stated_age=child_age,
            stated_age_on=learned_at.date() if child_age is not None else None,
            notes="A child the suspect has access to.",
            source=source,
            learned_at=learned_at,
        )
    access, _created = Access.objects.get_or_create(
        person=person,
        child=child,
        kind=kind,
        defaults={"source": source, "learned_at": learned_at},
    )
    _fact(
        change,
        "access to a child recorded",
        {"person": person.ref, "child": child.ref, "kind": kind},
        source,
        learned_at,
    )
    return access


@step(
    "history",
    Action.FACTS_RECORD,
    Audit.FACT_RECORDED,
    HistoryIn,
    gettext_lazy("History recorded; the referral has been re-graded."),
)
def add_history(
    change: Change,
    *,
    type: str,
    outcome: str = "",
    date=None,
    description: str = "",
    person_ref: str = "",
    source: str,
    learned_at: datetime | None = None,
) -> History:
    """A previous offence or allegation found for a person."""
    referral = change.referral
    if type not in HistoryType.values:
        raise RecordError(
            _("type must be one of %(types)s") % {"types": ", ".join(HistoryType.values)}
        )
    if outcome and outcome not in HistoryOutcome.values:
        raise RecordError(
            _("outcome must be one of %(outcomes)s")
            % {"outcomes": ", ".join(HistoryOutcome.values)}
        )
    learned_at = learned(change, learned_at)
    person = _person(referral, person_ref or _suspect_ref(referral))
    item = History.objects.create(
        person=person,
        type=type,
        outcome=outcome,
        date=date,
        description=description,
        source=source,
        learned_at=learned_at,
    )
    _fact(
        change,
        "history recorded",
        {"person": person.ref, "type": type, "outcome": outcome, "date": date},
        source,
        learned_at,
    )
    return item


PERSON_FACTS = {
    "first_name",
    "last_name",
    "date_of_birth",
    "occupation",
    "works_with_children",
    "household_established",
    "access_established",
    "history_established",
}


def _person_changes(data: dict) -> dict:
    """The page sends each fact as its own field; the API may send them in ``changes``."""
    changes = dict(data.pop("changes", None) or {})
    for name in PERSON_FACTS:
        value = data.pop(name, None)
        if value is not None:
            changes[name] = None if value == "unknown" else value
    if changes.get("works_with_children") in {"yes", "no"}:
        changes["works_with_children"] = changes["works_with_children"] == "yes"
    return {**data, "changes": changes}


@step(
    "people",
    Action.FACTS_RECORD,
    Audit.FACT_RECORDED,
    PersonCorrectionIn,
    gettext_lazy("The person's facts are updated; the referral has been re-graded."),
    api_path="/referrals/{referral_id}/people/{ref}",
    api_method="PATCH",
    arguments=_person_changes,
)
def correct_person(
    change: Change,
    ref: str,
    *,
    changes: dict,
    source: str,
    learned_at: datetime | None = None,
) -> Person:
    """Correct or add what is known about a person (occupation, work with children, the
    household and history being established…)."""
    unknown = set(changes) - PERSON_FACTS
    if unknown:
        raise RecordError(
            _("these cannot be changed here: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    learned_at = learned(change, learned_at)
    person = _person(change.referral, ref)
    before = {name: getattr(person, name) for name in changes}
    for name, value in changes.items():
        setattr(person, name, value)
    person.source = source
    person.learned_at = learned_at
    try:
        person.full_clean(exclude=["referral"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise RecordError(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        ) from None
    person.save()
    relink(change, [person])
    _fact(
        change,
        "person's facts corrected",
        {"person": ref, "before": before, "changes": changes},
        source,
        learned_at,
    )
    return person


RECORDINGS = [add_household_member, add_access, add_history, correct_person]


# ---------------------------------------------------------------------------------------------
# Research: what is learned about the referral's people after receipt


@dataclass
class Learned:
    """What one research record added to a referral, and the new links it made."""

    research: Research
    links: list[Link]


_SCALAR_FACTS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "occupation",
    "works_with_children",
    "school_name",
    "relation",
)


def record_research(
    change: Change, draft: ResearchDraft, *, content: dict, learned_at: datetime
) -> Learned:
    """Add what research found to the referral, inside ``change``: a ``ref`` already held adds
    to that person, a new one adds a person; every fact carries the research's source and the
    moment it was learned. The people touched are matched again against every force's
    referrals, and the new links returned (for their holders to be told)."""
    referral = change.referral
    source = draft.source[:200]
    stamp = {"source": source, "learned_at": learned_at}
    held = {person.ref: person for person in Person.objects.filter(referral=referral)}
    on = learned_at.date()
    touched: dict[str, Person] = {}
    added, changed = [], []
    for index, item in enumerate(draft.people):
        person = held.get(item.ref)
        if person is None:
            person = Person.objects.create(
                referral=referral,
                ref=item.ref,
                role=item.role,
                role_text=item.role_text,
                notes=item.notes,
                household_established=item.household_established,
                access_established=item.access_established,
                history_established=item.history_established,
                **{name: getattr(item, name) for name in _SCALAR_FACTS},
                stated_age=item.stated_age if item.date_of_birth is None else None,
                stated_age_on=on
                if item.stated_age is not None and not item.date_of_birth
                else None,
                **stamp,
            )
            held[item.ref] = person
            added.append(item.ref)
        else:
            if item.role != person.role:
                raise RecordError(
                    _(
                        "%(where)s: %(ref)s is the %(role)s on this referral; research adds to "
                        "a person, it does not change their role"
                    )
                    % {
                        "where": f"$.subjects[{index}].role",
                        "ref": repr(item.ref),
                        "role": person.get_role_display().lower(),
                    }
                )
            if _add_to_person(person, item, on, stamp):
                changed.append(item.ref)
        touched[item.ref] = person
    counts = _add_person_facts(referral, draft, held, touched, stamp)
    # A check that names no one is of the suspect, as most are.
    suspect = suspect_ref(referral)
    checks = Check.objects.bulk_create(
        Check(
            referral=referral,
            person=held.get(check.subject_ref or suspect),
            system=check.system,
            system_text=check.system_text,
            done_at=check.done_at,
            done_by_name=check.done_by or change.recorded()["recorded_by_name"],
            result=check.result,
            source=source,
            **change.recorded(),
        )
        for check in draft.checks
    )
    links = relink(change, list(touched.values()))
    research = Research.objects.create(
        referral=referral,
        source=source,
        learned_at=learned_at,
        content=content,
        summary={
            "people_added": added,
            "people_changed": changed,
            **counts,
            "checks": len(checks),
            "links": len(links),
        },
        **change.recorded(),
    )
    Check.objects.filter(pk__in=[check.pk for check in checks]).update(research=research)
    return Learned(research, links)


def _add_to_person(person: Person, item: PersonDraft, on, stamp: dict) -> bool:
    """Set what research says of a person already held; True if anything changed."""
    given = {
        name: getattr(item, name)
        for name in _SCALAR_FACTS
        if getattr(item, name) not in ("", None) and getattr(item, name) != getattr(person, name)
    }
    if item.stated_age is not None and not item.date_of_birth and not person.date_of_birth:
        given.update(stated_age=item.stated_age, stated_age_on=on)
    for name in ("household_established", "access_established", "history_established"):
        if getattr(item, name) and not getattr(person, name):
            given[name] = True
    if item.notes:
        given["notes"] = "\n".join(part for part in (person.notes, item.notes) if part)
    if not given:
        return False
    for name, value in given.items():
        setattr(person, name, value)
    person.save(update_fields=list(given))
    return True


def _add_person_facts(referral, draft: ResearchDraft, held, touched, stamp) -> dict:
    """Identifiers, addresses, history and ties research found, less what is held already."""
    people = list(touched.values())
    have_ids = set(
        Identifier.objects.filter(person__in=people).values_list(
            "person_id", "kind", "normalised", "service", "seen_at", "port"
        )
    )
    have_addresses = set(
        Address.objects.filter(person__in=people).values_list(
            "person_id", "kind", "line1", "postcode", "lived_from", "lived_until"
        )
    )
    identifiers, addresses, history = [], [], []
    for item in draft.people:
        person = touched[item.ref]
        for given in item.identifiers:
            normalised = normalise(given.kind, given.value)
            key = (person.pk, given.kind, normalised, given.service, given.seen_at, given.port)
            if key in have_ids:
                continue
            have_ids.add(key)
            identifiers.append(
                Identifier(
                    person=person,
                    kind=given.kind,
                    kind_text=given.kind_text,
                    value=given.value,
                    normalised=normalised,
                    service=given.service,
                    seen_at=given.seen_at,
                    port=given.port,
                    event=given.event,
                    **stamp,
                )
            )
        for given in item.addresses:
            key = (
                person.pk,
                given.kind,
                given.line1,
                given.postcode,
                given.lived_from,
                given.lived_until,
            )
            if key not in have_addresses:
                have_addresses.add(key)
                addresses.append(Address(person=person, **asdict(given), **stamp))
        history.extend(History(person=person, **asdict(given), **stamp) for given in item.history)
    Identifier.objects.bulk_create(identifiers)
    Address.objects.bulk_create(addresses)
    History.objects.bulk_create(history)
    ties = 0
    for item in draft.people:
        for other in item.lives_with:
            a, b = sorted((held[item.ref].pk, held[other].pk))
            if (
                a == b
                or LivesWith.objects.filter(
                    Q(person_id=a, other_id=b) | Q(person_id=b, other_id=a)
                ).exists()
            ):
                continue
            LivesWith.objects.create(person_id=a, other_id=b, **stamp)
            ties += 1
    reached = 0
    for entry in draft.access:
        _access, created = Access.objects.get_or_create(
            person=held[entry.person_ref],
            child=held[entry.child_ref],
            kind=entry.kind,
            defaults=stamp,
        )
        reached += created
    return {
        "identifiers": len(identifiers),
        "addresses": len(addresses),
        "history": len(history),
        "lives_with": ties,
        "access": reached,
    }


# ---------------------------------------------------------------------------------------------
# Words the source used that Vigil did not know, once an administrator has said what they mean


def read_word_as(change: Change, field: str, word: str, meaning: str, *, all_access: bool) -> int:
    """Read a word this referral's people were recorded with as ``meaning`` from now on (an
    administrator mapped it), and match the people again on what that makes them recognisable
    by. Returns how many records now read differently. ``all_access``: every access entry read
    as "other" is this word (the referral used no other unknown kind of access)."""
    people = Person.objects.filter(referral=change.referral)
    changed = 0
    if field == "role":
        changed = people.filter(role=PersonRole.OTHER, role_text=word).update(role=meaning)
    elif field == "identifier_type":
        identifiers = list(
            Identifier.objects.filter(person__in=people, kind="other", kind_text=word)
        )
        for identifier in identifiers:
            identifier.kind = meaning
            identifier.normalised = normalise(meaning, identifier.value)
        Identifier.objects.bulk_update(identifiers, ["kind", "normalised"])
        changed = len(identifiers)
        if identifiers:
            relink(change, list(people.filter(identifiers__in=identifiers).distinct()))
    elif field == "history_type":
        changed = History.objects.filter(
            person__in=people,
            type=HistoryType.OTHER,
            description__contains=f"type as written: {word}",
        ).update(type=meaning)
    elif field == "history_outcome":
        changed = History.objects.filter(
            person__in=people, outcome="", description__contains=f"outcome as written: {word}"
        ).update(outcome=meaning)
    elif field == "access_kind" and all_access:
        changed = Access.objects.filter(person__in=people, kind=AccessKind.OTHER).update(
            kind=meaning
        )
    return changed

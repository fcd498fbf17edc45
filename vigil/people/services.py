"""Storing the people of a referral and recognising them in other referrals (deconfliction)."""

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from vigil.accounts.choices import Action
from vigil.accounts.permissions import require
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.intake.drafts import AccessDraft, PersonDraft

from .choices import AccessKind, HistoryOutcome, HistoryType, PersonRole
from .models import Access, Address, History, Identifier, Link, LivesWith, MatchKey, Person
from .normalise import match_keys, normalise


def add_people(referral, drafts: list[PersonDraft], access: list[AccessDraft]) -> list[Person]:
    """Store the referral's people with everything known about them, in the caller's transaction."""
    received_on = referral.received_at.date()
    # Facts that arrive with a referral are known from its receipt, on its authority.
    source = f"{referral.get_source_display()} referral {referral.source_reference}"
    learned = {"source": source[:200], "learned_at": referral.received_at}
    people = Person.objects.bulk_create(
        Person(
            referral=referral,
            ref=draft.ref,
            role=draft.role,
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
    )
    by_ref = {person.ref: person for person in people}
    identifiers, addresses, history, lives_with = [], [], [], set()
    for draft, person in zip(drafts, people, strict=True):
        for item in draft.identifiers:
            identifiers.append(
                Identifier(
                    person=person,
                    kind=item.kind,
                    value=item.value,
                    normalised=normalise(item.kind, item.value),
                    service=item.service,
                    seen_at=item.seen_at,
                )
            )
        addresses.extend(Address(person=person, **asdict(item)) for item in draft.addresses)
        history.extend(History(person=person, **asdict(item), **learned) for item in draft.history)
        for other in draft.lives_with:
            # One row per pair, whichever side listed it.
            pair = tuple(sorted((person.pk, by_ref[other].pk)))
            if pair[0] != pair[1]:
                lives_with.add(pair)
    Identifier.objects.bulk_create(identifiers)
    Address.objects.bulk_create(addresses)
    History.objects.bulk_create(history)
    LivesWith.objects.bulk_create(
        LivesWith(person_id=a, other_id=b, **learned) for a, b in sorted(lives_with)
    )
    Access.objects.bulk_create(
        {
            (entry.person_ref, entry.child_ref, entry.kind): Access(
                person=by_ref[entry.person_ref],
                child=by_ref[entry.child_ref],
                kind=entry.kind,
                **learned,
            )
            for entry in access
        }.values()
    )
    _store_match_keys(referral, people, identifiers)
    return people


def _store_match_keys(referral, people: list[Person], identifiers: list[Identifier]) -> None:
    by_person = defaultdict(list)
    for item in identifiers:
        by_person[item.person_id].append((item.kind, item.normalised, item.service))
    rows = []
    for person in people:
        for reason, key, shown in match_keys(
            by_person[person.pk], person.first_name, person.last_name, person.date_of_birth
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
    referral.new_match_keys = MatchKey.objects.bulk_create(rows)


def link_people(referral, people: list[Person]) -> list[Link]:
    """Link this referral's people to anyone already held who shares a key with them.

    Only pairs where at least one side is a suspect are linked: that is the question the
    deconfliction answers (is this suspect known, or is someone here a suspect elsewhere?).
    One indexed lookup, whatever the number of referrals held.
    """
    mine = getattr(referral, "new_match_keys", None)
    if mine is None:
        mine = list(MatchKey.objects.filter(referral=referral))
    if not mine:
        return []
    theirs = MatchKey.objects.filter(key__in={row.key for row in mine}).exclude(referral=referral)
    by_key = defaultdict(list)
    for row in theirs.values("person_id", "referral_id", "key", "is_suspect"):
        by_key[row["key"]].append(row)
    links = []
    for row in mine:
        for match in by_key.get(row.key, ()):
            if not (row.is_suspect or match["is_suspect"]):
                continue
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
    return Link.objects.bulk_create(links, ignore_conflicts=True)


def linked_referrals(referral, viewer) -> list[dict]:
    """Referrals that share a person with this one, each with why; other forces' only by name."""
    from vigil.intake.models import Referral

    links = Link.objects.filter(Q(referral=referral) | Q(linked_referral=referral))
    visible = set(
        Referral.objects.visible_to(viewer)
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


def people_detail(referral, *, as_of: datetime) -> list[dict]:
    people = list(
        Person.objects.filter(referral=referral).prefetch_related(
            "identifiers", "addresses", "history"
        )
    )
    refs = {person.pk: person.ref for person in people}
    lives_with = defaultdict(list)
    for a, b in LivesWith.objects.filter(person__referral=referral).values_list(
        "person_id", "other_id"
    ):
        lives_with[a].append(refs[b])
        lives_with[b].append(refs[a])
    today = as_of.date()
    return [
        {
            "ref": person.ref,
            "role": person.role,
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
                    "text": str(item),
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


def access_detail(referral) -> list[dict]:
    return [
        {"subject": person_ref, "child": child_ref, "kind": kind}
        for person_ref, child_ref, kind in Access.objects.filter(
            person__referral=referral
        ).values_list("person__ref", "child__ref", "kind")
    ]


# ---------------------------------------------------------------------------------------------
# Recording facts after receipt. Each change is checked, audited and re-grades the referral in
# one transaction, so assessors record facts and the grade follows from them.


class FactError(ValidationError):
    """A fact Vigil will not record, with the reason in plain words."""


def _learned(referral, learned_at: datetime | None, as_of: datetime) -> datetime:
    """When Vigil learned the fact: never in the future, never before the referral arrived."""
    learned_at = learned_at or as_of
    if learned_at > as_of:
        raise FactError("a fact cannot be learned in the future")
    if learned_at < referral.received_at:
        raise FactError("a fact recorded later cannot be learned before the referral was received")
    return learned_at


def _open(actor, referral):
    from vigil.intake.services import require_visible

    require(actor, Action.FACTS_RECORD)
    require_visible(actor, referral)


def _after_change(actor, referral, what: str, after: dict, source: str, learned_at, as_of):
    from vigil.risk.services import assess

    record(
        actor,
        AuditAction.FACT_RECORDED,
        referral,
        at=as_of,
        force_code=referral.force.code,
        after={"fact": what, **after, "source": source, "learned_at": learned_at},
    )
    assess(referral, actor=actor, as_of=as_of, trigger=what)


def _person(referral, ref: str) -> Person:
    person = Person.objects.filter(referral=referral, ref=ref).first()
    if person is None:
        raise FactError(f"no one in this referral has the ref {ref!r}")
    return person


def _suspect_ref(referral) -> str:
    suspect = Person.objects.filter(referral=referral, role=PersonRole.SUSPECT).first()
    if suspect is None:
        raise FactError("the referral has no suspect; name whom the person lives with")
    return suspect.ref


def _new_ref(referral, prefix: str) -> str:
    taken = set(Person.objects.filter(referral=referral).values_list("ref", flat=True))
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def add_household_member(
    actor,
    referral,
    *,
    first_name: str = "",
    last_name: str = "",
    date_of_birth=None,
    age: int | None = None,
    lives_with: str = "",
    source: str,
    learned_at: datetime | None = None,
    as_of: datetime,
) -> Person:
    """Someone who lives with a person of the referral (the suspect unless said otherwise)."""
    _open(actor, referral)
    learned_at = _learned(referral, learned_at, as_of)
    if date_of_birth and date_of_birth > learned_at.date():
        raise FactError("a date of birth cannot be after the day it was learned")
    with transaction.atomic():
        other = _person(referral, lives_with or _suspect_ref(referral))
        member = Person.objects.create(
            referral=referral,
            ref=_new_ref(referral, "h"),
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
        _after_change(
            actor,
            referral,
            "household member added",
            {"ref": member.ref, "lives_with": other.ref, "age": member.age_on(learned_at.date())},
            source,
            learned_at,
            as_of,
        )
    return member


def add_access(
    actor,
    referral,
    *,
    child_ref: str = "",
    child_first_name: str = "",
    child_age: int | None = None,
    kind: str,
    person_ref: str = "",
    source: str,
    learned_at: datetime | None = None,
    as_of: datetime,
) -> Access:
    """A person's access to a child outside their home (an existing person or a new child)."""
    _open(actor, referral)
    if kind not in AccessKind.values:
        raise FactError(f"kind must be one of {', '.join(AccessKind.values)}")
    learned_at = _learned(referral, learned_at, as_of)
    with transaction.atomic():
        person = _person(referral, person_ref or _suspect_ref(referral))
        if child_ref:
            child = _person(referral, child_ref)
        else:
            child = Person.objects.create(
                referral=referral,
                ref=_new_ref(referral, "c"),
                role=PersonRole.OTHER,
                first_name=child_first_name,
                stated_age=child_age,
                stated_age_on=learned_at.date() if child_age is not None else None,
                notes="A child the suspect has access to.",
                source=source,
                learned_at=learned_at,
            )
        access, _ = Access.objects.get_or_create(
            person=person,
            child=child,
            kind=kind,
            defaults={"source": source, "learned_at": learned_at},
        )
        _after_change(
            actor,
            referral,
            "access to a child recorded",
            {"person": person.ref, "child": child.ref, "kind": kind},
            source,
            learned_at,
            as_of,
        )
    return access


def add_history(
    actor,
    referral,
    *,
    type: str,
    outcome: str = "",
    date=None,
    description: str = "",
    person_ref: str = "",
    source: str,
    learned_at: datetime | None = None,
    as_of: datetime,
) -> History:
    """A previous offence or allegation found for a person."""
    _open(actor, referral)
    if type not in HistoryType.values:
        raise FactError(f"type must be one of {', '.join(HistoryType.values)}")
    if outcome and outcome not in HistoryOutcome.values:
        raise FactError(f"outcome must be one of {', '.join(HistoryOutcome.values)}")
    learned_at = _learned(referral, learned_at, as_of)
    with transaction.atomic():
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
        _after_change(
            actor,
            referral,
            "history recorded",
            {"person": person.ref, "type": type, "outcome": outcome, "date": date},
            source,
            learned_at,
            as_of,
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


def correct_person(
    actor,
    referral,
    ref: str,
    *,
    changes: dict,
    source: str,
    learned_at: datetime | None = None,
    as_of: datetime,
) -> Person:
    """Correct or add what is known about a person (occupation, work with children, the
    household and history being established…)."""
    _open(actor, referral)
    unknown = set(changes) - PERSON_FACTS
    if unknown:
        raise FactError(f"these cannot be changed here: {', '.join(sorted(unknown))}")
    learned_at = _learned(referral, learned_at, as_of)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=_person(referral, ref).pk)
        before = {name: getattr(person, name) for name in changes}
        for name, value in changes.items():
            setattr(person, name, value)
        person.source = source
        person.learned_at = learned_at
        person.save()
        _after_change(
            actor,
            referral,
            "person's facts corrected",
            {"person": ref, "before": before, "changes": changes},
            source,
            learned_at,
            as_of,
        )
    return person

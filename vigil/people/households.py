"""Households over time: who lived at an address on a day, from every referral and research
record that places someone there.

A person lives at addresses with dates (``Address.lived_from`` and ``lived_until``, both
optional). The household at an address on a day is:

- everyone with a home (or other, never an estimated) address that is the same home
  (``normalise.same_home``: the same postcode and the same first line, however written) and
  that covers the day: an open end covers every day on that side, both days are counted as
  lived there, and an address with no dates at all counts (known to have lived there at some
  time: safety first, a child is never left out because no one wrote down when);
- the people those residents live with in the same referral (``LivesWith``), and a suspect's
  household members the referral listed without saying whom they live with, unless that
  person's own record of this home says they had left or not yet come on the day.

A child is anyone under 18 on the day, or of unknown age (never assumed an adult), but a
suspect only on a known age: the rule of ``people.children``.

``households_at`` reads the referrals the actor may see (through the restricting query);
``children_held_elsewhere`` deliberately reads every other referral, as deconfliction does, and
answers only which forces hold a child at the address: nothing of their referrals.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q

from vigil.core.roles import Action

from .children import ADULT
from .choices import AddressKind, PersonRole
from .models import Address, LivesWith, Person
from .normalise import home_line, postcode_in, postcode_key, same_home

# The kinds of address that say where someone lives (an estimated location is only an area).
LIVED_AT = (AddressKind.HOME, AddressKind.OTHER)


def lived_there_on(lived_from: date | None, lived_until: date | None, on: date) -> bool:
    """Whether an address's dates cover a day: open ends cover, both ends count, no dates
    at all count (known to have lived there at some time)."""
    return (lived_from is None or lived_from <= on) and (lived_until is None or on <= lived_until)


@dataclass(frozen=True)
class Resident:
    """Someone in a household on the day: how they are known to be there, and their age."""

    person_id: int
    ref: str
    name: str
    role: str
    age: int | None
    age_is_estimated: bool
    is_child: bool
    # "address" (their own address there covers the day) or "lives with <ref>".
    how: str
    lived_from: date | None = None
    lived_until: date | None = None
    household_established: bool = False

    def as_dict(self) -> dict:
        return {
            "ref": self.ref,
            "name": self.name,
            "role": self.role,
            "age": self.age,
            "age_is_estimated": self.age_is_estimated,
            "is_child": self.is_child,
            "how": self.how,
            "lived_from": self.lived_from.isoformat() if self.lived_from else None,
            "lived_until": self.lived_until.isoformat() if self.lived_until else None,
        }


@dataclass
class Household:
    """The people one referral places at an address on a day."""

    referral_id: int
    source_reference: str
    # The force that holds the referral (its code, name and contact; nothing else is shown of
    # a referral the asker may not open).
    force: object = None
    residents: list[Resident] = field(default_factory=list)

    @property
    def children(self) -> list[Resident]:
        return [resident for resident in self.residents if resident.is_child]

    @property
    def established(self) -> bool:
        """Someone living there by their own address has had their household established (a
        "no one else" said, by the referral or by research)."""
        return any(
            resident.household_established and resident.how == "address"
            for resident in self.residents
        )


@dataclass(frozen=True)
class Held:
    """A force holding a child at the address in a referral the asker may not open: whom to
    contact, and nothing of the referral."""

    force_code: str
    force_name: str
    contact: str

    def as_dict(self) -> dict:
        return {"force": self.force_code, "force_name": self.force_name, "contact": self.contact}


def the_home(address: str, postcode: str = "") -> tuple[tuple[str, ...], str]:
    """An address as written for a release ("12, High St., Exampleton") and its postcode (or
    the postcode written in it) as the first line's words and the postcode's key."""
    key = postcode_key(postcode) or postcode_in(address)
    return home_line(address), key


def _is_child(person: Person, on: date) -> bool:
    age = person.age_on(on)
    if person.role == PersonRole.SUSPECT:
        return age is not None and age < ADULT
    return age is None or age < ADULT


def _households(addresses, line: tuple[str, ...], key: str, on: date, known_by: datetime):
    """The households the given addresses (a queryset) place at the home on the day."""
    if not line or not key:
        return []
    rows = [
        row
        for row in addresses.filter(postcode_key=key, kind__in=LIVED_AT)
        .filter(Q(learned_at__isnull=True) | Q(learned_at__lte=known_by))
        .filter(person__referral__received_at__lte=known_by)
        .select_related("person__referral__force")
        if same_home(home_line(row.line1, row.line2), line)
    ]
    # Each person's own records of this home: any that covers the day places them there; those
    # that do not say they had left, or not yet come.
    records = defaultdict(list)
    for row in rows:
        records[row.person_id].append(row)
    there = {
        person_id: next(
            (row for row in held if lived_there_on(row.lived_from, row.lived_until, on)), None
        )
        for person_id, held in records.items()
    }
    households: dict[int, Household] = {}
    people: dict[int, Person] = {}
    residents = defaultdict(dict)
    for person_id, row in there.items():
        if row is None:
            continue
        person = row.person
        people[person_id] = person
        referral = person.referral
        households.setdefault(
            referral.pk, Household(referral.pk, referral.source_reference, referral.force)
        )
        residents[referral.pk][person_id] = _resident(
            person, on, "address", row.lived_from, row.lived_until
        )
    if not people:
        return []
    _add_ties(people, residents, records, on)
    for referral_id, household in households.items():
        household.residents = sorted(
            residents[referral_id].values(), key=lambda resident: (resident.how, resident.ref)
        )
    return sorted(households.values(), key=lambda household: household.referral_id)


def _add_ties(people: dict[int, Person], residents, records, on: date) -> None:
    """Add whom the residents live with, and a resident suspect's untied household members."""
    ties = LivesWith.objects.filter(Q(person__in=people) | Q(other__in=people)).values_list(
        "person_id", "other_id"
    )
    partner = defaultdict(set)
    for a, b in ties:
        partner[a].add(b)
        partner[b].add(a)
    suspects = [person for person in people.values() if person.role == PersonRole.SUSPECT]
    wanted = {other for pk in people for other in partner[pk]}
    others = {
        person.pk: person
        for person in Person.objects.filter(
            Q(pk__in=wanted)
            | Q(
                referral__in={suspect.referral_id for suspect in suspects},
                role=PersonRole.HOUSEHOLD_MEMBER,
            )
        ).exclude(pk__in=people)
    }
    pairs = LivesWith.objects.filter(Q(person__in=others) | Q(other__in=others))
    tied = {pk for pair in pairs.values_list("person_id", "other_id") for pk in pair}
    for person in others.values():
        # Their own record of this home, where it does not cover the day, says they were not
        # there then, whoever they live with now.
        if person.pk in records:
            continue
        via = next(
            (people[pk] for pk in sorted(partner[person.pk]) if pk in people),
            None,
        )
        if via is None:
            via = next(
                (
                    suspect
                    for suspect in suspects
                    if suspect.referral_id == person.referral_id and person.pk not in tied
                ),
                None,
            )
        if via is None:
            continue
        residents[person.referral_id].setdefault(
            person.pk, _resident(person, on, f"lives with {via.ref}")
        )


def _resident(person: Person, on: date, how: str, lived_from=None, lived_until=None) -> Resident:
    return Resident(
        person_id=person.pk,
        ref=person.ref,
        name=person.display_name,
        role=person.role,
        age=person.age_on(on),
        age_is_estimated=person.age_is_estimated,
        is_child=_is_child(person, on),
        how=how,
        lived_from=lived_from,
        lived_until=lived_until,
        household_established=person.household_established,
    )


def households_at(
    actor, address: str, postcode: str = "", *, on: date, known_by: datetime
) -> list[Household]:
    """The households at an address on a day, in every referral the actor may see (one per
    referral that places someone there), as known by a moment."""
    line, key = the_home(address, postcode)
    return _households(
        Address.objects.restrict(actor, Action.REFERRAL_VIEW), line, key, on, known_by
    )


def children_held_elsewhere(
    actor, address: str, postcode: str = "", *, on: date, known_by: datetime
) -> list[Held]:
    """The forces that hold a child at an address on a day in a referral the actor may not
    open: each force's name and whom to contact there, nothing else of the referral.

    Deliberately reads every force's referrals, as deconfliction does: a release must not send
    a suspect to a child another force knows of.
    """
    line, key = the_home(address, postcode)
    unseen = Address.objects.exclude(
        pk__in=Address.objects.restrict(actor, Action.REFERRAL_VIEW).values("pk")
    )
    held: dict[int, Held] = {}
    for household in _households(unseen, line, key, on, known_by):
        if household.children and household.force is not None:
            force = household.force
            held.setdefault(force.pk, Held(force.code, force.name, force.contact))
    return sorted(held.values(), key=lambda one: one.force_code)


def suspect_homes(referral, on: date) -> list[tuple[str, str]]:
    """The referral's suspects' homes on a day, as (first lines, postcode): what a release "home"
    means."""
    homes = Address.objects.filter(
        person__referral=referral, person__role=PersonRole.SUSPECT, kind=AddressKind.HOME
    )
    return [
        (", ".join(part for part in (row.line1, row.line2) if part), row.postcode)
        for row in homes
        if lived_there_on(row.lived_from, row.lived_until, on)
    ]


def suspect_household_established(referral) -> bool:
    """Whether the referral says who lives with its suspect (what "home" needs, wherever the
    home is)."""
    return Person.objects.filter(
        referral=referral, role=PersonRole.SUSPECT, household_established=True
    ).exists()

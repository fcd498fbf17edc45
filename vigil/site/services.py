"""The referral as one whole: every part's record of it, for the page, the API and the CLI."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from vigil.accounts.actors import Actor
from vigil.clocks import services as clocks_services
from vigil.exhibits.models import Exhibit
from vigil.intake.models import DataRequest
from vigil.intake.requests import requests_detail
from vigil.investigations.models import (
    Action,
    Allocation,
    Outcome,
    Release,
    StandardCheck,
    SupervisorReview,
)
from vigil.investigations.services import investigation_detail, timeline
from vigil.people import persons
from vigil.people import services as people_services
from vigil.people.models import Access, Check, Link, Research
from vigil.referrals.models import Document, Material, NamedAccess, Referral, Transfer
from vigil.referrals.services import referrals_for
from vigil.risk import services as risk_services
from vigil.safeguarding.models import (
    LadoReferral,
    SocialCareReferral,
    StrategyDiscussion,
    WelfarePlan,
)

# Records of a referral that most referrals hold none of: one query says which this one holds
# any of, and a section it holds none of is not read (it shows as empty). Named by the
# referral's relation to them (``referral.<name>``) where it has one.
_MOSTLY_EMPTY = {
    "material": Material,
    "documents": Document,
    "research": Research,
    "data_requests": DataRequest,
    "exhibits": Exhibit,
    "named_people": NamedAccess,
    "outcome": Outcome,
    "allocations": Allocation,
    "actions": Action,
    "reviews": SupervisorReview,
    "releases": Release,
    "transfers": Transfer,
    "standard_checks": StandardCheck,
    "social_care_referrals": SocialCareReferral,
    "strategy_discussions": StrategyDiscussion,
    "lado_referrals": LadoReferral,
    "welfare_plans": WelfarePlan,
    # Without a relation of their own on the referral.
    "checks": Check,
    "access": Access,
    "links": Link,
}


def _records_of(name: str):
    model = _MOSTLY_EMPTY[name]
    if model is Access:
        return Access.objects.filter(person__referral=OuterRef("pk"))
    if model is Link:
        return Link.objects.filter(Q(referral=OuterRef("pk")) | Q(linked_referral=OuterRef("pk")))
    return model.objects.filter(referral=OuterRef("pk"))


def sections_held(referral: Referral) -> set[str]:
    """Which of the mostly empty sections (``_MOSTLY_EMPTY``) the referral holds anything in.

    Asked of the referral itself, which its reader has already opened: a section it holds
    something in is then read as ever (through ``restrict`` where that section is).
    """
    row = (
        Referral.objects.filter(pk=referral.pk)
        .values(**{f"holds_{name}": Exists(_records_of(name)) for name in _MOSTLY_EMPTY})
        .get()
    )
    return {name for name in _MOSTLY_EMPTY if row[f"holds_{name}"]}


def referral_detail(
    referral: Referral,
    viewer: Actor,
    *,
    as_of: datetime,
    history: list[dict] | None = None,
    held: set[str] | None = None,
) -> dict:
    """Everything held on a referral as plain data (the API, ``vigil referral show --json``).
    ``history``: ``risk_services.risk_history(referral)``, and ``held``:
    ``sections_held(referral)``, when the caller has read them."""
    if held is None:
        held = sections_held(referral)
    own_people = people_services.referral_people(referral)
    people = people_services.people_detail(referral, as_of=as_of, people=own_people)
    investigation = investigation_detail(
        referral, as_of=as_of, viewer=viewer, people=own_people, held=held
    )
    if history is None:
        history = risk_services.risk_history(referral)
    investigation["timeline"] = timeline(investigation, history)
    clocks = clocks_services.referral_clocks(referral, as_of=as_of)
    return {
        "id": referral.pk,
        "source": referral.source,
        "source_reference": referral.source_reference,
        "received_at": referral.received_at.isoformat(),
        "force": referral.force.code,
        "status": referral.status,
        "summary": referral.summary,
        "incident": {
            "type": referral.incident_type,
            "type_as_given": referral.incident_type_text,
            "occurred_at": (
                referral.incident_occurred_at.isoformat() if referral.incident_occurred_at else None
            ),
            "platform": referral.platform,
            "escalated": referral.escalated,
            "escalation_reason": referral.escalation_reason,
            "annotations": referral.annotations,
            "details": referral.incident_details,
        },
        "indicators": referral.indicators,
        "source_details": referral.source_details,
        "material": [
            {
                "kind": item.kind,
                "count": item.count,
                "category": item.category or None,
                "industry_classification": item.industry_classification or None,
                "md5": item.md5 or None,
                "sha1": item.sha1 or None,
                "pdq": item.pdq or None,
                "photodna": item.photodna or None,
                "annotations": item.annotations,
                "file_name": item.file_name,
                "file_id": item.file_id,
                "details": item.details,
            }
            for item in (referral.material.all() if "material" in held else [])
        ],
        "subjects": people,
        "access": people_services.access_detail(referral) if "access" in held else [],
        "linked_referrals": (
            people_services.linked_referrals(referral, viewer) if "links" in held else []
        ),
        "documents": [
            {
                "name": name,
                "media_type": media_type,
                "size": size,
                "sha256": sha256,
                "supplementary": supplementary,
                "received_at": received_at.isoformat() if received_at else None,
            }
            for name, media_type, size, sha256, supplementary, received_at in (
                referral.documents.values_list(
                    "name", "media_type", "size", "sha256", "supplementary", "received_at"
                )
                if "documents" in held
                else []
            )
        ],
        "research": (
            people_services.research_detail(referral)
            if held & {"research", "checks"}
            else {"records": [], "checks": []}
        ),
        "intake_warnings": referral.intake_warnings,
        "words_unknown": sum(1 for w in referral.intake_warnings if not w.get("resolved_to")),
        "unmapped": referral.unmapped,
        "risk": risk_services.risk_summary(referral, as_of=as_of),
        "clocks": clocks,
        "data_requests": (
            requests_detail(referral, as_of=as_of, clocks=clocks) if "data_requests" in held else []
        ),
        **investigation,
        "imported_at": referral.imported_at.isoformat(),
        "imported_by": referral.imported_by_name,
    }


OPEN_CLOCK_STATES = {"due", "due_soon", "overdue"}


def at_a_glance(detail: dict) -> dict:
    """What an investigator needs before anything else, from a referral's detail: the next
    duty (the most urgent open clock: overdue first, then due soon, then by due time) and who
    holds it, how many duties are open and overdue, and the children in view."""
    duties = sorted(
        (clock for clock in detail["clocks"] if clock["state"] in OPEN_CLOCK_STATES),
        key=lambda clock: (
            clocks_services.STATE_ORDER[clock["state"]],
            datetime.fromisoformat(clock["due_at"]),
        ),
    )
    return {
        "next_duty": duties[0] if duties else None,
        "open_duties": len(duties),
        "overdue_duties": sum(1 for clock in duties if clock["state"] == "overdue"),
        # A suspect who is a child is in view too (their own safeguarding), as on the panel.
        "children": detail.get("children", []),
    }


# ---------------------------------------------------------------------------------------------
# One person across referrals


def person_detail(
    actor: Actor, person_id: int, *, as_of: datetime, viewed_at: datetime | None = None
) -> dict:
    """Everything held on one person in every referral the actor may see (the person page,
    ``GET /api/v1/people/{id}``, ``vigil person show``): their records, the referrals with
    their grades, identifiers, addresses over time, households, the children in view with
    their ages on ``as_of``, the suspects who can reach them, and every open clock.

    A person in a referral the actor may not see is "not found" (Http404); records of them in
    such referrals are left out without a trace. The look is audited (``person.viewed``).
    """
    person = persons.find_person(actor, person_id)
    linked = persons.linked_people(actor, person)
    facts = persons.person_facts(actor, linked, as_of=as_of)
    referrals = {record.referral_id: record.referral for record in linked.records}
    ids = {record.pk for record in linked.records}
    reached, reaching = _children(actor, linked.records, referrals, as_of=as_of)
    asked = next(item for item in facts["records"] if item["person_id"] == person.pk)
    ages = [item for item in facts["records"] if item["age_today"] is not None]
    age = asked if asked["age_today"] is not None else (ages[0] if ages else asked)
    detail = {
        "id": person.pk,
        "name": person.display_name,
        "names": _distinct(item["name"] for item in facts["records"]),
        "role": person.role,
        "roles": _distinct(item["role"] for item in facts["records"]),
        "dates_of_birth": _distinct(
            item["date_of_birth"] for item in facts["records"] if item["date_of_birth"]
        ),
        "age_today": age["age_today"],
        "age_is_estimated": age["age_is_estimated"],
        "is_child": any(item["age_today"] < 18 for item in ages) or bool(reaching),
        "as_of": as_of.isoformat(),
        "truncated": linked.truncated,
        "referrals": [
            _referral_line(referral, linked, as_of=as_of) for referral in referrals.values()
        ],
        **facts,
        "children_in_view": [child for child in reached if child["person_id"] not in ids],
        "reached_by": reaching,
        "clocks": _open_clocks(referrals.values(), as_of=as_of),
    }
    persons.record_look(actor, linked, at=viewed_at or as_of)
    return detail


def _distinct(values) -> list:
    return list(dict.fromkeys(values))


def _referral_line(referral: Referral, linked, *, as_of: datetime) -> dict:
    risk = risk_services.risk_summary(referral, as_of=as_of)
    here = {record.pk for record in linked.records if record.referral_id == referral.pk}
    return {
        "id": referral.pk,
        "source": referral.source,
        "source_reference": referral.source_reference,
        "received_at": referral.received_at.isoformat(),
        "force": referral.force.code,
        "status": referral.status,
        "grade": risk["grade"] if risk else "",
        "grade_provisional": risk["provisional"] if risk else False,
        "roles": _distinct(
            record.role for record in linked.records if record.referral_id == referral.pk
        ),
        "person_ids": sorted(here),
        "linked_because": _distinct(
            f"{link.get_reason_display()}: {link.matched_on}"
            for link in linked.links
            if link.person_id in here or link.linked_person_id in here
        ),
    }


def _children(actor: Actor, records, referrals: dict, *, as_of: datetime):
    """The children the person (as a suspect) can reach, and the suspects who can reach the
    person, by the one rule (``people.children``), from referrals the actor may see only."""
    ids = {record.pk for record in records}
    suspect_of = {record.referral_id for record in records if record.role == "suspect"}
    asked = suspect_of | persons.reaching_referrals(actor, records)
    visible = {
        referral.pk: referral
        for referral in referrals_for(actor).filter(pk__in=asked | set(referrals))
    }
    by_referral = {
        referral_id: people_services.children_for(referral, as_of=as_of)
        for referral_id, referral in visible.items()
        if referral_id in asked
    }
    origins = {
        entry["from_referral_id"] or referral_id
        for referral_id, entries in by_referral.items()
        for entry in entries
    }
    handles = persons.people_by_ref(actor, origins & set(visible))
    suspects = persons.suspects_of(actor, set(by_referral))
    children: dict[int, dict] = {}
    reaching: list[dict] = []
    # A referral's own children first, so a child is described from the referral that holds
    # them rather than through a link.
    found = sorted(
        (
            (entry["from_referral_id"] is not None, referral_id, index, entry)
            for referral_id, entries in by_referral.items()
            for index, entry in enumerate(entries)
        ),
        key=lambda item: item[:3],
    )
    for _, referral_id, _, entry in found:
        origin = entry["from_referral_id"] or referral_id
        person = handles.get((origin, entry["ref"].split("@")[0]))
        if origin not in visible or person is None:
            continue
        if referral_id in suspect_of:
            child = children.setdefault(
                person.pk,
                {
                    "person_id": person.pk,
                    "name": person.display_name,
                    "age": entry["age"],
                    "age_is_estimated": entry["age_is_estimated"],
                    "relation": entry["relation"],
                    "relations": entry["relations"],
                    "access_kind": entry["access_kind"],
                    "referral_id": origin,
                    "source_reference": visible[origin].source_reference,
                    "source": entry["source"],
                    "learned_at": entry["learned_at"],
                    "in_view_of": [],
                },
            )
            if referral_id not in child["in_view_of"]:
                child["in_view_of"].append(referral_id)
        if person.pk in ids and entry["relation"] != "suspect":
            reaching.extend(
                {
                    "person_id": suspect.pk,
                    "name": suspect.display_name,
                    "referral_id": referral_id,
                    "source_reference": visible[referral_id].source_reference,
                    "child_person_id": person.pk,
                    "relation": entry["relation"],
                    "relations": entry["relations"],
                    "access_kind": entry["access_kind"],
                }
                for suspect in suspects.get(referral_id, [])
            )
    ordered = sorted(
        children.values(),
        key=lambda child: (child["age"] if child["age"] is not None else 99, child["person_id"]),
    )
    return ordered, reaching


def _open_clocks(referrals, *, as_of: datetime) -> list[dict]:
    found = [
        {"referral_id": referral.pk, "source_reference": referral.source_reference, **clock}
        for referral in referrals
        for clock in clocks_services.referral_clocks(referral, as_of=as_of)
        if clock["state"] in OPEN_CLOCK_STATES
    ]
    return sorted(found, key=lambda clock: (clock["due_at"], clock["referral_id"]))

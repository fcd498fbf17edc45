"""One rule for the children in view, from every source, used by every part that asks."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import AS_OF, SYSTEM, referral_data, store
from vigil.clocks.services import worklist
from vigil.insight import services as insight
from vigil.investigations.services import check_release_address
from vigil.people.children import (
    AccessRecord,
    LivesWithRecord,
    PersonRecord,
    Source,
    children_in_view,
)
from vigil.people.services import add_household_member, children_for
from vigil.risk.services import current_assessment
from vigil.safeguarding import services as safeguarding

RECEIPT = Source("NCA referral NCA-1", datetime(2021, 3, 1, tzinfo=UTC))
LATER = Source("household visit", datetime(2021, 6, 1, tzinfo=UTC))

pytestmark = pytest.mark.django_db


def person(ref, role, **facts) -> PersonRecord:
    return PersonRecord(ref=ref, role=role, source=facts.pop("source", RECEIPT), **facts)


def refs(children) -> dict[str, str]:
    return {child.ref: child.relation for child in children}


# ---------------------------------------------------------------------------------------------
# The rule itself (pure)


def test_every_way_a_suspect_reaches_a_child():
    people = [
        person("s1", "suspect", date_of_birth=date(1980, 1, 1)),
        person("h1", "household_member", date_of_birth=date(2012, 5, 1)),
        person("h2", "household_member", stated_age=9, stated_age_on=date(2021, 3, 1)),
        person("c1", "other", stated_age=7, stated_age_on=date(2021, 3, 1)),
        person("v1", "victim"),
        person("a1", "household_member", date_of_birth=date(1950, 1, 1)),
    ]
    children = children_in_view(
        people,
        [LivesWithRecord("s1", "h1", RECEIPT), LivesWithRecord("a1", "s1", RECEIPT)],
        [AccessRecord("s1", "c1", "regular_unsupervised", RECEIPT)],
        on=date(2021, 3, 1),
    )
    # h2 lives there though no tie says with whom; v1's age is not known, so a child; a1 is 80.
    assert refs(children) == {"h1": "household", "h2": "household", "c1": "access", "v1": "victim"}
    ages = {child.ref: (child.age, child.age_is_estimated) for child in children}
    assert ages == {"h1": (8, False), "h2": (9, True), "c1": (7, True), "v1": (None, False)}


def test_ages_are_on_the_day_asked():
    people = [
        person("s1", "suspect"),
        person("h1", "household_member", date_of_birth=date(2006, 1, 1)),
    ]
    ties = [LivesWithRecord("s1", "h1", RECEIPT)]
    assert refs(children_in_view(people, ties, on=date(2021, 3, 1))) == {"h1": "household"}
    assert children_in_view(people, ties, on=date(2026, 3, 1)) == []


def test_a_suspect_who_is_a_child_is_in_view_and_never_counts_as_his_own_household():
    people = [person("s1", "suspect", date_of_birth=date(2008, 1, 1))]
    children = children_in_view(people, [LivesWithRecord("s1", "s1", RECEIPT)], on=date(2021, 3, 1))
    assert [(child.ref, child.relation, child.age) for child in children] == [("s1", "suspect", 13)]


def test_what_was_learned_later_is_not_in_view_as_of_before_it():
    people = [
        person("s1", "suspect"),
        person(
            "h1", "household_member", stated_age=4, stated_age_on=date(2021, 6, 1), source=LATER
        ),
    ]
    ties = [LivesWithRecord("s1", "h1", LATER)]
    on = date(2021, 6, 2)
    assert children_in_view(people, ties, on=on, known_by=RECEIPT.at) == []
    found = children_in_view(people, ties, on=on, known_by=LATER.at)
    assert [(child.ref, child.source.label) for child in found] == [("h1", "household visit")]


# ---------------------------------------------------------------------------------------------
# From every source, in the database


def suspect_referral(reference: str, force: str = "XF", **changes) -> dict:
    data = referral_data(source_reference=reference, force=force, access=[])
    data["subjects"] = [
        {
            "ref": "s1",
            "role": "suspect",
            "first_name": "Rowan",
            "last_name": "Example",
            "date_of_birth": "1979-04-04",
            "identifiers": [{"type": "email", "value": "rowan.example@example.com"}],
        }
    ]
    data.update(changes)
    return data


def test_a_child_known_from_another_referral_about_the_same_suspect_is_in_view(forces):
    earlier = AS_OF - timedelta(days=30)
    older = suspect_referral("YF-2019-1", force="YF", received_at=earlier.isoformat())
    older["subjects"].append(
        {
            "ref": "d1",
            "role": "household_member",
            "first_name": "Daisy",
            "age": 7,
            "lives_with": ["s1"],
        }
    )
    store(older, as_of=earlier)
    referral, _ = store(suspect_referral("XF-2020-9"))
    children = children_for(referral, as_of=AS_OF)
    assert [(c["name"], c["relation"], c["age"], c["known_from"]) for c in children] == [
        ("Daisy", "household", 7, "another referral held by YF")
    ]
    # Grading reads the same rule: he lives with a child, and the reason names the force.
    answer = current_assessment(referral).answers["A1"]
    assert answer["answer"] == "yes"
    assert "known from another referral held by YF" in answer["detail"]


def test_a_child_from_a_referral_the_reader_may_not_open_is_shown_without_a_name(forces, make_user):
    earlier = AS_OF - timedelta(days=30)
    older = suspect_referral("YF-2019-2", force="YF", received_at=earlier.isoformat())
    older["subjects"].append(
        {
            "ref": "d1",
            "role": "household_member",
            "first_name": "Daisy",
            "age": 7,
            "lives_with": ["s1"],
        }
    )
    store(older, as_of=earlier)
    referral, _ = store(suspect_referral("XF-2020-10"))
    shown = children_for(referral, as_of=AS_OF, viewer=make_user("investigator", "XF"))
    assert [(c["name"], c["ref"], c["age"]) for c in shown] == [("A child known to YF", "", 7)]
    assert (
        children_for(referral, as_of=AS_OF, viewer=make_user("investigator", "YF"))[0]["name"]
        == "Daisy"
    )


def test_a_fact_recorded_later_counts_from_when_it_was_learned(forces, make_user):
    referral, _ = store(suspect_referral("XF-2020-11", received_at=AS_OF.isoformat()))
    learned = AS_OF + timedelta(days=2)
    add_household_member(
        make_user("assessor"),
        referral,
        first_name="Kit",
        age=5,
        source="visit",
        learned_at=learned,
        as_of=learned + timedelta(hours=1),
    )
    assert children_for(referral, as_of=AS_OF + timedelta(days=1)) == []
    found = children_for(referral, as_of=learned)
    assert [(c["name"], c["source"]) for c in found] == [("Kit", "visit")]


def test_safeguarding_the_bail_check_and_insight_see_the_same_children(forces, make_user):
    data = suspect_referral("XF-2020-12")
    data["subjects"] += [
        {
            "ref": "h1",
            "role": "household_member",
            "first_name": "Ivy",
            "age": 10,
            "lives_with": ["s1"],
        },
        {"ref": "c1", "role": "other", "first_name": "Noor", "age": 8},
    ]
    data["access"] = [{"subject": "s1", "child": "c1", "kind": "regular_unsupervised"}]
    referral, _ = store(data)
    rule = children_for(referral, as_of=AS_OF)
    assert {c["ref"] for c in rule} == {"h1", "c1"}
    on_the_page = safeguarding.children_in_view(referral, as_of=AS_OF)
    assert {c["ref"] for c in on_the_page} == {"h1", "c1"}

    # Released home: the household and the child he has access to; elsewhere, the access child.
    def at_address(address, postcode):
        check = check_release_address(
            SYSTEM, referral, address, postcode, on=AS_OF.date(), as_of=AS_OF
        )
        return set(check.children)

    assert at_address("home", "") == {"h1", "c1"}
    assert at_address("A hostel", "ZZ9 9ZZ") == {"c1"}
    scope = insight.scope_for(SYSTEM, force_code="XF")
    period = insight.Period(AS_OF.date() - timedelta(days=400), AS_OF.date() + timedelta(days=1))
    table = insight.safeguarding(scope, period, as_of=AS_OF)
    counted = dict((row[0], row[1]) for row in table.rows)
    assert counted["Children in view (referrals received in the period)"] == len(rule)


def test_the_worklist_counts_the_children_in_view_by_the_same_rule(forces, make_user):
    data = suspect_referral("XF-2020-13")
    data["subjects"].append(
        {
            "ref": "h1",
            "role": "household_member",
            "first_name": "Ivy",
            "age": 10,
            "lives_with": ["s1"],
        }
    )
    referral, _ = store(data)
    supervisor = make_user("supervisor")
    items = worklist(supervisor, as_of=AS_OF + timedelta(days=1), scope="force")["items"]
    assert items and {item["children"] for item in items if item["referral_id"] == referral.pk} == {
        len(children_for(referral, as_of=AS_OF + timedelta(days=1)))
    } == {1}

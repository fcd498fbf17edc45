"""Households over time: who lived at an address on a day, read by the same home (never by a
postcode alone), from the referrals the asker may see; other forces only by name and contact."""

from datetime import date, timedelta

import pytest

from tests.conftest import london, low_risk, store
from vigil.people.households import (
    children_held_elsewhere,
    households_at,
    lived_there_on,
)
from vigil.people.normalise import home_line, postcode_in, same_home

RECEIVED = london(2026, 6, 15, 9, 0)
AS_OF = RECEIVED + timedelta(days=5)
DAY = date(2026, 6, 5)


def held(
    reference: str,
    *,
    force: str = "XF",
    line1: str = "7 Low Road",
    postcode: str = "XX2 2XX",
    child: dict | None = None,
    address: dict | None = None,
    established: bool = True,
):
    """A referral whose suspect lives at an address, with (optionally) a child who lives there
    too: by their own address (``address``) or by living with the suspect."""
    data = low_risk(RECEIVED, household_established=established)
    data.update(source_reference=reference, force=force)
    data["subjects"][0]["address"] = {"line1": line1, "postcode": postcode}
    if child is not None:
        data["subjects"].append(
            {
                "ref": "c1",
                "role": "household_member",
                "first_name": "Robin",
                "last_name": "Hidden",
                "age": 8,
                **child,
            }
        )
        if address is not None:
            data["subjects"][-1]["address"] = address
    return store(data, as_of=RECEIVED + timedelta(hours=1))[0]


# The one normaliser ------------------------------------------------------------------------


def test_a_first_line_written_differently_is_the_same_home():
    assert home_line("12, High St.") == home_line("12 High Street") == ("12", "high", "street")
    assert same_home(home_line("12 High St"), home_line("12, High Street, Exampleton XX1 1XX"))
    assert same_home(home_line("Flat 3", "12 High St"), home_line("Flat 3, 12 High Street"))


def test_another_house_on_the_street_is_not_the_same_home():
    assert not same_home(home_line("1 High Street"), home_line("12 High Street"))
    assert not same_home(home_line("12 High Street"), home_line("Flat 2, 12 High Street"))
    assert not same_home(home_line(""), home_line("12 High Street"))


def test_the_postcode_written_in_an_address_is_read():
    assert postcode_in("12 High Street, Exampleton, xx1 1xx") == "XX11XX"
    assert postcode_in("A hostel") == ""


def test_open_ends_and_undated_addresses_cover_the_day():
    assert lived_there_on(None, None, DAY)
    assert lived_there_on(DAY, None, DAY) and lived_there_on(None, DAY, DAY)
    assert not lived_there_on(DAY + timedelta(days=1), None, DAY)
    assert not lived_there_on(None, DAY - timedelta(days=1), DAY)


# Households from the referrals ------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_postcode_but_another_house_is_not_the_household(make_user):
    held("NCA-1", child={"lives_with": ["s1"]})
    found = households_at(
        make_user("investigator"), "9 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF
    )
    assert found == []


@pytest.mark.django_db
def test_the_same_address_written_differently_finds_the_household_and_its_child(make_user):
    referral = held("NCA-1", child={"lives_with": ["s1"]})
    [household] = households_at(
        make_user("investigator"), "7, Low Rd., Exampleton", "xx22xx", on=DAY, known_by=AS_OF
    )
    assert household.referral_id == referral.pk and household.established
    assert [(c.ref, c.age, c.how) for c in household.children] == [("c1", 8, "lives with s1")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("dates", "counted"),
    [
        ({"lived_until": "2026-05-01"}, False),  # moved out before the day
        ({"lived_from": "2026-06-10"}, False),  # moved in after the day
        ({"lived_from": "2026-06-05", "lived_until": "2026-06-05"}, True),  # both ends count
        ({}, True),  # undated: known to have lived there at some time
    ],
)
def test_only_the_household_on_the_day_counts(make_user, dates, counted):
    held(
        "NCA-1",
        child={"lives_with": ["s1"]},
        address={"line1": "7 Low Road", "postcode": "XX2 2XX", **dates},
    )
    [household] = households_at(
        make_user("investigator"), "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF
    )
    assert [child.ref for child in household.children] == (["c1"] if counted else [])


@pytest.mark.django_db
def test_a_household_learned_after_the_moment_asked_is_not_known_then(make_user):
    held("NCA-1", child={"lives_with": ["s1"]})
    assert (
        households_at(
            make_user("investigator"),
            "7 Low Road",
            "XX2 2XX",
            on=DAY,
            known_by=RECEIVED - timedelta(days=1),
        )
        == []
    )


@pytest.mark.django_db
def test_an_estimated_location_places_no_one_at_an_address(make_user):
    data = low_risk(RECEIVED)
    data["subjects"][0]["address"] = {
        "kind": "estimated",
        "line1": "7 Low Road",
        "postcode": "XX2 2XX",
    }
    store(data, as_of=AS_OF)
    assert (
        households_at(make_user("investigator"), "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF)
        == []
    )


@pytest.mark.django_db
def test_another_forces_household_is_only_named_by_the_force_and_its_contact(make_user, forces):
    forces["YF"].contact = "Sampleton POLIT SPOC, 01632 960000"
    forces["YF"].save()
    held("YF-SECRET-1", force="YF", child={"lives_with": ["s1"]})
    investigator = make_user("investigator")
    assert households_at(investigator, "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF) == []
    found = children_held_elsewhere(investigator, "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF)
    assert [one.as_dict() for one in found] == [
        {
            "force": "YF",
            "force_name": "Sampleton Constabulary",
            "contact": "Sampleton POLIT SPOC, 01632 960000",
        }
    ]
    # YF's own investigator sees the household, and nothing is "elsewhere" for them.
    theirs = make_user("investigator", "YF")
    assert households_at(theirs, "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF)
    assert children_held_elsewhere(theirs, "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF) == []


@pytest.mark.django_db
def test_a_household_without_a_child_is_not_flagged_to_another_force(make_user):
    held("YF-1", force="YF")
    assert (
        children_held_elsewhere(
            make_user("investigator"), "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF
        )
        == []
    )


@pytest.mark.django_db
def test_a_household_is_established_only_where_someone_living_there_said_so(make_user):
    held("NCA-1", established=False)
    [household] = households_at(
        make_user("investigator"), "7 Low Road", "XX2 2XX", on=DAY, known_by=AS_OF
    )
    assert not household.established

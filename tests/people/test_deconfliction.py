"""Repeat suspects are found across referrals and forces, with the reason for each link."""

import copy

import pytest

from tests.conftest import AS_OF, SYSTEM, referral_data, store
from vigil.people.models import Link
from vigil.site.services import referral_detail

pytestmark = pytest.mark.django_db


def suspect(reference: str, force: str = "XF", **person) -> dict:
    """A referral whose only subject is a suspect with the given fields."""
    subject = {"ref": "s1", "role": "suspect", **person}
    return referral_data(source_reference=reference, force=force, subjects=[subject], access=[])


def links_of(referral, viewer=SYSTEM):
    return referral_detail(referral, viewer, as_of=AS_OF)["linked_referrals"]


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (
            {"identifiers": [{"type": "email", "value": "Alex@Example.com"}]},
            {"identifiers": [{"type": "email", "value": " alex@example.com"}]},
            "email",
        ),
        (
            {"identifiers": [{"type": "phone", "value": "07700 900123"}]},
            {"identifiers": [{"type": "phone", "value": "+447700900123"}]},
            "phone",
        ),
        (
            {"identifiers": [{"type": "username", "value": "AlexEx", "service": "ExampleSocial"}]},
            {"identifiers": [{"type": "username", "value": "@alexex", "service": "examplesocial"}]},
            "username",
        ),
        (
            {"identifiers": [{"type": "device", "value": "IMEI:354123456789012"}]},
            {"identifiers": [{"type": "device", "value": "imei 354123456789012"}]},
            "device",
        ),
        (
            {"first_name": "Seán", "last_name": "O'Brien", "date_of_birth": "1990-01-02"},
            {"first_name": "Sean", "last_name": "OBrien", "date_of_birth": "1990-01-02"},
            "name_dob",
        ),
    ],
)
def test_a_repeat_suspect_in_another_force_is_linked_with_the_reason(first, second, reason):
    earlier, _ = store(suspect("NCA-1", "XF", **first))
    later, _ = store(suspect("NCA-2", "YF", **second))
    [link] = links_of(later)
    assert (link["source_reference"], link["force"], link["reason"]) == ("NCA-1", "XF", reason)
    # The earlier referral shows the link too.
    [back] = links_of(earlier)
    assert (back["source_reference"], back["force"], back["reason"]) == ("NCA-2", "YF", reason)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            {"identifiers": [{"type": "ip", "value": "203.0.113.5"}]},
            {"identifiers": [{"type": "ip", "value": "203.0.113.5"}]},
        ),
        (
            {"identifiers": [{"type": "username", "value": "alexex", "service": "ExampleSocial"}]},
            {"identifiers": [{"type": "username", "value": "alexex", "service": "PicShare"}]},
        ),
        (
            {"first_name": "Alex", "last_name": "Example", "date_of_birth": "1990-01-02"},
            {"first_name": "Alex", "last_name": "Example", "date_of_birth": "1990-01-03"},
        ),
    ],
)
def test_things_that_do_not_identify_a_person_do_not_link(first, second):
    store(suspect("NCA-1", **first))
    later, _ = store(suspect("NCA-2", **second))
    assert links_of(later) == []


def test_a_suspect_who_is_a_household_member_elsewhere_is_linked():
    elsewhere = referral_data(
        source_reference="NCA-1",
        access=[],
        subjects=[
            {"ref": "s1", "role": "suspect", "first_name": "Sam", "last_name": "Other"},
            {
                "ref": "h1",
                "role": "household_member",
                "first_name": "Alex",
                "last_name": "Example",
                "date_of_birth": "1990-01-02",
                "lives_with": ["s1"],
            },
        ],
    )
    store(elsewhere)
    later, _ = store(
        suspect("NCA-2", first_name="Alex", last_name="Example", date_of_birth="1990-01-02")
    )
    [link] = links_of(later)
    assert (link["person_role"], link["their_role"]) == ("suspect", "household_member")


def test_two_victims_sharing_an_email_are_not_a_deconfliction_link():
    victim = {
        "ref": "v1",
        "role": "victim",
        "identifiers": [{"type": "email", "value": "kid@example.com"}],
    }
    store(referral_data(source_reference="NCA-1", subjects=[victim], access=[]))
    later, _ = store(
        referral_data(source_reference="NCA-2", subjects=[copy.deepcopy(victim)], access=[])
    )
    assert links_of(later) == []


def test_another_forces_linked_referral_is_named_but_not_opened(make_user):
    store(suspect("NCA-1", "YF", identifiers=[{"type": "email", "value": "a@example.com"}]))
    mine, _ = store(
        suspect("NCA-2", "XF", identifiers=[{"type": "email", "value": "a@example.com"}])
    )
    [link] = links_of(mine, viewer=make_user("investigator", "XF"))
    assert (link["visible"], link["referral_id"], link["force"]) == (False, None, "YF")
    assert (link["source_reference"], link["received_at"]) == ("", None)  # nothing of theirs
    assert link["matched_on"] == "a@example.com"


def test_matching_costs_the_same_however_many_referrals_are_held(django_assert_num_queries):
    def import_one(n: int):
        return store(
            suspect(f"NCA-{n}", identifiers=[{"type": "email", "value": f"p{n}@example.com"}])
        )

    for n in range(3):
        import_one(n)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        import_one(100)
    for n in range(3, 60):
        import_one(n)
    with CaptureQueriesContext(connection) as many:
        import_one(101)
    assert len(many.captured_queries) == len(few.captured_queries)
    match_query = [
        q["sql"]
        for q in many.captured_queries
        if "people_matchkey" in q["sql"] and "IN" in q["sql"]
    ]
    assert match_query, "deconfliction should be one keyed lookup"


def test_links_are_stored_once_per_pair_and_reason():
    store(
        suspect(
            "NCA-1",
            identifiers=[
                {"type": "email", "value": "a@example.com"},
                {"type": "phone", "value": "07700900001"},
            ],
        )
    )
    store(
        suspect(
            "NCA-2",
            identifiers=[
                {"type": "email", "value": "a@example.com"},
                {"type": "phone", "value": "07700900001"},
            ],
        )
    )
    assert sorted(Link.objects.values_list("reason", flat=True)) == ["email", "phone"]

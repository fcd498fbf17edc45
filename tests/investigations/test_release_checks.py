"""A release to an address is checked against every household known there on the day: the same
home (never a postcode alone), every referral the force may see, another force's child only
by that force's name and contact, and an unestablished household only on a supervisor's
written acceptance of the risk."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.conftest import SYSTEM, london, low_risk, store
from vigil.audit.models import AuditEvent
from vigil.intake.research import add_research
from vigil.investigations import services as investigations
from vigil.investigations.models import Release
from vigil.referrals.services import restrict_referral

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 6, 1, 9, 0)
RELEASED = london(2026, 6, 5, 18, 0)
LATER = london(2026, 6, 20, 9, 0)
# What another force's referral holds, none of which may reach this force.
SECRET = ("YF-SECRET-77", "Robin", "Hidden", "XX9 9ZZ-note")


@pytest.fixture
def staff(make_user):
    return {role: make_user(role, "XF") for role in ("investigator", "supervisor")}


def suspect_referral(**suspect):
    """The referral whose suspect is released: at home at 1 High Street with Sky, 15."""
    data = low_risk(RECEIVED, **suspect)
    data["subjects"][0]["address"] = {"line1": "1 High Street", "postcode": "XX1 1XX"}
    data["subjects"].append(
        {
            "ref": "h1",
            "role": "household_member",
            "first_name": "Sky",
            "age": 15,
            "lives_with": ["s1"],
        }
    )
    return store(data, as_of=RECEIVED)[0]


def other_referral(reference, *, force="XF", line1="3 High Street", child=None, **suspect):
    """Another referral placing its suspect (and a child, if given) at an address."""
    received = RECEIVED + timedelta(days=1)
    data = low_risk(received, first_name="Pat", last_name="Other", **suspect)
    data.update(source_reference=reference, force=force)
    data["subjects"][0]["address"] = {"line1": line1, "postcode": "XX1 1XX"}
    if child is not None:
        data["subjects"].append(
            {"ref": "c1", "role": "household_member", "lives_with": ["s1"], **child}
        )
    return store(data, as_of=received)[0]


def release(actor, referral, address, postcode="XX1 1XX", **more):
    return investigations.record_release(
        actor,
        referral,
        kind=more.pop("kind", "released_under_investigation"),
        address=address,
        postcode=postcode,
        released_at=RELEASED,
        as_of=LATER,
        **more,
    )


def test_the_same_postcode_but_another_house_finds_no_child(staff):
    """The old bug: a postcode holds about fifteen homes; Sky lives at number 1, not number 3."""
    referral = suspect_referral()
    other_referral("NCA-2026-0002")  # an adult at number 3, household established
    made = release(staff["investigator"], referral, "3 High Street, Exampleton")
    assert made.children_at_address == [] and made.household_established is True


def test_the_same_address_written_differently_finds_the_child(staff):
    referral = suspect_referral()
    with pytest.raises(investigations.RecordError, match=r"\(h1\): a supervisor must record"):
        release(staff["investigator"], referral, "1, High St., Exampleton", postcode="xx11xx")


def test_a_child_at_the_address_in_another_referral_of_the_force_is_found(staff):
    referral = suspect_referral()
    other_referral("NCA-2026-0002", child={"first_name": "Jo", "age": 6})
    with pytest.raises(
        investigations.RecordError, match=r"\(c1 in NCA-2026-0002\): a supervisor must record"
    ):
        release(staff["investigator"], referral, "3 High Street")
    made = release(
        staff["supervisor"],
        referral,
        "3 High Street",
        supervisor_decision="Condition not to stay overnight.",
        safeguarding_plan="Jo's mother and social care told.",
    )
    assert made.children_at_address == ["c1 in NCA-2026-0002"]
    [child] = made.household_children
    assert (child["name"], child["age"], child["source_reference"]) == ("Jo", 6, "NCA-2026-0002")


def test_a_child_who_moved_out_before_the_release_is_not_counted(staff):
    referral = suspect_referral()
    other = other_referral("NCA-2026-0002")
    add_research(
        SYSTEM,
        other,
        source="Council tax records",
        learned_at=LATER,
        subjects=[
            {
                "ref": "c1",
                "role": "household_member",
                "first_name": "Jo",
                "age": 6,
                "addresses": [
                    {"line1": "3 High Street", "postcode": "XX1 1XX", "lived_until": "2026-06-02"}
                ],
            }
        ],
        as_of=LATER,
    )
    made = release(staff["investigator"], referral, "3 High Street")
    assert made.children_at_address == []


def test_another_forces_child_is_flagged_by_its_name_and_contact_and_nothing_else(
    staff, forces, client
):
    forces["YF"].contact = "Sampleton POLIT single point of contact, 01632 960000"
    forces["YF"].save()
    referral = suspect_referral()
    other_referral(
        SECRET[0],
        force="YF",
        child={"first_name": SECRET[1], "last_name": SECRET[2], "age": 4, "notes": SECRET[3]},
    )
    with pytest.raises(investigations.RecordError) as refused:
        release(staff["investigator"], referral, "3 High Street")
    message = str(refused.value)
    assert "a child known to YF" in message
    assert (
        "Sampleton Constabulary (YF) holds information about a child at this address: contact "
        "Sampleton POLIT single point of contact, 01632 960000" in message
    )
    made = release(
        staff["supervisor"],
        referral,
        "3 High Street",
        supervisor_decision="Not to reside there until YF's enquiry is answered.",
        safeguarding_plan="YF's POLIT called; bail condition set.",
        # Nothing this force may see establishes the household there.
        accepted_risk="Household to be established with YF.",
    )
    assert made.held_elsewhere == [
        {"force": "YF", "contact": "Sampleton POLIT single point of contact, 01632 960000"}
    ]
    client.force_login(staff["investigator"])
    page = client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()
    answer = json.dumps(client.get(f"/api/v1/referrals/{referral.pk}").json())
    stored = json.dumps(list(Release.objects.values()), default=str) + json.dumps(
        list(AuditEvent.objects.filter(action="release.recorded").values()), default=str
    )
    assert "holds information about a child at this address" in page
    assert "Sampleton POLIT single point of contact" in answer
    for shown in (message, page, answer, stored):
        for secret in SECRET:
            assert secret not in shown


def test_an_unestablished_household_is_refused_until_a_supervisor_accepts_the_risk(staff):
    referral = suspect_referral()
    other_referral("NCA-2026-0002", household_established=False)
    for actor in (staff["investigator"], staff["supervisor"]):
        with pytest.raises(
            investigations.RecordError,
            match="the household at this address is not established: establish it, or a "
            "supervisor may accept the risk in writing",
        ):
            release(actor, referral, "3 High Street")
    with pytest.raises(investigations.RecordError, match="not established"):
        release(staff["investigator"], referral, "22 Nowhere Lane")  # no one known there
    made = release(
        staff["supervisor"],
        referral,
        "3 High Street",
        accepted_risk="Address visited: Pat lives alone; research to follow.",
    )
    assert made.household_established is False
    assert made.accepted_risk == "Address visited: Pat lives alone; research to follow."
    event = AuditEvent.objects.get(action="release.recorded")
    assert "Address visited: Pat lives alone" in json.dumps(event.after)
    assert event.after["household_established"] is False


def test_an_investigator_cannot_accept_the_risk(staff):
    referral = suspect_referral()
    other_referral("NCA-2026-0002", household_established=False)
    with pytest.raises(investigations.RecordError, match="only a supervisor may accept the risk"):
        release(staff["investigator"], referral, "3 High Street", accepted_risk="Fine by me.")
    assert not Release.objects.exists()


def test_research_establishing_the_household_lets_the_investigator_record_it(staff):
    referral = suspect_referral()
    other = other_referral("NCA-2026-0002", household_established=False)
    add_research(
        SYSTEM,
        other,
        source="Home visit",
        learned_at=LATER,
        subjects=[{"ref": "s1", "role": "suspect", "household_established": True}],
        as_of=LATER,
    )
    assert release(staff["investigator"], referral, "3 High Street").household_established


def test_a_remand_sends_no_one_to_an_address_and_is_not_checked(staff):
    referral = suspect_referral()
    made = release(staff["investigator"], referral, "HMP Exampleton", kind="charged_remanded")
    assert made.household_established is None and made.children_at_address == []


def test_released_home_brings_the_suspects_household_and_is_established(staff):
    referral = suspect_referral()
    made = release(
        staff["supervisor"],
        referral,
        "home",
        postcode="",
        supervisor_decision="Sky to stay with her aunt.",
        safeguarding_plan="Social care told.",
    )
    assert made.children_at_address == ["h1"] and made.household_established is True


def test_a_child_the_recorder_saw_in_a_restricted_referral_is_not_shown_to_others(staff, client):
    referral = suspect_referral()
    hidden = other_referral("NCA-2026-RESTRICTED", child={"first_name": "Quinn", "age": 7})
    restrict_referral(SYSTEM, hidden, usernames=[staff["supervisor"].username], as_of=LATER)
    made = release(
        staff["supervisor"],
        referral,
        "3 High Street",
        supervisor_decision="Not to reside there.",
        safeguarding_plan="Social care told.",
    )
    assert made.children_at_address == ["c1 in NCA-2026-RESTRICTED"]
    client.force_login(staff["investigator"])
    answer = client.get(f"/api/v1/referrals/{referral.pk}").json()
    [shown] = answer["releases"]
    assert shown["children_at_address"] == ["a child in a referral you may not open"]
    assert shown["household_children"] == []
    page = client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()
    for text in (json.dumps(answer), page):
        assert "Quinn" not in text and "NCA-2026-RESTRICTED" not in text
    client.force_login(staff["supervisor"])
    page = client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()
    assert "Quinn" in page and "NCA-2026-RESTRICTED" in page


def test_a_release_address_without_a_postcode_is_refused_asking_for_it(staff):
    referral = suspect_referral()
    with pytest.raises(investigations.RecordError, match="give the address's postcode"):
        release(staff["investigator"], referral, "3 High Street", postcode="")
    # A postcode written in the address is read.
    other_referral("NCA-2026-0002")
    assert release(staff["investigator"], referral, "3 High Street, XX1 1XX", postcode="")

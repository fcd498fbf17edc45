"""One page per person: every record deconfliction joins, as far as the user may see."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404

from tests.conftest import AS_OF, EXAMPLE_REFERRAL, SYSTEM, london, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.investigations.services import allocate
from vigil.people.models import Person
from vigil.people.services import children_for
from vigil.referrals.services import restrict_referral
from vigil.site.schemas import Person as PersonSchema
from vigil.site.services import person_detail

pytestmark = pytest.mark.django_db

ALEX = EXAMPLE_REFERRAL["subjects"][0]


def _held(reference: str, force: str = "XF", subjects=None, access=()):
    referral, _ = store(
        referral_data(
            source_reference=reference,
            force=force,
            subjects=subjects if subjects is not None else [ALEX],
            access=list(access),
        )
    )
    return referral


def _person(referral, ref: str = "s1") -> Person:
    return Person.objects.get(referral=referral, ref=ref)


@pytest.fixture
def held(forces, make_user):
    """Alex Example, a suspect, in two XF referrals (the first with Casey, 12, at home and a
    victim), one of YF (with Yolanda, 5, at home) and one XF referral restricted to a
    supervisor."""
    moved = {
        **ALEX,
        "address": {
            "line1": "9 New Road",
            "postcode": "XX9 9XX",
            "lived_from": "2020-01-01",
        },
    }
    first = _held(
        "NCA-2020-0001",
        subjects=EXAMPLE_REFERRAL["subjects"],
        access=EXAMPLE_REFERRAL["access"],
    )
    second = _held("NCA-2020-0002", subjects=[moved])
    yolanda = {
        "ref": "h1",
        "role": "household_member",
        "first_name": "Yolanda",
        "age": 5,
        "lives_with": ["s1"],
    }
    elsewhere = _held("NCA-2020-0003", force="YF", subjects=[ALEX, yolanda])
    secret = _held("NCA-2020-0004")
    named = make_user("supervisor", "XF", username="named-supervisor")
    restrict_referral(named, secret, usernames=[named.username], as_of=AS_OF)
    return {"first": first, "second": second, "elsewhere": elsewhere, "secret": secret}


def _references(detail: dict) -> set[str]:
    return {item["source_reference"] for item in detail["referrals"]}


def test_every_linked_referral_is_gathered_across_forces_for_who_may_see_them(held):
    detail = person_detail(SYSTEM, _person(held["first"]).pk, as_of=AS_OF)
    assert _references(detail) == {
        "NCA-2020-0001",
        "NCA-2020-0002",
        "NCA-2020-0003",
        "NCA-2020-0004",
    }
    assert {item["force"] for item in detail["referrals"]} == {"XF", "YF"}
    assert {"Casey", "Yolanda"} <= {child["name"] for child in detail["children_in_view"]}
    assert all(item["linked_because"] for item in detail["referrals"])


def test_another_forces_and_a_restricted_referral_leave_no_trace(held, officer):
    detail = person_detail(officer, _person(held["second"]).pk, as_of=AS_OF)
    assert _references(detail) == {"NCA-2020-0001", "NCA-2020-0002"}
    shown = json.dumps(detail)
    # Not even as "a child known to YF": the child of a referral they may not see is not there.
    assert "Yolanda" not in shown and "YF" not in shown
    assert {child["source_reference"] for child in detail["children_in_view"]} == {"NCA-2020-0001"}
    for hidden in ("elsewhere", "secret"):
        referral = held[hidden]
        assert referral.source_reference not in shown
        assert f'"referral_id": {referral.pk},' not in shown
        assert _person(referral).pk not in {item["person_id"] for item in detail["records"]}
    assert len(detail["records"]) == 2
    assert all(
        set(item["referral_ids"]) <= {held["first"].pk, held["second"].pk}
        for item in detail["identifiers"] + detail["addresses"]
    )


def test_a_person_of_another_forces_referral_is_not_found(held, officer, client):
    theirs = _person(held["elsewhere"]).pk
    with pytest.raises(Http404):
        person_detail(officer, theirs, as_of=AS_OF)
    client.force_login(officer)
    assert client.get(f"/people/{theirs}/").status_code == 404
    assert client.get(f"/api/v1/people/{theirs}").status_code == 404
    assert client.get(f"/people/{_person(held['secret']).pk}/").status_code == 404
    assert client.get("/api/v1/people/999999").json() == {"error": "not found", "location": ""}


def test_opening_a_person_is_audited_with_what_was_shown(held, officer):
    person = _person(held["first"])
    person_detail(officer, person.pk, as_of=AS_OF)
    event = AuditEvent.objects.get(action="person.viewed")
    assert (event.object_id, event.referral_id, event.actor_name) == (
        str(person.pk),
        held["first"].pk,
        officer.username,
    )
    assert event.after["referrals"] == sorted([held["first"].pk, held["second"].pk])


def test_ages_are_on_the_day_asked(held, officer):
    suspect = _person(held["first"]).pk
    then = person_detail(officer, suspect, as_of=AS_OF)
    later = person_detail(officer, suspect, as_of=london(2022, 1, 1, 12, 0))
    assert (then["age_today"], later["age_today"]) == (17, 18)
    casey = {child["name"]: child for child in later["children_in_view"]}["Casey"]
    # Stated as 12 when the referral arrived (10 September 2020): at least 13 in January 2022.
    assert (casey["age"], casey["age_is_estimated"]) == (13, True)
    assert casey["relations"] == ["household"]
    gone = person_detail(officer, suspect, as_of=london(2027, 1, 1, 12, 0))
    assert "Casey" not in {child["name"] for child in gone["children_in_view"]}


def test_identifiers_are_shown_once_with_every_referral_they_came_from(held, officer):
    detail = person_detail(officer, _person(held["first"]).pk, as_of=AS_OF)
    email = [item for item in detail["identifiers"] if item["kind"] == "email"]
    assert len(email) == 1
    assert email[0]["referral_ids"] == [held["first"].pk, held["second"].pk]
    assert [item["text"] for item in detail["addresses"]] == [
        "9 New Road, XX9 9XX",
        "1 Example Street, Exampleton, XX1 1XX",
    ]


def test_a_child_page_names_the_suspects_who_can_reach_them(held, officer):
    casey = _person(held["first"], "c1")
    detail = person_detail(officer, casey.pk, as_of=AS_OF)
    assert detail["is_child"] is True
    # Alex lives with Casey in the first referral; the second, about the same Alex, brings
    # Casey into its view too (the one rule follows deconfliction's links).
    assert sorted(
        (item["name"], item["source_reference"], item["relation"]) for item in detail["reached_by"]
    ) == [
        ("Alex Example", "NCA-2020-0001", "household"),
        ("Alex Example", "NCA-2020-0002", "household"),
    ]
    assert detail["households"][0]["members"][0]["name"] == "Alex Example"
    suspect = person_detail(officer, _person(held["first"]).pk, as_of=AS_OF)
    household = {member["name"] for item in suspect["households"] for member in item["members"]}
    assert household == {"Casey"}


def test_open_clocks_are_listed_and_met_ones_are_not(held, make_user):
    supervisor = make_user("supervisor", "XF")
    investigator = make_user("investigator", "XF")
    first = held["first"]
    before = person_detail(supervisor, _person(first).pk, as_of=AS_OF)
    kinds = {(item["referral_id"], item["kind"]) for item in before["clocks"]}
    assert (first.pk, "allocation") in kinds
    assert all(item["state"] in {"due", "due_soon", "overdue"} for item in before["clocks"])
    allocate(supervisor, first, investigator, as_of=AS_OF + timedelta(minutes=5))
    after = person_detail(supervisor, _person(first).pk, as_of=AS_OF + timedelta(minutes=10))
    kinds = {(item["referral_id"], item["kind"]) for item in after["clocks"]}
    assert (first.pk, "allocation") not in kinds
    assert (held["second"].pk, "allocation") in kinds


def test_the_command_prints_the_same_shape_as_the_api(held, officer, client):
    person = _person(held["first"]).pk
    out = StringIO()
    call_command(
        "person",
        "show",
        str(person),
        "--json",
        "--as",
        officer.username,
        "--as-of",
        "2020-09-14",
        stdout=out,
    )
    printed = json.loads(out.getvalue())
    client.force_login(officer)
    answered = client.get(f"/api/v1/people/{person}", {"as_of": "2020-09-14"}).json()
    # The same dict: only the spelling of UTC differs ("+00:00" here, "Z" from the API).
    assert set(printed) == set(answered) == set(PersonSchema.model_fields)
    assert PersonSchema.model_validate(printed).model_dump(
        mode="json"
    ) == PersonSchema.model_validate(answered).model_dump(mode="json")
    assert printed["referrals"][0]["source_reference"] == "NCA-2020-0001"
    text = StringIO()
    call_command("person", "show", str(person), "--as", officer.username, stdout=text)
    assert "NCA-2020-0002" in text.getvalue() and "Children in view:" in text.getvalue()
    assert "NCA-2020-0003" not in text.getvalue()


def test_the_command_finds_another_forces_person_not_found(held, officer):
    with pytest.raises(CommandError, match="No person found"):
        call_command("person", "show", str(_person(held["elsewhere"]).pk), "--as", officer.username)
    with pytest.raises(CommandError, match="no active user"):
        call_command("person", "show", "1", "--as", "nobody")


def test_the_api_documents_the_person_schema(client, officer):
    client.force_login(officer)
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/people/{person_id}"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/Person")
    assert "404" in operation["responses"]
    fields = document["components"]["schemas"]["Person"]["properties"]
    assert {"referrals", "identifiers", "addresses", "children_in_view", "clocks"} <= set(fields)


def test_a_bad_as_of_is_refused_on_the_api_and_explained_on_the_page(held, officer, client):
    client.force_login(officer)
    person = _person(held["first"]).pk
    assert client.get(f"/api/v1/people/{person}", {"as_of": "soon"}).status_code == 400
    page = client.get(f"/people/{person}/", {"as_of": "soon"})
    assert page.status_code == 200 and "There is a problem" in page.content.decode()


def test_names_on_the_referral_page_and_in_search_lead_to_the_person(held, officer, client):
    client.force_login(officer)
    person = _person(held["first"]).pk
    referral_page = client.get(f"/referrals/{held['first'].pk}/").content.decode()
    assert f'href="/people/{person}/"' in referral_page
    found = client.get("/search/", {"q": "Alex Example"}).content.decode()
    assert f'href="/people/{person}/"' in found
    page = client.get(f"/people/{person}/").content.decode()
    assert "NCA-2020-0002" in page and "Casey" in page and "NCA-2020-0003" not in page


def test_the_children_in_view_of_a_referral_lead_to_their_own_record_unless_hidden(
    held, officer, make_user
):
    casey = _person(held["first"], "c1")
    mine = {child["name"]: child["person_id"] for child in children_for(held["first"], as_of=AS_OF)}
    assert mine["Casey"] == casey.pk
    # Yolanda is known to the XF referral only through YF's: not named, no record to open.
    theirs = children_for(held["second"], as_of=AS_OF, viewer=officer)
    hidden = [child for child in theirs if child["name"].startswith("A child known to")]
    assert hidden and all(child["person_id"] is None for child in hidden)
    for_yf = children_for(held["second"], as_of=AS_OF, viewer=make_user("supervisor", "YF"))
    assert "Yolanda" in {child["name"] for child in for_yf}

"""Search finds referrals by names, identifiers, postcodes, references and hashes, and only
those the searcher may see."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from tests.conftest import AS_OF, EXAMPLE_REFERRAL, referral_data, store
from vigil.accounts.models import Force
from vigil.audit.models import AuditEvent
from vigil.people import fulltext
from vigil.people.models import Person
from vigil.people.normalise import name_similarity, search_name
from vigil.people.search import search
from vigil.referrals.services import restrict_referral

pytestmark = pytest.mark.django_db

ITEM_KEYS = {
    "kind",
    "referral_id",
    "source_reference",
    "force",
    "person",
    "person_id",
    "matched_on",
    "score",
}


def _suspect(**changes) -> dict:
    suspect = {**EXAMPLE_REFERRAL["subjects"][0], **changes}
    return suspect


def _held(reference: str, force: str = "XF", suspect: dict | None = None, material=None):
    data = referral_data(
        source_reference=reference,
        force=force,
        subjects=[suspect or _suspect()],
        access=[],
        material=EXAMPLE_REFERRAL["material"] if material is None else material,
    )
    referral, _ = store(data)
    return referral


@pytest.fixture
def held(forces):
    """Alex Example in XF and YF; Seán O'Brien in XF, with nothing else in common."""
    return {
        "alex": _held("NCA-2020-0001"),
        "other_force": _held("NCA-2020-0002", force="YF"),
        "sean": _held(
            "CT-123456789",
            suspect={
                "ref": "s1",
                "role": "suspect",
                "first_name": "Seán",
                "last_name": "O'Brien",
                "identifiers": [{"type": "email", "value": "sean@example.org"}],
                "address": {"line1": "2 Other Road", "postcode": "YY2 2YY"},
            },
            material=[{"kind": "image", "md5": "b" * 32, "sha1": "c" * 40}],
        ),
    }


@pytest.fixture
def investigator(make_user):
    return make_user("investigator", "XF")


def _found(actor, query: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for item in search(actor, query, as_of=AS_OF):
        assert set(item) == ITEM_KEYS
        found.setdefault(item["referral_id"], set()).add(item["kind"])
    return found


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("alex.example@EXAMPLE.com", "email"),
        ("  Alex.Example@example.com ", "email"),
        ("07700 900123", "phone"),
        ("+44 7700 900123", "phone"),
        ("@AlexEx", "username"),
        ("alexex", "username"),
        ("203.0.113.5", "ip"),
        ("XX1 1XX", "postcode"),
        ("xx11xx", "postcode"),
        ("xx1 1xx", "postcode"),
        ("NCA-2020-0001", "reference"),
        ("nca-2020-0001", "reference"),
        ("0" * 31 + "1", "md5"),
        ("A" * 40, "sha1"),
        ("Alex Example", "name"),
        ("example alex", "name"),
        ("Alx Exmaple", "name"),
        ("ALEX", "name"),
    ],
)
def test_each_kind_of_query_finds_the_referral(held, investigator, query, kind):
    found = _found(investigator, query)
    assert kind in found.get(held["alex"].pk, set())
    assert held["sean"].pk not in found


@pytest.mark.parametrize("query", ["sean obrien", "Seán O'Brien", "SEAN O BRIEN", "Obrien Sean"])
def test_accented_and_punctuated_names_are_found_without_them(held, investigator, query):
    found = _found(investigator, query)
    assert found == {held["sean"].pk: {"name"}}


def test_a_cybertip_report_number_is_found_as_its_reference(held, investigator):
    assert "reference" in _found(investigator, "CT-123456789")[held["sean"].pk]


def test_unrelated_names_are_not_found(held, investigator):
    assert _found(investigator, "Jordan Nobody") == {}


def test_names_score_between_zero_and_one_and_exact_is_best(held, investigator):
    items = search(investigator, "Alex Exampel", as_of=AS_OF)
    assert items and all(0 <= item["score"] <= 1 for item in items)
    exact = search(investigator, "Alex Example", as_of=AS_OF)
    assert exact[0]["score"] == 1 > items[0]["score"]


def test_another_forces_referral_is_never_found(held, investigator, make_user):
    theirs = held["other_force"].pk
    for query in ("Alex Example", "alex.example@example.com", "NCA-2020-0002", "0" * 31 + "1"):
        assert theirs not in _found(investigator, query)
    assert theirs in _found(make_user("investigator", "YF"), "NCA-2020-0002")


def test_a_restricted_referral_is_found_only_by_the_people_named_on_it(
    held, investigator, make_user, client
):
    named = make_user("investigator", "XF", username="named-investigator")
    restrict_referral(
        make_user("unit_head", "XF"),
        held["sean"],
        restricted=True,
        usernames=[named.username],
        as_of=AS_OF,
    )
    for query in ("Sean OBrien", "sean@example.org", "yy22yy", "CT-123456789", "b" * 32):
        assert _found(investigator, query) == {}, query
        assert held["sean"].pk in _found(named, query), query
    client.force_login(investigator)
    answer = client.get("/api/v1/search", {"q": "Sean OBrien"})
    assert answer.json() == {"items": []}
    page = client.get(reverse("search"), {"q": "Sean OBrien"})
    assert b"CT-123456789" not in page.content and b"Nothing you can see" in page.content


def test_roles_that_cannot_see_referrals_cannot_search(held, make_user, client):
    analyst = make_user("analyst", "XF")
    client.force_login(analyst)
    assert client.get("/api/v1/search", {"q": "Alex"}).status_code == 403
    assert client.get(reverse("search"), {"q": "Alex"}).status_code == 403
    assert b'data-testid="header-search"' not in client.get(reverse("home")).content


def test_a_person_not_signed_in_is_sent_to_sign_in(client):
    page = client.get(reverse("search"), {"q": "Alex"})
    assert page.status_code == 302 and reverse("accounts:login") in page["Location"]
    assert client.get("/api/v1/search", {"q": "Alex"}).status_code == 401


def test_the_api_answers_items_in_the_published_shape(held, investigator, client):
    client.force_login(investigator)
    answer = client.get("/api/v1/search", {"q": "alex.example@example.com"})
    assert answer.status_code == 200
    item = next(item for item in answer.json()["items"] if item["kind"] == "email")
    assert item == {
        "kind": "email",
        "referral_id": held["alex"].pk,
        "source_reference": "NCA-2020-0001",
        "force": "XF",
        "person": "Alex Example",
        "person_id": held["alex"].people.get(ref="s1").pk,
        "matched_on": "Email address: Alex.Example@Example.com",
        "score": 1.0,
    }


def test_every_page_carries_the_search_box_and_results_link_to_the_referral(
    held, investigator, client
):
    client.force_login(investigator)
    assert b'data-testid="header-search"' in client.get(reverse("site:referral-list")).content
    page = client.get(reverse("search"), {"q": "Example Alex"})
    assert page.status_code == 200
    link = reverse("site:referral-detail", args=[held["alex"].pk]).encode()
    assert link in page.content
    assert reverse("site:referral-detail", args=[held["other_force"].pk]).encode() not in (
        page.content
    )


def test_the_command_prints_the_api_shape_and_can_search_as_a_user(held, investigator):
    out = StringIO()
    call_command("search", "alex.example@example.com", "--json", stdout=out)
    everyone = json.loads(out.getvalue())
    assert {item["referral_id"] for item in everyone["items"]} == {
        held["alex"].pk,
        held["other_force"].pk,
    }
    assert all(set(item) == ITEM_KEYS for item in everyone["items"])
    out = StringIO()
    call_command(
        "search", "alex.example@example.com", "--json", "--as", investigator.username, stdout=out
    )
    assert {item["referral_id"] for item in json.loads(out.getvalue())["items"]} == {
        held["alex"].pk
    }
    out = StringIO()
    call_command("search", "Alex", "Example", stdout=out)
    assert "NCA-2020-0001" in out.getvalue()


def test_a_search_is_audited_with_what_it_found(held, investigator):
    search(investigator, "Alex Example", as_of=AS_OF)
    event = AuditEvent.objects.filter(action="referrals.searched").latest("id")
    assert event.actor_id == investigator.pk
    assert event.after == {"query": "Alex Example", "referrals": [held["alex"].pk]}


def test_a_corrected_or_deleted_name_is_searched_as_it_now_is(held, investigator):
    person = Person.objects.get(referral=held["sean"], ref="s1")
    person.last_name = "Murphy"
    person.save(update_fields=["last_name"])
    assert _found(investigator, "Sean Murphy") == {held["sean"].pk: {"name"}}
    assert "name" not in _found(investigator, "Sean OBrien").get(held["sean"].pk, set())
    person.delete()
    assert _found(investigator, "Sean Murphy") == {}


def test_the_name_index_is_put_back_if_a_migration_drops_it(request, investigator):
    fulltext.drop(connection)
    fulltext.ensure(connection)
    held = request.getfixturevalue("held")
    assert held["sean"].pk in _found(investigator, "Sean OBrien")
    if connection.vendor == "sqlite":  # filled again from the people already held
        fulltext.drop(connection)
        fulltext.ensure(connection)
        assert held["sean"].pk in _found(investigator, "Sean OBrien")


def test_name_similarity_ignores_order_accents_and_case():
    assert name_similarity("smith john", search_name("John", "Smith")) == 1
    assert name_similarity(search_name("Seán", "O'Brien"), "sean obrien") == 1
    assert 0.3 <= name_similarity("jon smiht", "john smith") < 1
    assert name_similarity("jane doe", "john smith") < 0.3


def test_each_person_carries_the_force_holding_their_referral_however_they_are_saved(held):
    people = list(Person.objects.select_related("referral"))
    assert people and all(person.force_id == person.referral.force_id for person in people)
    one = people[0]
    made = Person.objects.bulk_create(
        [Person(referral_id=one.referral_id, ref="bulk1", role="suspect", first_name="Ann")]
    )
    saved = Person(referral_id=one.referral_id, ref="saved1", role="suspect", first_name="Bo")
    saved.save()
    assert made[0].force_id == saved.force_id == one.referral.force_id
    assert (
        Person.objects.filter(force_id=one.referral.force_id, ref__in=["bulk1", "saved1"]).count()
        == 2
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes")
@pytest.mark.django_db(transaction=True)
def test_a_new_force_gets_a_name_index_of_its_own_people_once_it_is_added():
    force = Force.objects.create(code="NF", name="Newforce Police", region="South")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'people_person' AND indexname = %s",
            [fulltext.force_index(force.pk)],
        )
        definition = cursor.fetchone()
    assert definition is not None
    assert f"WHERE (force_id = {force.pk})" in definition[0]

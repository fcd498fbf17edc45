"""An exhibit's triage results over the API (GET /api/v1/exhibits/{id}/triage) and on its page
(issue 15, points 3 and 4): the stored answer, the unknown images, the victim identification list
and the match list, paged; hashes and paths only, to those who may see the referral. Every
picture is drawn here by Pillow."""

import shutil
from datetime import timedelta

import pytest
from django.urls import reverse

from vigil.exhibits import services
from vigil.exhibits.services import add_exhibit, import_hashset, triage

from ..conftest import AS_OF, SYSTEM, referral_data, store
from .synthetic import blurred, known, picture, vics

pytestmark = pytest.mark.django_db

LATER = AS_OF + timedelta(days=2)


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    """Three known pictures and a device holding an exact copy of each, a blurred copy of the
    first and an unrelated picture."""
    root = tmp_path_factory.mktemp("results-pictures")
    originals = []
    for seed in range(3):
        path = root / f"known-{seed}.png"
        picture(seed).save(path)
        originals.append(path)
    device = root / "device"
    device.mkdir()
    for number, original in enumerate(originals):
        shutil.copy(original, device / f"copy-{number}.png")
    blurred(picture(0)).save(device / "blurred-0.png")
    picture(200).save(device / "unrelated.png")
    return {"originals": originals, "device": device}


@pytest.fixture
def triaged(device, forces, tmp_path):
    """Exhibit JS/1 of an Exampleshire referral, triaged against a set grading the first picture
    A (victim not identified, series Bluebell), the second B (victim identified), the third C."""
    first, second, third = (known(path, 0) for path in device["originals"])
    media = [
        {**first, "Category": 1, "VictimIdentified": "false", "Series": "Bluebell"},
        {**second, "Category": 2, "VictimIdentified": True},
        {**third, "Category": 3},
    ]
    import_hashset(SYSTEM, vics(tmp_path / "set.json", media), name="CAID", as_of=AS_OF)
    referral, _ = store(referral_data())
    exhibit = add_exhibit(SYSTEM, referral.pk, "JS/1", kind="phone", as_of=AS_OF)
    triage(SYSTEM, "JS/1", device["device"], as_of=LATER)
    return exhibit


def test_the_api_gives_the_answer_the_victim_list_and_the_matches_page_by_page(
    client, make_user, triaged, monkeypatch
):
    monkeypatch.setattr(services, "MATCHES_PER_PAGE", 2)
    client.force_login(make_user("investigator"))

    first = client.get(f"/api/v1/exhibits/{triaged.pk}/triage")

    assert first.status_code == 200, first.content
    body = first.json()
    assert body["exhibit_id"] == triaged.pk and body["exhibit"] == "JS/1"
    assert body["path"] == "triage" and body["referral_id"] == triaged.referral_id
    assert body["triage"]["categories"] == {"A": 2, "B": 1, "C": 1, "other": 0}
    assert body["unknown_images"] == 1 and body["triage"]["unknown_images"] == 1
    assert body["run"]["hash_sets"] == {"CAID": 1}
    assert body["victim_identification"] == 3
    assert [
        (row["path"], row["victim_identified"], row["series"])
        for row in body["victim_identification_list"]
    ] == [
        ("blurred-0.png", False, "Bluebell"),
        ("copy-0.png", False, "Bluebell"),
        ("copy-1.png", True, ""),
    ]
    matches = body["matches"]
    assert (matches["count"], matches["page"], matches["pages"], matches["per_page"]) == (
        4,
        1,
        2,
        2,
    )
    assert [row["path"] for row in matches["results"]] == ["blurred-0.png", "copy-0.png"]
    assert matches["results"][0]["kind"] == "pdq" and matches["results"][0]["distance"] > 0
    assert len(matches["results"][1]["hash"]) == 32
    second = client.get(f"/api/v1/exhibits/{triaged.pk}/triage?page=2").json()["matches"]
    assert [row["path"] for row in second["results"]] == ["copy-1.png", "copy-2.png"]
    past = client.get(f"/api/v1/exhibits/{triaged.pk}/triage?page=9").json()["matches"]
    assert past["results"] == [] and past["count"] == 4 and past["page"] == 9


@pytest.mark.parametrize("page", ["0", "-1", "two"])
def test_the_api_refuses_a_page_that_is_not_a_positive_number(client, make_user, triaged, page):
    client.force_login(make_user("investigator"))

    refused = client.get(f"/api/v1/exhibits/{triaged.pk}/triage?page={page}")

    assert refused.status_code == 422
    assert refused.json()["location"] == "query.page" and refused.json()["error"]


def test_the_api_answers_an_exhibit_not_yet_triaged_with_no_answer(client, make_user, forces):
    referral, _ = store(referral_data())
    exhibit = add_exhibit(SYSTEM, referral.pk, "JS/2", kind="storage", as_of=AS_OF)
    client.force_login(make_user("investigator"))

    body = client.get(f"/api/v1/exhibits/{exhibit.pk}/triage").json()

    assert body["triage"] is None and body["run"] is None and body["unknown_images"] is None
    assert body["victim_identification_list"] == []
    assert body["matches"] == {"count": 0, "page": 1, "pages": 1, "per_page": 100, "results": []}


def test_the_api_shows_the_triage_only_to_those_who_may_see_the_referral(
    client, make_user, triaged
):
    address = f"/api/v1/exhibits/{triaged.pk}/triage"
    assert client.get(address).status_code == 401
    client.force_login(make_user("investigator", "YF"))
    hidden = client.get(address)
    assert hidden.status_code == 404 and hidden.json() == {"error": "not found", "location": ""}
    client.force_login(make_user("analyst"))
    assert client.get(address).status_code == 403
    client.force_login(make_user("investigator"))
    assert client.get(f"/api/v1/exhibits/{triaged.pk + 1000}/triage").status_code == 404
    assert client.get(address).status_code == 200


def test_the_openapi_document_declares_every_answer_of_the_triage_route(client, make_user):
    client.force_login(make_user("investigator"))
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    answers = paths["/api/v1/exhibits/{exhibit_id}/triage"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "422", "503"} <= set(answers)


def test_the_exhibit_page_shows_the_path_the_counts_the_victims_and_the_matches(
    client, make_user, triaged, monkeypatch
):
    monkeypatch.setattr(services, "MATCHES_PER_PAGE", 2)
    client.force_login(make_user("investigator"))
    address = reverse("exhibits:exhibit", args=[triaged.pk])

    shown = client.get(address).content.decode()

    assert "Exhibit JS/1" in shown and 'aria-current="step"><strong>Triage</strong>' in shown
    assert 'data-testid="triage-counts"' in shown
    assert "1 image matched nothing: it waits for an examiner." in shown
    victims = shown.split('data-testid="victim-identification"')[1].split("</table>")[0]
    assert victims.index("blurred-0.png") < victims.index("copy-0.png") < victims.index("copy-1")
    assert "Not identified" in victims and "Bluebell" in victims and "copy-2" not in victims
    assert "4 matches, by path." in shown and "Page 1 of 2" in shown
    matches = shown.split('data-testid="matches"')[1].split("</table>")[0]
    assert "blurred-0.png" in matches and "copy-1.png" not in matches
    assert "Near (PDQ), distance" in matches and "Exact (MD5)" in matches
    # Hashes and paths only: never an image.
    assert "<img" not in shown
    second = client.get(address, {"page": "2"}).content.decode()
    assert "copy-1.png" in second.split('data-testid="matches"')[1] and "Page 2 of 2" in second
    assert "Page 1 of 2" in client.get(address, {"page": "first"}).content.decode()


def test_the_exhibit_page_says_when_nothing_is_triaged_yet(client, make_user, forces):
    referral, _ = store(referral_data())
    exhibit = add_exhibit(SYSTEM, referral.pk, "JS/2", kind="storage", as_of=AS_OF)
    client.force_login(make_user("investigator"))

    shown = client.get(reverse("exhibits:exhibit", args=[exhibit.pk])).content.decode()

    assert "Not triaged yet." in shown and 'data-testid="matches"' not in shown
    assert 'aria-current="step"><strong>Waiting</strong>' in shown


def test_the_exhibit_page_is_reached_from_the_referral_page_and_the_device_queue(
    client, make_user, triaged
):
    add_exhibit(SYSTEM, triaged.referral_id, "JS/3", kind="computer", as_of=LATER)
    client.force_login(make_user("investigator"))
    waiting = triaged.referral.exhibits.get(reference="JS/3")

    panel = client.get(reverse("site:referral-detail", args=[triaged.referral_id])).content
    queue = client.get(reverse("exhibits:queue")).content

    assert f'href="/referrals/devices/{triaged.pk}/"'.encode() in panel
    assert f'href="/referrals/devices/{waiting.pk}/"'.encode() in queue


def test_the_exhibit_page_is_not_found_for_another_force_and_refused_to_a_role_without_referrals(
    client, make_user, triaged
):
    address = reverse("exhibits:exhibit", args=[triaged.pk])
    client.force_login(make_user("investigator", "YF"))
    assert client.get(address).status_code == 404
    client.force_login(make_user("analyst"))
    assert client.get(address).status_code == 403


def test_the_exhibit_page_and_a_refused_move_are_in_welsh_for_a_welsh_browser(
    client, make_user, forces
):
    referral, _ = store(referral_data())
    exhibit = add_exhibit(SYSTEM, referral.pk, "JS/2", kind="storage", as_of=AS_OF)
    client.force_login(make_user("investigator"))

    shown = client.get(
        reverse("exhibits:exhibit", args=[exhibit.pk]), HTTP_ACCEPT_LANGUAGE="cy"
    ).content.decode()
    refused = client.post(
        f"/api/v1/exhibits/{exhibit.pk}/moves",
        {"to": "waiting"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="cy",
    )

    assert "Arddangosyn JS/2" in shown and "Heb ei brysbennu eto." in shown
    assert "Not triaged yet." not in shown
    assert refused.status_code == 422
    assert "Mae arddangosyn JS/2 yn y cam 'yn aros'" in refused.json()["error"]

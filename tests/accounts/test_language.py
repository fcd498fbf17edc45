"""The language a person reads Vigil in (issue 16, point 2): their own choice, remembered on
their user and audited, wins over whatever their browser asks; without a choice the browser's
Accept-Language decides; the switch takes no unknown language and sends no one off-site."""

import html

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.conftest import AS_OF
from vigil.accounts.claims import parse_mapping
from vigil.accounts.services import SignInRefused, sign_in_by_sso
from vigil.accounts.views import SingleSignOnCallback
from vigil.audit.models import AuditEvent
from vigil.core.roles import Role

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
WELSH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "cy"}
SETTINGS_PAGE = "/accounts/settings/"


def switch(client, language: str, next_page: str = SETTINGS_PAGE, **headers):
    return client.post(
        reverse("accounts:language"), {"language": language, "next": next_page}, **headers
    )


def words(page) -> str:
    return html.unescape(page.content.decode())


def is_welsh(page) -> bool:
    text = page.content.decode()
    return page["Content-Language"] == "cy" and '<html lang="cy"' in text


def language_changes(user) -> list[tuple]:
    return [
        (event.before, event.after)
        for event in AuditEvent.objects.filter(action="user.changed", object_id=str(user.pk))
        if "language" in (event.after or {})
    ]


def test_a_person_who_switches_to_welsh_keeps_it_and_sees_welsh_though_their_browser_asks_english(
    client, officer
):
    client.force_login(officer)
    answer = switch(client, "cy", **ENGLISH_BROWSER)
    assert answer.status_code == 302 and answer.url == SETTINGS_PAGE
    officer.refresh_from_db()
    assert officer.language == "cy"
    assert language_changes(officer) == [({"language": ""}, {"language": "cy"})]
    # Not the browser's cookie: the person's own choice.
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    page = client.get(SETTINGS_PAGE, **ENGLISH_BROWSER)
    assert is_welsh(page)
    assert "Eich gosodiadau" in page.content.decode()


def test_welsh_stays_after_signing_out_and_in_again_from_an_english_browser(client, officer):
    client.force_login(officer)
    switch(client, "cy")
    client.post(reverse("accounts:logout"))
    elsewhere = Client()  # another browser, asking for English, with no cookie of the choice
    signed_in = elsewhere.post(
        reverse("accounts:login"),
        {"username": officer.username, "password": PASSWORD},
        **ENGLISH_BROWSER,
    )
    assert signed_in.status_code == 302
    assert is_welsh(elsewhere.get(SETTINGS_PAGE, **ENGLISH_BROWSER))


def test_a_person_who_has_not_chosen_gets_the_language_their_browser_asks_for(client, officer):
    client.force_login(officer)
    assert is_welsh(client.get(SETTINGS_PAGE, **WELSH_BROWSER))
    in_english = client.get(SETTINGS_PAGE, **ENGLISH_BROWSER)
    assert in_english["Content-Language"] == "en-gb"
    assert "Your settings" in in_english.content.decode()
    officer.refresh_from_db()
    assert officer.language == ""


@pytest.mark.parametrize("language", ["xx", "", "fr", "cy-GB<script>", "en-gb" * 50])
def test_an_unknown_language_on_the_switch_changes_nothing(client, officer, language):
    client.force_login(officer)
    answer = switch(client, language, **WELSH_BROWSER)
    assert answer.status_code == 302 and answer.url == SETTINGS_PAGE
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    officer.refresh_from_db()
    assert officer.language == ""
    assert language_changes(officer) == []


def test_an_unknown_language_from_someone_not_signed_in_changes_nothing(client):
    answer = switch(client, "xx")
    assert answer.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies


@pytest.mark.parametrize(
    "next_page",
    ["https://elsewhere.example/", "//elsewhere.example/page", "http:///elsewhere.example"],
)
def test_the_switch_never_sends_anyone_to_another_site(client, officer, next_page):
    client.force_login(officer)
    answer = switch(client, "cy", next_page)
    assert answer.status_code == 302 and answer.url == "/"


def test_a_browser_that_chose_welsh_before_signing_in_gets_the_sign_in_page_in_welsh(client):
    switch(client, "cy", reverse("accounts:login"), **ENGLISH_BROWSER)
    page = client.get(reverse("accounts:login"), **ENGLISH_BROWSER)
    assert is_welsh(page)
    assert "Mewngofnodi i Vigil" in page.content.decode()


def test_the_settings_page_offers_each_language_in_its_own_words_and_saves_the_choice(
    client, officer
):
    client.force_login(officer)
    page = client.get(SETTINGS_PAGE).content.decode()
    assert 'for="language-en-gb" lang="en-GB">English</label>' in page
    assert 'for="language-cy" lang="cy">Cymraeg</label>' in page
    assert 'id="language-en-gb" name="language" type="radio" value="en-gb" checked' in page
    saved = client.post(SETTINGS_PAGE, {"language": "cy"}, follow=True, **ENGLISH_BROWSER)
    assert is_welsh(saved)
    assert "Mae eich iaith wedi'i chadw." in words(saved)
    assert 'id="language-cy" name="language" type="radio" value="cy" checked' in (
        saved.content.decode()
    )
    officer.refresh_from_db()
    assert officer.language == "cy"
    assert language_changes(officer) == [({"language": ""}, {"language": "cy"})]


def test_the_settings_page_refuses_an_unknown_language_in_words(client, officer):
    client.force_login(officer)
    refused = client.post(SETTINGS_PAGE, {"language": "xx"})
    assert refused.status_code == 200
    assert "Choose a language." in refused.content.decode()
    officer.refresh_from_db()
    assert officer.language == ""


def test_a_wrong_password_and_the_lock_out_are_told_in_welsh(client, officer):
    def sign_in(password):
        return client.post(
            reverse("accounts:login"),
            {"username": officer.username, "password": password},
            **WELSH_BROWSER,
        )

    wrong = sign_in("wrong password")
    assert is_welsh(wrong)
    assert "Rhowch enw defnyddiwr a chyfrinair cywir" in wrong.content.decode()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in("wrong password")
    locked = sign_in(PASSWORD)
    assert locked.status_code == 429
    assert is_welsh(locked)
    assert "Mae'r cyfrif hwn wedi'i gloi am y tro" in words(locked)


def test_a_single_sign_on_refusal_is_told_in_welsh_and_audited_in_english(forces):
    mapping = parse_mapping({"forces": {"faraway": "ZZ"}}, roles=Role.values)
    claims = {"sub": "kim-0001", "preferred_username": "kim.lee", "groups": ["investigator"]}
    with translation.override("cy"), pytest.raises(SignInRefused) as refused:
        sign_in_by_sso({**claims, "force": "faraway"}, mapping, as_of=AS_OF)
    with translation.override("cy"):
        assert str(refused.value) == "Nid yw eich heddlu (ZZ) wedi'i sefydlu yn Vigil."
    [failed] = AuditEvent.objects.filter(action="login.failed")
    assert failed.detail == "single sign-on refused: Your force (ZZ) is not set up in Vigil."
    request = RequestFactory().get("/accounts/oidc/callback/?error=access_denied&state=x")
    request.session, request.user = SessionStore(), AnonymousUser()
    with translation.override("cy"):
        page = SingleSignOnCallback.as_view()(request)
    assert page.status_code == 403
    assert "Ni chwblhaodd eich darparwr hunaniaeth y mewngofnodi." in words(page)

"""Every page in Welsh (issue 16, point 2): a browser that asks for Welsh gets Welsh before
anyone signs in, and no page shown in Welsh still carries a message in English."""

import pytest

from tests.browser.pages import pages_to_check, sign_in, start_an_import_batch
from tests.browser.welsh import PAGE_TEXTS, english_left, stored_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_texts(page, base: str, username: str, address: str) -> list[str]:
    sign_in(page, base, username)
    response = page.goto(f"{base}{address}")
    assert response.status < 400, f"{address} as {username or 'nobody'}: {response.status}"
    assert page.url.removeprefix(base) == address, page.url
    return page.evaluate(PAGE_TEXTS)


def test_a_browser_asking_for_welsh_gets_the_sign_in_page_in_welsh(live_server, browser):
    context = browser.new_context(locale="cy")
    page = context.new_page()
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert response.headers["content-language"] == "cy"
    assert page.get_attribute("html", "lang") == "cy"
    assert page.locator("main h1").inner_text() == "Mewngofnodi i Vigil"
    context.close()


def test_no_page_shown_in_welsh_carries_english(live_server, browser, demo, tmp_path):
    english = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    welsh = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="cy")
    in_english, in_welsh = english.new_page(), welsh.new_page()
    batch = None
    left = {}
    for _, username, address in pages_to_check(demo):
        if "{batch}" in address:
            sign_in(in_english, live_server.url, username)
            batch = batch or start_an_import_batch(in_english, live_server.url, tmp_path)
            address = address.format(batch=batch)
        texts_in_english = page_texts(in_english, live_server.url, username, address)
        texts_in_welsh = page_texts(in_welsh, live_server.url, username, address)
        found = english_left(texts_in_welsh, texts_in_english, stored_text())
        if found:
            left[f"{address} as {username or 'nobody'}"] = found
    english.close()
    welsh.close()
    assert left == {}, "English left on pages shown in Welsh:\n" + "\n".join(
        f"{page}: {found}" for page, found in left.items()
    )

"""Every page at zero axe-core violations of WCAG 2.2 AA (issue 16, point 5), with demo data
so each page has something on it; and every page Vigil serves is on the list, so a new page
cannot be added without being checked."""

import pytest

from tests.browser.accessibility import axe_violations
from tests.browser.pages import page_names, pages_to_check, sign_in, start_an_import_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_is_on_the_accessibility_list(demo):
    listed = {name for name, _, _ in pages_to_check(demo)}
    assert page_names() - listed == set(), "pages not checked by axe-core"


def test_every_page_has_no_wcag_22_aa_violations(live_server, browser, demo, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    found = {}
    batch = None
    for _, username, address in pages_to_check(demo):
        sign_in(page, live_server.url, username)
        if "{batch}" in address:
            batch = batch or start_an_import_batch(page, live_server.url, tmp_path)
            address = address.format(batch=batch)
        response = page.goto(f"{live_server.url}{address}")
        assert response.status < 400, f"{address} as {username or 'nobody'}: {response.status}"
        # The page asked for, not one it sent us on to (which would leave it unchecked).
        assert page.url.removeprefix(live_server.url) == address, page.url
        violations = axe_violations(page)
        if violations:
            found[f"{address} as {username or 'nobody'}"] = violations
    context.close()
    assert found == {}

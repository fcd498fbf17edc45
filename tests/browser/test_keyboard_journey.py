"""A referral from upload to closure with the keyboard alone (issue 16, point 5): intake,
its grade, allocation, social care told, closed. Every control is reached with Tab and used
with Enter, Space, the arrow keys and typing; a control that Tab cannot reach fails the test.
The one exception is the operating system's file chooser, which a browser test cannot drive:
the file input is reached with Tab and then given the file."""

import pytest

from tests.browser.test_case_journey import PASSWORD, referral_file, supervisor  # noqa: F401
from vigil.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAB_LIMIT = 800


def tab_to(page, selector: str) -> None:
    """Press Tab until the element ``selector`` names has the focus."""
    target = page.locator(selector).first
    target.wait_for(state="attached")
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def follow(page, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page, selector: str, value: str) -> None:
    """Move through a select's options with the arrow keys until ``value`` is chosen."""
    tab_to(page, selector)
    select = page.locator(selector).first
    for key in ("Home", *["ArrowDown"] * 60):
        if key != "Home" and select.input_value() == value:
            return
        page.keyboard.press(key)
    assert select.input_value() == value, f"{value} is not among {selector}'s options"


def open_section(page, summary_text: str) -> None:
    tab_to(page, f'summary:has-text("{summary_text}")')
    page.keyboard.press("Enter")


def submit(page, button_selector: str) -> str:
    follow(page, button_selector)
    return page.inner_text("main")


def test_a_referral_from_upload_to_closure_with_the_keyboard_alone(
    live_server,
    page,
    supervisor,  # noqa: F811
    referral_file,  # noqa: F811
    screenshot,
):
    officer = User(username="alex", role="investigator", force=supervisor.force)
    officer.first_name, officer.last_name = "Alex", "Investigator"
    officer.set_password(PASSWORD)
    officer.save()

    page.goto(f"{live_server.url}/accounts/login/")
    type_into(page, "#id_username", "sam")
    type_into(page, "#id_password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Intake.
    follow(page, "nav a:has-text('Referrals')")
    follow(page, "a:has-text('Import referrals')")
    tab_to(page, "#id_files")
    page.locator("#id_files").set_input_files(str(referral_file))
    follow(page, "button:has-text('Import')")
    follow(page, "a:has-text('NCA-JOURNEY-1')")

    # Its grade, from the facts it came with, and why.
    assert "Very high" in page.inner_text("[data-testid=glance-grade]")
    assert "Sky" in page.inner_text("[data-testid=glance-children]")

    # Allocation.
    open_section(page, "Allocate")
    choose(page, "#officer", "alex")
    assert "Allocated" in submit(page, "button:has-text('Allocate')")
    assert "Alex" in page.inner_text("[data-testid=glance-owner]")

    # Social care told.
    open_section(page, "Information shared with children's social care")
    type_into(page, "form[action$='/social-care-referrals/'] [name=authority]", "Exampleshire")
    choose(page, "form[action$='/social-care-referrals/'] [name=method]", "mash")
    type_into(
        page,
        "form[action$='/social-care-referrals/'] [name=what_was_shared]",
        "Suspect lives with his sister, 15.",
    )
    message = submit(page, "form[action$='/social-care-referrals/'] button")
    assert "Social care referral recorded." in message

    # Closed with an outcome.
    open_section(page, "Close with an outcome")
    choose(page, "#outcome", "1")
    type_into(page, "#rationale", "Charged with making indecent images; remanded.")
    # The strategy discussion and the LADO are still due; the supervisor closes anyway, saying why.
    type_into(page, "#outstanding", "Remanded in custody; social care and the LADO lead now.")
    assert "The referral is closed." in submit(page, "button:has-text('Close the referral')")
    assert "Closed: outcome 1" in page.inner_text("[data-testid=outcome]")
    screenshot("keyboard-journey-closed")

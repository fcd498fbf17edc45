"""Every page Vigil serves, with demo data so each has something on it, and who looks at it:
the list the accessibility and Welsh checks walk (issue 16, points 2 and 5)."""

from django.urls import get_resolver

from vigil.exhibits.models import Exhibit
from vigil.intake.models import ImportBatch
from vigil.site.management.commands.demo import DEMO_PASSWORD

# Routes that are not pages: a form's POST target, or a file to download.
NOT_PAGES = {
    "logout",
    "bulk-allocate",
    "join",
    "leave-investigation",
    "mail-retry",
    "prepare-inspection",
    "chart",
    "export",
    "prepared-report",
    "worklist-csv",
    "language",
    # A part of the dashboard it asks for again while a pack is prepared (checked there).
    "prepared-reports",
}


def page_names() -> set[str]:
    """Every named route outside the API whose view is not a recording (``record_*``: POST)."""
    names = set()

    def walk(patterns, prefix=""):
        for entry in patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif (
                not (prefix + str(entry.pattern)).startswith("api/")
                and not entry.callback.__name__.startswith("record_")
                and entry.name
            ):
                names.add(entry.name)

    walk(get_resolver().url_patterns)
    return names - NOT_PAGES


def pages_to_check(demo) -> list[tuple[str, str, str]]:
    """(route name, who looks, the address): at least one address for every page."""
    referral, person = demo["referral"], demo["person"]
    # The demo's triaged phone (its page shows the counts, the victim list and the matches).
    exhibit = Exhibit.objects.exclude(triage=None).order_by("pk").first()
    return [
        ("login", "", "/accounts/login/"),
        ("home", "administrator", "/"),
        ("search", "investigator", "/search/?q=example"),
        ("referral-list", "investigator", "/referrals/"),
        ("referral-detail", "investigator", f"/referrals/{referral.pk}/"),
        ("referral-detail", "supervisor", f"/referrals/{referral.pk}/"),
        ("person-detail", "investigator", f"/people/{person.pk}/"),
        ("worklist", "investigator", "/worklist/"),
        ("worklist", "investigator", "/worklist/?tab=team"),
        ("worklist", "supervisor", "/worklist/?tab=force&state=overdue"),
        ("worklist", "supervisor", "/worklist/?tab=unallocated"),
        ("worklist", "supervisor", "/worklist/?tab=provisional"),
        ("worklist", "supervisor", "/worklist/?tab=overrides"),
        ("breaches", "supervisor", "/worklist/breaches/"),
        ("notifications", "supervisor", "/worklist/notifications/"),
        ("mail-failures", "administrator", "/worklist/notifications/mail/"),
        ("import", "intake_officer", "/referrals/import/"),
        ("import-batch", "intake_officer", "/referrals/import/batches/{batch}/"),
        ("unknown-values", "administrator", "/referrals/unknown-values/"),
        ("assurance", "unit_head", "/risk/assurance/"),
        ("quality-checks", "supervisor", "/risk/quality-checks/"),
        ("audit", "auditor", "/audit/"),
        ("dashboard", "unit_head", "/insight/"),
        ("dashboard", "regional_oversight", "/insight/"),
        ("second-factor-setup", "supervisor", "/accounts/two-factor/setup/"),
        ("second-factor", "supervisor", "/accounts/two-factor/"),
        ("preferences", "investigator", "/accounts/settings/"),
        ("queue", "supervisor", "/referrals/devices/"),
        ("exhibit", "investigator", f"/referrals/devices/{exhibit.pk}/"),
    ]


def sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    if not username:
        return
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    # Enter, not the button's words: the same sign-in serves pages in English and in Welsh.
    with page.expect_navigation():
        page.press("#id_password", "Enter")


def start_an_import_batch(page, base: str, tmp_path) -> int:
    upload = tmp_path / "empty.json"
    upload.write_text("{}")
    page.goto(f"{base}/referrals/import/")
    page.set_input_files("#id_files", str(upload))
    page.check("#id_in_background")
    page.click("button:has-text('Import')")
    page.wait_for_url("**/import/batches/*/")
    return ImportBatch.objects.latest("pk").pk

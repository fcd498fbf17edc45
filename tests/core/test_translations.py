"""The Welsh catalogues (issue 16, point 2): every message marked for translation is in one,
every one has its Welsh, and what Django reads (the compiled .mo) is what the .po says."""

import os
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

from tests.browser.welsh import english_left, stored_text
from tests.conftest import REPO

CATALOGUES = sorted((REPO / "vigil").glob("*/locale/cy/LC_MESSAGES/django.po"))
MSGFMT = shutil.which("msgfmt")
needs_gettext = pytest.mark.skipif(MSGFMT is None, reason="GNU gettext (msgfmt) is not installed")


def untranslated(catalogue: Path) -> list[str]:
    po = polib.pofile(str(catalogue))
    return [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]


def test_there_are_welsh_catalogues():
    assert {path.parts[-5] for path in CATALOGUES} >= {"core", "accounts"}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.parts[-5])
def test_every_message_in_a_welsh_catalogue_has_its_welsh(catalogue):
    assert untranslated(catalogue) == []


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.parts[-5])
def test_a_welsh_catalogue_says_it_is_welsh_with_welsh_plurals(catalogue):
    po = polib.pofile(str(catalogue))
    assert po.metadata["Language"] == "cy"
    assert po.metadata["Plural-Forms"].startswith("nplurals=4;")


@needs_gettext
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.parts[-5])
def test_the_compiled_catalogue_is_the_one_its_source_gives(catalogue, tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run([MSGFMT, "--check-format", "-o", compiled, catalogue], check=True)
    assert catalogue.with_suffix(".mo").read_bytes() == compiled.read_bytes(), (
        f"run `make messages`: {catalogue.with_suffix('.mo')} is out of date"
    )


@needs_gettext
def test_every_message_marked_for_translation_is_in_a_catalogue(tmp_path):
    """Gathering the messages afresh (as `make messages` does) finds none without its Welsh.

    An app that marks messages but has no catalogue makes makemessages fail, so this fails too.
    """
    copy = tmp_path / "vigil"
    shutil.copytree(REPO / "vigil", copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    missing = {}
    for app in sorted(path for path in copy.iterdir() if path.is_dir()):
        marked = subprocess.run(
            ["grep", "-rlE", r"gettext|translate|blocktranslate|\b_\(", str(app)],
            capture_output=True,
            text=True,
        ).stdout.split()
        if not marked or app.name in {"locale"}:
            continue
        result = subprocess.run(
            [
                str(REPO / ".venv/bin/django-admin"),
                "makemessages",
                "-l",
                "cy",
                "--add-location",
                "file",
                "--no-obsolete",
            ],
            cwd=app,
            env=os.environ | {"DJANGO_SETTINGS_MODULE": "vigil.settings", "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
        )
        catalogue = app / "locale/cy/LC_MESSAGES/django.po"
        if result.returncode or not catalogue.exists():
            missing[app.name] = result.stderr.strip() or "no catalogue"
            continue
        if left := untranslated(catalogue):
            missing[app.name] = left
    assert missing == {}


def test_english_left_on_a_welsh_page_is_found():
    english = ["Your settings", "Jane Smith", "NCA-2026-000123", "3", "Sign out · Jane Smith"]
    welsh = ["Eich gosodiadau", "Jane Smith", "NCA-2026-000123", "3", "Sign out · Jane Smith"]
    assert english_left(welsh, english, data="Jane Smith\nNCA-2026-000123") == ["Sign out"]


def test_data_and_names_on_a_welsh_page_are_not_english_left():
    texts = ["Jane Smith, 12 High Street", "LADO", "Vigil", "07/12/2026 06:00", "NCA · XF"]
    assert english_left(texts, texts, data="Jane Smith\n12 High Street") == []


@pytest.mark.django_db
def test_a_persons_full_name_on_a_welsh_page_is_data(make_user):
    person = make_user("investigator", "XF")
    person.first_name, person.last_name = "Demo", "Investigator"
    person.save()
    shown = ["Demo Investigator"]
    assert english_left(shown, shown, data=stored_text()) == []

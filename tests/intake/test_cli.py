"""The command-line contract that automation depends on (documented in the README)."""

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import as_bytes, referral_data

pytestmark = pytest.mark.django_db


def vigil(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path, forces):
    good = tmp_path / "good.json"
    good.write_bytes(as_bytes(referral_data()))
    bad = tmp_path / "bad.json"
    bad.write_bytes(as_bytes(referral_data(source_reference="NCA-BAD", force="NOPE")))
    return good, bad


def test_import_json_prints_one_object_and_exits_0_when_all_is_well(files):
    good, _ = files
    code, out, _ = vigil("import", str(good), "--json", "--as-of", "2020-09-14")
    assert code == 0
    result = json.loads(out)
    [imported] = result["imported"]
    assert set(imported) == {
        "path",
        "referral_id",
        "source",
        "source_reference",
        "status",
        "grade",
        "warnings",
    }
    assert imported["warnings"] == []
    assert (imported["status"], imported["source_reference"]) == ("created", "NCA-2020-0001")
    # The example lives with a 12-year-old and has a contact-offence allegation.
    assert imported["grade"] == "very_high"
    assert result["rejected"] == []
    code, out, _ = vigil("import", str(good), "--json", "--as-of", "2020-09-14")
    assert json.loads(out)["imported"][0]["status"] == "duplicate"


def test_import_exits_1_when_something_was_rejected(files):
    good, bad = files
    code, out, _ = vigil("import", str(good), str(bad), "--json", "--as-of", "2020-09-14")
    assert code == 1
    result = json.loads(out)
    assert len(result["imported"]) == 1
    [rejected] = result["rejected"]
    assert set(rejected) == {"path", "location", "error"}
    assert (rejected["path"], rejected["location"]) == (str(bad), "$.force")


def test_import_speaks_plainly_without_json(files):
    good, bad = files
    code, out, _ = vigil("import", str(good), str(bad), "--as-of", "2020-09-14")
    assert code == 1
    assert "REJECTED" in out and "force 'NOPE' is not known" in out
    assert "1 new, 0 already held, 1 rejected." in out


def test_referral_show_json_carries_everything(files):
    good, _ = files
    vigil("import", str(good), "--as-of", "2020-09-14")
    code, out, _ = vigil("referral", "show", "NCA-2020-0001", "--json", "--as-of", "2020-09-14")
    assert code == 0
    shown = json.loads(out)
    for key in ("subjects", "material", "linked_referrals", "unmapped", "documents"):
        assert key in shown
    suspect = shown["subjects"][0]
    assert {"identifiers", "history"} <= set(suspect)
    assert suspect["history"][0]["type"] == "contact_sexual_offence_child"
    # By id as well as by reference.
    code, by_id, _ = vigil("referral", "show", str(shown["id"]), "--json")
    assert json.loads(by_id)["source_reference"] == "NCA-2020-0001"


def test_forces_add_is_idempotent(db):
    assert "added" in vigil("forces", "add", "AB", "Abshire Police", "--region", "North")[1]
    assert "unchanged" in vigil("forces", "add", "AB", "Abshire Police", "--region", "North")[1]
    assert "changed" in vigil("forces", "add", "AB", "Abshire Constabulary")[1]


def test_a_forces_contact_for_other_forces_is_kept_and_listed(db):
    vigil("forces", "add", "AB", "Abshire Police", "--contact", "POLIT SPOC, 01632 960001")
    # Left out, the contact is kept as it was.
    assert "unchanged" in vigil("forces", "add", "AB", "Abshire Police")[1]
    listed = json.loads(vigil("forces", "list", "--json")[1])
    assert listed == [
        {
            "code": "AB",
            "name": "Abshire Police",
            "region": "",
            "contact": "POLIT SPOC, 01632 960001",
        }
    ]


# --- the real console script, as automation runs it ------------------------------------------

VIGIL = shutil.which("vigil") or str(Path(os.sys.executable).parent / "vigil")


def run(*args, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["VIGIL_DATA_DIR"] = str(data_dir)
    return subprocess.run([VIGIL, *args], env=env, capture_output=True, text=True, check=False)


def test_the_console_script_end_to_end(tmp_path):
    data = tmp_path / "var"
    assert run("init", data_dir=data).returncode == 0
    assert run("init", data_dir=data).returncode == 0  # idempotent
    assert run("forces", "add", "XF", "Exampleshire Police", data_dir=data).returncode == 0
    path = tmp_path / "batch.jsonl"
    path.write_text(
        "\n".join(json.dumps(referral_data(source_reference=f"NCA-{n}")) for n in range(2)) + "\n"
    )
    imported = run("import", str(path), "--json", data_dir=data)
    assert imported.returncode == 0, imported.stderr
    assert [i["status"] for i in json.loads(imported.stdout)["imported"]] == ["created"] * 2
    assert imported.stderr == ""  # no progress bar off a terminal
    shown = run("referral", "show", "NCA-1", "--json", data_dir=data)
    assert json.loads(shown.stdout)["source_reference"] == "NCA-1"
    assert run("audit", "verify", data_dir=data).returncode == 0


def test_usage_errors_exit_2(tmp_path):
    data = tmp_path / "var"
    run("init", data_dir=data)
    assert run("import", data_dir=data).returncode == 2  # no PATH
    assert run("import", "x.json", "--format", "pdf", data_dir=data).returncode == 2
    assert run("import", "a", "b", "--source-reference", "R", data_dir=data).returncode == 2
    assert run("import", "a.json", "--as-of", "soon", data_dir=data).returncode == 2


def test_progress_estimates_count_referrals_in_files_folders_and_batches(tmp_path):
    from vigil.intake.sources import estimate_count

    (tmp_path / "one.json").write_bytes(as_bytes(referral_data()))
    (tmp_path / "batch.jsonl").write_text("{}\n\n{}\n{}\n")
    package = tmp_path / "package"
    package.mkdir()
    (package / "report.xml").write_text("<report/>")
    (package / "fileDetails-1.xml").write_text("<fileDetails/>")
    assert estimate_count([tmp_path]) == 5

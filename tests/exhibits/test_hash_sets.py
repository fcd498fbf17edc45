"""Importing hash sets: versions, atomic re-import, source and size, permission and audit."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vigil.audit.models import AuditEvent
from vigil.core.permissions import Refused
from vigil.exhibits import services
from vigil.exhibits.hashsets import HashSetError
from vigil.exhibits.models import HashSet, HashSetVersion, KnownHash
from vigil.exhibits.services import hash_set_list, import_hashset

from ..conftest import AS_OF, SYSTEM
from .synthetic import vics

pytestmark = pytest.mark.django_db

MD5 = [f"{number:032x}" for number in range(1, 6)]


def _csv(path, rows):
    path.write_text("md5,sha1,pdq,category\n" + "".join(f"{row},,,{cat}\n" for row, cat in rows))
    return path


def test_a_vics_set_is_imported_with_its_categories_mapped(tmp_path):
    path = vics(
        tmp_path / "caid.json",
        [{"MD5": MD5[0], "Category": 1}, {"MD5": MD5[1], "Category": 3}],
        version="1.2",
    )
    version = import_hashset(SYSTEM, path, name="CAID", as_of=AS_OF)

    assert (version.number, version.size, version.format, version.format_version) == (
        1,
        2,
        "vics",
        "1.2",
    )
    assert dict(KnownHash.objects.values_list("md5", "category")) == {MD5[0]: "A", MD5[1]: "C"}
    assert HashSet.objects.get(name="CAID").current == version


def test_a_reimport_replaces_the_old_version_whole(tmp_path):
    import_hashset(
        SYSTEM, _csv(tmp_path / "v1.csv", [(MD5[0], "A"), (MD5[1], "B")]), name="Own", as_of=AS_OF
    )
    second = import_hashset(
        SYSTEM, _csv(tmp_path / "v2.csv", [(MD5[2], "C")]), name="Own", as_of=AS_OF
    )

    assert second.number == 2
    assert HashSet.objects.get(name="Own").current == second
    assert list(KnownHash.objects.values_list("md5", flat=True)) == [MD5[2]]
    listed = hash_set_list(SYSTEM)
    assert [(row["name"], row["version"], row["size"]) for row in listed] == [("Own", 2, 1)]
    assert listed[0]["source"].endswith("v2.csv")


def test_a_failed_reimport_leaves_the_old_version_in_use(tmp_path, monkeypatch):
    first = import_hashset(
        SYSTEM, _csv(tmp_path / "v1.csv", [(MD5[0], "A")]), name="Own", as_of=AS_OF
    )
    # The bad row comes after a whole batch has been written beside the current version.
    monkeypatch.setattr(services, "IMPORT_BATCH", 2)
    bad = tmp_path / "v2.csv"
    bad.write_text(
        f"md5,sha1,pdq,category\n{MD5[1]},,,A\n{MD5[2]},,,B\n{MD5[3]},,,B\nnot-hex,,,C\n"
    )

    with pytest.raises(HashSetError, match="line 5"):
        import_hashset(SYSTEM, bad, name="Own", as_of=AS_OF)

    assert HashSet.objects.get(name="Own").current == first
    assert list(KnownHash.objects.values_list("md5", flat=True)) == [MD5[0]]
    assert list(HashSetVersion.objects.values_list("number", flat=True)) == [1]


def test_only_those_allowed_import_hash_sets_and_each_import_is_audited(tmp_path, make_user):
    path = _csv(tmp_path / "set.csv", [(MD5[0], "A")])
    with pytest.raises(Refused):
        import_hashset(make_user("supervisor"), path, name="Own", as_of=AS_OF)
    assert not HashSet.objects.exists()

    version = import_hashset(make_user("administrator"), path, name="Own", as_of=AS_OF)

    event = AuditEvent.objects.get(action="hashset.imported")
    assert event.actor_name == "administrator-xf"
    assert event.object_id == str(version.pk)
    assert event.after["size"] == 1 and event.after["source"].endswith("set.csv")


def test_the_commands_import_and_list_sets(tmp_path, capsys):
    path = vics(tmp_path / "caid.json", [{"MD5": MD5[0], "SHA1": "a" * 40, "Category": 2}])
    call_command("hashsets", "import", str(path), "--name", "CAID")
    assert "CAID: version 1, 1 hashes (vics 2.0)" in capsys.readouterr().out

    call_command("hashsets", "list", "--json")
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["name"], row["size"], row["format"]) == ("CAID", 1, "vics")
    assert row["source"] == str(path.resolve())


def test_the_command_refuses_a_malformed_file_naming_where_and_keeps_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("md5,sha1,pdq,category\nzz,,,A\n")
    with pytest.raises(CommandError, match="line 2: MD5 'zz'") as raised:
        call_command("hashsets", "import", str(bad), "--name", "Own")
    assert raised.value.returncode == 2
    assert not HashSetVersion.objects.exists()

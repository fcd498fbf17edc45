"""Reading hash set files (VICS JSON 1.2, 1.3, 2.0 and CSV) and the category table: pure."""

import pytest

from vigil.exhibits import categories, hashlists, hashsets

from .synthetic import vics

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
PDQ = "f" * 64


@pytest.mark.parametrize(
    ("version", "cases"), [("1.2", False), ("1.3", True), ("2.0", False), ("2.0", True)]
)
def test_vics_hash_sets_and_case_exports_yield_each_media(tmp_path, version, cases):
    media = [
        {"MediaID": 1, "MD5": MD5.upper(), "SHA1": SHA1.upper(), "Category": 1, "MediaSize": 10},
        {"MediaID": 2, "MD5": "", "SHA1": None, "PDQ": PDQ, "Category": 3},
        {"MediaID": 3, "Category": 2},  # no hash at all: skipped
    ]
    path = vics(tmp_path / "set.json", media, version=version, cases=cases)

    assert hashsets.inspect_vics(path).version == version
    assert list(hashsets.read_vics(path)) == [
        (MD5, SHA1, "", "1", None, ""),
        ("", "", PDQ, "3", None, ""),
    ]


@pytest.mark.parametrize("version", ["1.3", "2.0"])
def test_vics_victim_identified_and_series_are_kept_as_the_set_writes_them(tmp_path, version):
    media = [
        {"MD5": MD5, "Category": 1, "VictimIdentified": True, "Series": "Bluebell"},
        {"MD5": MD5, "Category": 1, "VictimIdentified": "false", "Series": {"Name": "Cascade"}},
        {"MD5": MD5, "Category": 1, "victimidentified": "True", "series": ["Ash", {"name": "Elm"}]},
        {"MD5": MD5, "Category": 1, "VictimIdentified": "", "Series": None},
        {"MD5": MD5, "Category": 1},
    ]
    path = vics(tmp_path / "set.json", media, version=version)

    assert [row[4:] for row in hashsets.read_vics(path)] == [
        (True, "Bluebell"),
        (False, "Cascade"),
        (True, "Ash, Elm"),
        (None, ""),
        (None, ""),
    ]


def test_a_json_document_without_odata_metadata_is_not_vics(tmp_path):
    path = tmp_path / "plain.json"
    path.write_text(f'{{"value": [{{"MD5": "{MD5}"}}]}}')
    with pytest.raises(hashsets.HashSetError, match="not a VICS document"):
        list(hashsets.read_vics(path))


def test_a_malformed_hash_is_refused_with_where_it_is(tmp_path):
    path = vics(tmp_path / "bad.json", [{"MD5": MD5}, {"MD5": "xyz", "Category": 1}])
    with pytest.raises(hashsets.HashSetError, match="Media 2: MD5 'xyz'"):
        list(hashsets.read_vics(path))


def test_csv_columns_may_be_empty_and_in_any_order(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text(
        f"category,md5,sha1,pdq\nA,{MD5},,\nB,,{SHA1.upper()},\nnot-indecent,,,{PDQ}\n,,,\n"
    )
    assert list(hashsets.read_csv(path)) == [
        (MD5, "", "", "A", None, ""),
        ("", SHA1, "", "B", None, ""),
        ("", "", PDQ, "not-indecent", None, ""),
    ]


def test_csv_may_add_victim_identified_and_series_columns(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text(
        f"md5,category,victim_identified,series\n{MD5},A,false,Bluebell\n{MD5},B,true,\n{MD5},C,,\n"
    )
    assert [row[3:] for row in hashsets.read_csv(path)] == [
        ("A", False, "Bluebell"),
        ("B", True, ""),
        ("C", None, ""),
    ]


def test_csv_without_a_header_is_refused(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text(f"{MD5},{SHA1},,A\n")
    with pytest.raises(hashsets.HashSetError, match="line 1 must be a header"):
        list(hashsets.read_csv(path))


def test_the_default_category_table_says_the_uk_numbers_are_not_published():
    text = categories.DEFAULT_TABLE.read_text()
    assert "NOT PUBLISHED" in text
    assert "placeholder" in categories.load().version


def test_category_numbers_map_through_the_table_and_names_pass_through():
    table = categories.load()
    assert [table.name(value) for value in (1, "2", 3, "a", "not-indecent", 99, None)] == [
        "A",
        "B",
        "C",
        "A",
        "not-indecent",
        "unmapped:99",
        "uncategorised",
    ]
    assert categories.load(profile="projectvic").name(1) == "csam-ungraded"


def test_an_edited_table_changes_the_mapping(tmp_path):
    path = tmp_path / "table.toml"
    path.write_text('version = "local-1"\ndefault_profile = "local"\n[profiles.local]\n"7" = "B"\n')
    assert categories.load(path).name(7) == "B"


def test_forensic_hash_lists_are_read_in_each_of_their_kinds(tmp_path):
    hashdeep = tmp_path / "hashdeep.txt"
    hashdeep.write_text(
        "%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,filename\n## Invoked from: /mnt\n"
        f"10,{MD5},{SHA1},/mnt/a, b.jpg\n"
    )
    md5deep = tmp_path / "md5deep.txt"
    md5deep.write_text(f"{MD5}  /mnt/a b.jpg\n")
    plain = tmp_path / "list.csv"
    plain.write_text(f"path,md5,sha1\n/mnt/a.jpg,{MD5},{SHA1}\n")

    assert list(hashlists.read(hashdeep)) == [("/mnt/a, b.jpg", 10, MD5, SHA1)]
    assert list(hashlists.read(md5deep)) == [("/mnt/a b.jpg", None, MD5, "")]
    assert list(hashlists.read(plain)) == [("/mnt/a.jpg", None, MD5, SHA1)]

from datetime import date

import pytest

from vigil.people.normalise import match_keys, name_key, normalise


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        ("email", "  Alex.Example@Example.COM ", "alex.example@example.com"),
        ("phone", "07700 900123", "+447700900123"),
        ("phone", "+44 (0)7700-900123", "+447700900123"),
        ("phone", "0044 7700 900123", "+447700900123"),
        ("username", "@AlexEx", "alexex"),
        ("ip", "2001:DB8:0:0::1", "2001:db8::1"),
        ("ip", " 203.0.113.5 ", "203.0.113.5"),
        ("device", "imei: 35-4123 456789012", "IMEI:354123456789012"),
        ("device", "35 4123 456789012", "354123456789012"),
        ("profile_url", "HTTPS://Example.COM/users/Alex/", "https://example.com/users/Alex"),
    ],
)
def test_identifiers_normalise_to_one_form(kind, given, expected):
    assert normalise(kind, given) == expected


def test_email_addresses_are_not_guessed_at():
    # Dropping "+tags" or dots could link two different people; Vigil does not.
    assert normalise("email", "a.b+x@example.com") != normalise("email", "ab@example.com")


def test_names_ignore_accents_case_and_punctuation():
    assert name_key("Seán", "O'Brien") == name_key("sean", "OBRIEN") == "sean obrien"


def test_usernames_match_only_at_the_same_service():
    one = match_keys([("username", "alexex", "ExampleSocial")], "", "", None)
    other = match_keys([("username", "alexex", "PicShare")], "", "", None)
    assert {key for _, key, _ in one}.isdisjoint({key for _, key, _ in other})


def test_ip_addresses_are_never_match_keys():
    assert match_keys([("ip", "203.0.113.5", "")], "", "", None) == []


def test_name_and_date_of_birth_need_both_names():
    born = date(2003, 6, 1)
    assert match_keys([], "Alex", "", born) == []
    [(reason, _, shown)] = match_keys([], "Alex", "Example", born)
    assert reason == "name_dob"
    assert shown == "Alex Example, born 01 June 2003"


def test_a_device_matches_with_or_without_its_type_label():
    labelled = match_keys(
        [("device", normalise("device", "IMEI:354123456789012"), "")], "", "", None
    )
    bare = match_keys([("device", normalise("device", "354123456789012"), "")], "", "", None)
    assert [key for _, key, _ in labelled] == [key for _, key, _ in bare]

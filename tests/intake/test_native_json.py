"""Reading the native format: every field mapped, missing facts stay unknown, errors point home."""

import json
from datetime import UTC, date, datetime

import pytest

from tests.conftest import AS_OF, EXAMPLE_REFERRAL, as_bytes, referral_data
from vigil.intake.native_json import read_referral, split_document
from vigil.referrals.drafts import IntakeError


def read(data, **kwargs):
    return read_referral("test.json", as_bytes(data), as_of=AS_OF, **kwargs)


def refusal(data, **kwargs) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        read(data, **kwargs)
    return caught.value


def test_the_issue_example_maps_every_field():
    draft = read(EXAMPLE_REFERRAL)
    assert (draft.source, draft.source_reference, draft.force_code) == (
        "nca",
        "NCA-2020-0001",
        "XF",
    )
    assert draft.received_at == datetime(2020, 9, 10, 8, 0, tzinfo=UTC)
    assert draft.incident_type == "csam_upload"
    assert draft.incident_occurred_at == datetime(2020, 8, 30, 21, 10, tzinfo=UTC)
    assert draft.platform == "ExampleSocial"
    assert draft.escalated is False
    assert draft.annotations == ["sextortion"]
    assert draft.indicators == EXAMPLE_REFERRAL["indicators"]
    [material] = draft.material
    assert (material.kind, material.count, material.category) == ("video", 2, "A")
    assert (material.industry_classification, material.pdq) == ("A1", "f" * 64)
    suspect, child, victim, unlisted_child = draft.people
    assert (suspect.first_name, suspect.date_of_birth) == ("Alex", date(2003, 6, 1))
    assert suspect.works_with_children is False
    assert [i.kind for i in suspect.identifiers] == ["email", "username", "ip", "phone", "device"]
    assert suspect.identifiers[1].service == "ExampleSocial"
    assert suspect.identifiers[2].seen_at == datetime(2020, 8, 30, 21, 10, tzinfo=UTC)
    assert suspect.addresses[0].postcode == "XX1 1XX"
    assert suspect.history[0].type == "contact_sexual_offence_child"
    assert (child.stated_age, child.lives_with) == (12, ["s1"])
    assert (victim.role, victim.stated_age) == ("victim", 9)
    # The example's access entry names c2, who is not among the subjects: kept as a child.
    assert (unlisted_child.ref, unlisted_child.role) == ("c2", "other")
    assert [(a.person_ref, a.child_ref, a.kind) for a in draft.access] == [
        ("s1", "c2", "regular_unsupervised")
    ]
    assert draft.unmapped == []
    assert draft.documents[0].content == as_bytes(EXAMPLE_REFERRAL)


def test_only_the_five_required_fields_are_needed_and_missing_facts_stay_unknown():
    minimal = {
        key: EXAMPLE_REFERRAL[key]
        for key in ("schema", "source", "source_reference", "received_at", "force")
    }
    minimal["subjects"] = [{"ref": "s1", "role": "suspect"}]
    draft = read(minimal)
    [suspect] = draft.people
    assert suspect.works_with_children is None
    assert draft.escalated is None
    assert suspect.household_established is False
    assert suspect.access_established is False
    assert suspect.history_established is False


def test_a_no_must_be_said_with_the_established_flags():
    data = referral_data(
        subjects=[
            {
                "ref": "s1",
                "role": "suspect",
                "household_established": True,
                "access_established": True,
                "history_established": True,
                "history": [],
            }
        ],
        access=[],
    )
    [suspect] = read(data).people
    assert (
        suspect.household_established and suspect.access_established and suspect.history_established
    )


@pytest.mark.parametrize("field", ["schema", "source", "source_reference", "received_at", "force"])
def test_each_required_field_missing_is_named(field):
    data = referral_data()
    del data[field]
    error = refusal(data)
    assert field in error.message
    assert "missing" in error.message


def test_unknown_schema_is_refused_by_name():
    error = refusal(referral_data(schema="vigil.referral/9"))
    assert "unknown schema 'vigil.referral/9'" in error.message
    assert error.location == "$.schema"


@pytest.mark.parametrize(
    ("change", "location", "words"),
    [
        (
            {"subjects": [{"ref": "s1", "role": "suspect", "age": "twelve"}]},
            "$.subjects[0].age",
            "expected a whole number, got the text 'twelve'",
        ),
        (
            {"source": 7},
            "$.source",
            "7 is not one of the allowed values",
        ),
        ({"material": [{"md5": "xyz"}]}, "$.material[0].md5", "not an MD5 hash"),
        ({"indicators": "grooming"}, "$.indicators", "expected a list"),
        (
            {"incident": {"escalated": "yes"}},
            "$.incident.escalated",
            "expected true or false or null",
        ),
        ({"received_at": "10/09/2020"}, "$.received_at", "not a date and time"),
        ({"received_at": "2020-09-10T09:00:00"}, "$.received_at", "has no UTC offset"),
        (
            {"subjects": [{"ref": "s1", "role": "suspect", "date_of_birth": "2003-02-30"}]},
            "$.subjects[0].date_of_birth",
            "not a date",
        ),
    ],
)
def test_wrong_types_and_values_are_refused_with_their_path(change, location, words):
    error = refusal(referral_data(**change))
    assert error.location == location
    assert words in error.message


def test_several_problems_are_all_reported():
    error = refusal(referral_data(source=5, subjects=[{"ref": "s1", "role": 7}]))
    assert "$.subjects[0].role" in error.message or error.location == "$.subjects[0].role"
    assert "also" in error.message


def test_a_referral_from_the_future_is_refused():
    error = refusal(referral_data(received_at="2030-01-01T00:00:00Z"))
    assert (error.location, "in the future" in error.message) == ("$.received_at", True)


def test_a_date_of_birth_after_receipt_is_refused():
    error = refusal(
        referral_data(subjects=[{"ref": "s1", "role": "suspect", "date_of_birth": "2021-01-01"}])
    )
    assert error.location == "$.subjects[0].date_of_birth"


def test_lives_with_an_unknown_ref_is_refused():
    error = refusal(
        referral_data(
            subjects=[{"ref": "s1", "role": "suspect", "lives_with": ["nobody"]}], access=[]
        )
    )
    assert error.location == "$.subjects[0].lives_with[0]"
    assert "'nobody'" in error.message


def test_a_ref_used_twice_is_refused():
    error = refusal(
        referral_data(
            subjects=[{"ref": "s1", "role": "suspect"}, {"ref": "s1", "role": "victim"}], access=[]
        )
    )
    assert "used twice" in error.message


def test_unknown_fields_are_kept_and_listed_as_unmapped():
    data = referral_data(priority="urgent")
    data["subjects"][0]["shoe_size"] = 9
    draft = read(data)
    assert sorted(draft.unmapped) == ["$.priority", "$.subjects[0].shoe_size"]


def test_force_option_fills_a_missing_force_and_must_agree_with_a_given_one():
    data = referral_data()
    del data["force"]
    assert read(data, default_force="YF").force_code == "YF"
    assert refusal(referral_data(), default_force="YF").location == "$.force"


def test_malformed_json_names_line_and_column():
    with pytest.raises(IntakeError) as caught:
        read_referral(
            "bad.json", b'{\n  "schema": "vigil.referral/1",\n  "source": nca\n}', as_of=AS_OF
        )
    assert caught.value.location == "line 3, column 13"
    assert "not valid JSON" in caught.value.message


def test_a_json_value_that_is_not_an_object_is_refused():
    with pytest.raises(IntakeError) as caught:
        read_referral("list.json", b"42", as_of=AS_OF)
    assert "must be a JSON object" in caught.value.message


def test_deep_nesting_is_refused_not_crashed():
    with pytest.raises(IntakeError) as caught:
        read_referral("deep.json", b"[" * 100_000 + b"]" * 100_000, as_of=AS_OF)
    assert "nested too deeply" in caught.value.message


def test_an_array_splits_into_each_referrals_exact_bytes():
    first = b'{"a": 1,   "b": "\xc3\xa9"}'
    second = b'{"c": [1, 2]}'
    content = b"[\n  " + first + b" ,\n\t" + second + b"\n]\n"
    parts = list(split_document("batch.json", content))
    assert parts == [("batch.json [0]", first), ("batch.json [1]", second)]


def test_json_lines_split_by_line_number_skipping_blank_lines():
    content = b'{"a": 1}\n\n{"b": 2}\r\n'
    assert list(split_document("batch.jsonl", content)) == [
        ("batch.jsonl line 1", b'{"a": 1}'),
        ("batch.jsonl line 3", b'{"b": 2}'),
    ]


def test_a_whole_file_that_is_not_json_is_refused_with_its_line():
    with pytest.raises(IntakeError) as caught:
        list(split_document("batch.json", b'[{"a": 1},\n{"b": }]'))
    assert caught.value.location.startswith("line 2")


def test_reformatting_does_not_change_the_content_digest():
    compact = read_referral("a.json", json.dumps(EXAMPLE_REFERRAL).encode(), as_of=AS_OF)
    pretty = read_referral("b.json", json.dumps(EXAMPLE_REFERRAL, indent=4).encode(), as_of=AS_OF)
    changed = read(referral_data(summary="Something else"))
    assert compact.content_digest == pretty.content_digest != changed.content_digest

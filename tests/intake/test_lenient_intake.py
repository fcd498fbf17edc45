"""A word Vigil does not know no longer refuses a referral: it is kept as written, read as
"other", reported with its JSON path, leaves the grade provisional where the grade reads it, and
is listed for an administrator, whose mapping every open referral then reads."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import AS_OF, SYSTEM, as_bytes, low_risk, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.core.permissions import Refused
from vigil.intake import native_json, unknown_values
from vigil.intake.models import UnknownValue
from vigil.intake.research import apply_research
from vigil.intake.services import import_paths
from vigil.people.models import Identifier, Link, Person
from vigil.referrals.changes import RecordError, changing
from vigil.referrals.drafts import IntakeError
from vigil.referrals.models import Referral
from vigil.risk.services import current_assessment

pytestmark = pytest.mark.django_db

RECEIVED = AS_OF - timedelta(days=1)
LATER = AS_OF + timedelta(hours=2)


def low_with(**incident) -> dict:
    """A referral that grades low and certain, but for what the test changes."""
    data = low_risk(RECEIVED)
    data["incident"] = {**data["incident"], **incident}
    return data


def test_an_unknown_incident_type_is_kept_as_written_and_read_as_other(forces):
    referral, status = store(low_with(type="Livestreamed abuse"))
    assert status == "created"
    assert (referral.incident_type, referral.incident_type_text) == ("other", "Livestreamed abuse")
    [warning] = referral.intake_warnings
    assert warning["path"] == "$.incident.type"
    assert (warning["field"], warning["value"], warning["mapped_to"]) == (
        "incident_type",
        "Livestreamed abuse",
        "other",
    )
    assert "Livestreamed abuse" in warning["message"]


def test_an_unknown_word_where_the_grade_reads_it_leaves_the_grade_provisional(forces):
    known, _ = store(low_with())
    unknown, _ = store(low_with(type="Livestreamed abuse") | {"source_reference": "NCA-U-2"})
    assert (known.grade, known.grade_provisional) == ("low", False)
    assert (unknown.grade, unknown.grade_provisional) == ("medium", True)


def test_an_unknown_identifier_type_does_not_hold_the_grade_and_never_links(forces):
    fax = {"type": "fax", "value": "0123 456"}
    first, _ = store(
        low_with() | {"subjects": [low_risk(RECEIVED)["subjects"][0] | {"identifiers": [fax]}]}
    )
    second_data = low_with() | {"source_reference": "NCA-U-2"}
    second_data["subjects"] = [
        low_risk(RECEIVED)["subjects"][0] | {"first_name": "Other", "identifiers": [fax]}
    ]
    second, _ = store(second_data)
    identifier = Identifier.objects.get(person__referral=first)
    assert (identifier.kind, identifier.kind_text, identifier.value) == ("other", "fax", "0123 456")
    assert first.grade_provisional is False
    # Vigil cannot know how to compare a word it does not know: it is never a match key.
    assert not Link.objects.filter(referral__in=[first, second]).exists()


def test_unknown_words_in_every_vocabulary_are_reported_with_their_paths(forces):
    data = low_with(type="csam_possession")
    data["indicators"] = ["possession", "teleportation"]
    data["material"] = [{"kind": "hologram", "category": "D", "count": 2}]
    data["subjects"][0]["history"] = [{"type": "arson", "outcome": "pending"}]
    data["subjects"].append({"ref": "c1", "role": "Step-daughter", "age": 9})
    data["access"] = [{"subject": "s1", "child": "c1", "kind": "weekends"}]
    referral, _ = store(data)
    assert {w["path"]: w["mapped_to"] for w in referral.intake_warnings} == {
        "$.indicators[1]": "",
        "$.material[0].kind": "other",
        "$.material[0].category": "",
        "$.subjects[0].history[0].type": "other",
        "$.subjects[0].history[0].outcome": "",
        "$.subjects[1].role": "other",
        "$.access[0].kind": "other",
    }
    assert referral.indicators == ["possession"]
    material = referral.material.get()
    assert (material.kind, material.category) == ("other", "")
    assert material.details["category_as_written"] == "D"
    child = Person.objects.get(referral=referral, ref="c1")
    assert (child.role, child.role_text) == ("other", "Step-daughter")
    assert referral.grade_provisional is True


def test_words_written_another_way_are_the_words_vigil_knows(forces):
    referral, _ = store(low_with(type="CSAM Possession"))
    assert referral.incident_type == "csam_possession"
    assert referral.intake_warnings == []


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"incident": {"type": 7}}, "$.incident.type"),
        ({"subjects": [{"ref": "s1", "role": ["suspect"]}]}, "$.subjects[0].role"),
        ({"received_at": "yesterday"}, "$.received_at"),
    ],
)
def test_malformed_documents_are_still_refused_whole(change, location):
    with pytest.raises(IntakeError) as caught:
        native_json.read_referral("x.json", as_bytes(referral_data(**change)), as_of=AS_OF)
    assert caught.value.location == location


def test_each_unknown_word_is_counted_for_an_administrator(forces):
    store(low_with(type="Livestreamed abuse"))
    store(low_with(type="Livestreamed abuse") | {"source_reference": "NCA-U-2"})
    store(low_with(type="Livestreamed abuse"))  # the same document again: a duplicate
    row = UnknownValue.objects.get(field="incident_type")
    assert (row.value, row.times_seen, row.mapped_to) == ("Livestreamed abuse", 2, "")


def test_an_administrators_mapping_is_read_by_held_referrals_and_regrades_them(forces, make_user):
    referral, _ = store(low_with(type="Livestreamed abuse"))
    admin = make_user("administrator", "XF")
    mapped = unknown_values.map_unknown_value(
        admin, "incident_type", "Livestreamed abuse", "csam_possession", as_of=LATER
    )
    assert (mapped.referrals, mapped.closed) == (1, 0)
    referral.refresh_from_db()
    assert (referral.incident_type, referral.incident_type_text) == (
        "csam_possession",
        "Livestreamed abuse",
    )
    # No longer provisional; the lower grade the facts now give waits for a supervisor.
    assessment = current_assessment(referral)
    assert (assessment.engine_grade, assessment.provisional) == ("low", False)
    assert referral.grade == "medium"
    [warning] = referral.intake_warnings
    assert warning["resolved_to"] == "csam_possession"
    assert AuditEvent.objects.filter(
        action="unknown_value.mapped", referral_id=referral.pk
    ).exists()


def test_a_mapped_word_is_read_as_its_meaning_in_documents_from_then_on(forces, make_user):
    store(low_with(type="Livestreamed abuse"))
    unknown_values.map_unknown_value(
        make_user("administrator", "XF"),
        "incident_type",
        "Livestreamed abuse",
        "csam_possession",
        as_of=LATER,
    )
    draft = native_json.read_referral(
        "x.json",
        as_bytes(low_with(type="Livestreamed abuse") | {"source_reference": "NCA-U-3"}),
        as_of=LATER,
        mappings=unknown_values.mappings(),
    )
    assert (draft.incident_type, draft.incident_type_text, draft.warnings) == (
        "csam_possession",
        "Livestreamed abuse",
        [],
    )


def test_mapping_a_role_re_reads_the_people_and_the_grade_follows(forces):
    data = low_with()
    data["subjects"][0]["household_established"] = False
    data["subjects"].append({"ref": "c1", "role": "Step-daughter", "age": 9, "lives_with": ["s1"]})
    referral, _ = store(data)
    assert referral.grade_provisional is True
    unknown_values.map_unknown_value(
        SYSTEM, "role", "Step-daughter", "household_member", as_of=LATER
    )
    referral.refresh_from_db()
    assert Person.objects.get(referral=referral, ref="c1").role == "household_member"
    assert referral.grade == "high"  # lives with a child aged 9


def test_a_mapping_must_be_a_word_vigil_knows_and_is_for_administrators(forces, make_user):
    store(low_with(type="Livestreamed abuse"))
    with pytest.raises(RecordError, match="may be mapped to one of"):
        unknown_values.map_unknown_value(
            SYSTEM, "incident_type", "Livestreamed abuse", "very_bad", as_of=LATER
        )
    with pytest.raises(RecordError, match="has not met"):
        unknown_values.map_unknown_value(SYSTEM, "incident_type", "Never seen", "csam", as_of=LATER)
    with pytest.raises(Refused):
        unknown_values.map_unknown_value(
            make_user("supervisor", "XF"),
            "incident_type",
            "Livestreamed abuse",
            "csam",
            as_of=LATER,
        )
    assert UnknownValue.objects.get().mapped_to == ""


def test_a_closed_referral_keeps_what_it_had_when_a_word_is_mapped(forces):
    referral, _ = store(low_with(type="Livestreamed abuse"))
    Referral.objects.filter(pk=referral.pk).update(status="closed")
    mapped = unknown_values.map_unknown_value(
        SYSTEM, "incident_type", "Livestreamed abuse", "csam", as_of=LATER
    )
    assert (mapped.referrals, mapped.closed) == (0, 1)
    referral.refresh_from_db()
    assert referral.incident_type == "other"


def test_the_import_result_carries_the_warnings(forces, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(low_with(type="Livestreamed abuse")))
    report = import_paths([path], actor=SYSTEM, as_of=AS_OF)
    [imported] = report.as_dict()["imported"]
    assert imported["status"] == "created"
    assert [w["path"] for w in imported["warnings"]] == ["$.incident.type"]


def test_the_api_answers_an_import_with_its_warnings(client, make_user):
    client.force_login(make_user("intake_officer", "XF"))
    answer = client.post(
        "/api/v1/referrals",
        data=as_bytes(low_with(type="Livestreamed abuse")),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    shown = client.get(f"/api/v1/referrals/{answer.json()['referral_id']}").json()
    assert [w["value"] for w in shown["intake_warnings"]] == ["Livestreamed abuse"]


def test_research_with_an_unknown_role_is_kept_and_waits_on_the_mapping(forces):
    referral, _ = store(low_with())
    with changing(
        SYSTEM, referral, permission="facts.record", audit="research.recorded", as_of=LATER
    ) as change:
        apply_research(
            change,
            {"source": "PNC", "subjects": [{"ref": "n1", "role": "Nephew", "age": 8}]},
        )
    referral.refresh_from_db()
    assert [(w["path"], w["research"] > 0) for w in referral.intake_warnings] == [
        ("$.subjects[0].role", True)
    ]
    assert Person.objects.get(referral=referral, ref="n1").role_text == "Nephew"
    assert referral.grade_provisional is True


def test_the_command_lists_and_maps_unknown_words(forces, capsys):
    store(low_with(type="Livestreamed abuse"))
    call_command("unknown-values", "--json")
    [row] = json.loads(capsys.readouterr().out)["items"]
    assert (row["field"], row["value"], row["times_seen"], row["mapped_to"]) == (
        "incident_type",
        "Livestreamed abuse",
        1,
        "",
    )
    call_command(
        "unknown-values", "map", "incident_type", "Livestreamed abuse", "csam_possession", "--json"
    )
    assert json.loads(capsys.readouterr().out) == {
        "field": "incident_type",
        "value": "Livestreamed abuse",
        "mapped_to": "csam_possession",
        "referrals": 1,
        "closed": 0,
    }


def test_the_unknown_words_page_lets_an_administrator_map_a_word(client, forces, make_user):
    referral, _ = store(low_with(type="Livestreamed abuse"))
    client.force_login(make_user("administrator", "XF"))
    page = client.get(reverse("intake:unknown-values"))
    assert page.status_code == 200
    assert "Livestreamed abuse" in page.content.decode()
    answer = client.post(
        reverse("intake:unknown-values"),
        {"field": "incident_type", "value": "Livestreamed abuse", "mapped_to": "csam"},
    )
    assert answer.status_code == 302
    referral.refresh_from_db()
    assert referral.incident_type == "csam"
    refused = client.post(
        reverse("intake:unknown-values"),
        {"field": "incident_type", "value": "Livestreamed abuse", "mapped_to": "nonsense"},
    )
    assert "may be mapped to one of" in refused.content.decode()


def test_the_unknown_words_page_is_closed_to_case_workers(client, make_user):
    client.force_login(make_user("supervisor", "XF"))
    assert client.get(reverse("intake:unknown-values")).status_code == 403


def test_the_referral_page_shows_the_words_not_known(client, make_user):
    referral, _ = store(low_with(type="Livestreamed abuse"))
    client.force_login(make_user("investigator", "XF"))
    page = client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()
    assert 'data-testid="intake-warnings"' in page
    assert "Livestreamed abuse" in page

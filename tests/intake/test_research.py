"""Research recorded after intake: added through the guarded path, matched again against every
force's referrals, its new links told to their holders, the referral re-graded."""

import copy
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import AS_OF, SYSTEM, low_risk, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.clocks.models import Clock, Notification
from vigil.intake.research import add_research
from vigil.people.models import Address, Check, Identifier, Link, Person, Research
from vigil.people.services import linked_referrals
from vigil.referrals.changes import Conflict, RecordError
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db

LEARNED = "2020-09-12T10:00:00+00:00"


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


def research(**changes) -> dict:
    record = {
        "source": "PNC and local intelligence",
        "learned_at": LEARNED,
        "subjects": [
            {
                "ref": "s1",
                "role": "suspect",
                "identifiers": [
                    {"type": "email", "value": "Second.Account@Example.com"},
                    {
                        "type": "ip",
                        "value": "203.0.113.77",
                        "port": 51234,
                        "event": "login",
                        "seen_at": "2020-09-01T10:00:00Z",
                    },
                ],
                "addresses": [
                    {"line1": "4 New Road", "postcode": "xx2 2xx", "lived_from": "2020-06-01"}
                ],
            },
            {"ref": "r1", "role": "relative", "relation": "niece", "first_name": "Amy", "age": 9},
        ],
        "checks": [
            {"system": "PNC", "done_at": "2020-09-12T09:00:00Z", "result": "No trace", "by": "DC"}
        ],
    }
    record.update(changes)
    return record


def add(referral, record, actor=SYSTEM, as_of=AS_OF):
    return add_research(actor, referral, as_of=as_of, **copy.deepcopy(record))


def test_research_adds_to_a_held_person_and_adds_new_people_with_its_source_and_time():
    referral, _ = store(referral_data())
    version = referral.version
    made = add(referral, research())

    suspect = Person.objects.get(referral=referral, ref="s1")
    email = Identifier.objects.get(person=suspect, normalised="second.account@example.com")
    ip = Identifier.objects.get(person=suspect, kind="ip", value="203.0.113.77")
    assert (ip.port, ip.event) == (51234, "login")
    assert email.source == "PNC and local intelligence"
    assert email.learned_at == datetime(2020, 9, 12, 10, tzinfo=UTC)
    address = Address.objects.get(person=suspect, line1="4 New Road")
    assert str(address.lived_from) == "2020-06-01" and address.lived_until is None
    niece = Person.objects.get(referral=referral, ref="r1")
    assert (niece.role, niece.relation, niece.stated_age) == ("relative", "niece", 9)
    assert str(niece.stated_age_on) == "2020-09-12"
    check = Check.objects.get(research=made)
    assert (check.system, check.person, check.result, check.done_by_name) == (
        "pnc",
        suspect,
        "No trace",
        "DC",
    )
    referral.refresh_from_db()
    assert referral.version == version + 1
    assert made.summary["people_added"] == ["r1"]
    assert made.summary["identifiers"] == 2
    event = AuditEvent.objects.filter(referral_id=referral.pk).latest("id")
    assert event.action == "research.recorded"
    assert event.after["source"] == "PNC and local intelligence"


def test_the_same_research_twice_adds_no_second_copy_of_what_is_held():
    referral, _ = store(referral_data())
    add(referral, research(subjects=research()["subjects"][:1], checks=[]))
    add(referral, research(subjects=research()["subjects"][:1], checks=[]))
    suspect = Person.objects.get(referral=referral, ref="s1")
    assert Identifier.objects.filter(person=suspect, value="203.0.113.77").count() == 1
    assert Address.objects.filter(person=suspect, line1="4 New Road").count() == 1


@pytest.mark.parametrize(
    ("record", "path"),
    [
        (
            {"subjects": [{"ref": "s1", "role": "suspect", "identifiers": [{"type": 5}]}]},
            "$.subjects[0].identifiers[0]",
        ),
        ({"subjects": [{"ref": "s1", "role": "victim"}]}, "$.subjects[0].role"),
        (
            {"subjects": [{"ref": "n1", "role": "relative", "date_of_birth": "2020-13-01"}]},
            "$.subjects[0].date_of_birth",
        ),
        ({"learned_at": "2020-09-01T00:00:00Z"}, "$.learned_at"),
        ({"learned_at": "next tuesday"}, "$.learned_at"),
        ({"checks": [{"system": "PNC", "done_at": "2030-01-01T00:00:00Z"}]}, "$.checks[0].done_at"),
        (
            {"checks": [{"system": "PNC", "done_at": "2020-09-12T09:00:00Z", "subject": "zz"}]},
            "$.checks[0].subject",
        ),
        ({"colour": "blue"}, "$"),
        (
            {"subjects": [{"ref": "n1", "role": "relative", "lives_with": ["nobody"]}]},
            "$.subjects[0].lives_with[0]",
        ),
    ],
)
def test_bad_research_is_refused_with_its_json_path_and_stores_nothing(record, path):
    referral, _ = store(referral_data())
    people = Person.objects.filter(referral=referral).count()
    version = referral.version
    with pytest.raises(RecordError) as refused:
        add(referral, {"source": "test", **record})
    assert refused.value.messages[0].startswith(path)
    referral.refresh_from_db()
    assert referral.version == version
    assert Person.objects.filter(referral=referral).count() == people
    assert not Research.objects.exists()
    assert not Check.objects.exists()


def test_research_on_a_closed_referral_is_refused():
    referral, _ = store(referral_data())
    Referral.objects.filter(pk=referral.pk).update(status="closed")
    with pytest.raises(Conflict):
        add(referral, research())


def test_a_new_identifier_links_to_another_forces_referral_and_its_holders_are_told(make_user):
    theirs, _ = store(
        referral_data(
            source_reference="NCA-YF-1",
            force="YF",
            subjects=[
                {
                    "ref": "s1",
                    "role": "suspect",
                    "identifiers": [{"type": "email", "value": "second.account@example.com"}],
                }
            ],
            access=[],
        )
    )
    supervisor = make_user("supervisor", "YF")
    outsider = make_user("supervisor", "XF", username="xf-supervisor")
    ours, _ = store(referral_data())
    assert not Link.objects.filter(linked_referral=theirs).exists()

    add(ours, research())

    link = Link.objects.get(referral=ours, linked_referral=theirs)
    assert (link.reason, link.matched_on) == ("email", "second.account@example.com")
    # On both referrals, with the reason; the other force's referral named only by its force.
    [seen_here] = linked_referrals(ours, outsider)
    assert (seen_here["reason"], seen_here["force"], seen_here["source_reference"]) == (
        "email",
        "YF",
        "",
    )
    [seen_there] = linked_referrals(theirs, supervisor)
    assert (seen_there["reason"], seen_there["force"], seen_there["visible"]) == (
        "email",
        "XF",
        False,
    )
    [note] = Notification.objects.filter(recipient=supervisor)
    assert note.referral_id == theirs.pk and note.clock is None
    assert "NCA-YF-1" in note.subject
    assert "XF" in note.body
    # They may not open ours: neither its reference nor anything of its people reaches them.
    assert ours.source_reference not in note.body + note.subject
    assert "Alex" not in note.body
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_research_matched_again_on_a_home_address_links_the_suspect():
    theirs, _ = store(
        referral_data(
            source_reference="NCA-ADDR",
            subjects=[
                {
                    "ref": "s1",
                    "role": "suspect",
                    "address": {"line1": "4 New Road", "postcode": "XX2 2XX"},
                }
            ],
            access=[],
        )
    )
    ours, _ = store(referral_data())
    add(ours, research(checks=[]))
    link = Link.objects.get(referral=ours, linked_referral=theirs)
    assert link.reason == "address"


def test_a_child_found_living_with_the_suspect_regrades_and_starts_safeguarding_from_learning():
    received = datetime(2020, 9, 10, 9, tzinfo=UTC)
    referral, _ = store(low_risk(received))
    assert referral.grade == "low"
    found = research(
        subjects=[
            {
                "ref": "h9",
                "role": "household_member",
                "first_name": "Ben",
                "date_of_birth": "2015-04-04",
                "lives_with": ["s1"],
            }
        ],
        checks=[],
    )
    add(referral, found)
    referral.refresh_from_db()
    assert referral.grade in {"high", "very_high"}
    social_care = Clock.objects.get(referral=referral, kind="social_care_referral")
    assert social_care.started_at == datetime(2020, 9, 12, 10, tzinfo=UTC)


def test_vigil_research_add_records_a_file_and_reports_what_it_added(tmp_path, capsys):
    referral, _ = store(referral_data())
    path = tmp_path / "research.json"
    path.write_text(json.dumps(research()))
    call_command("research", "add", referral.source_reference, str(path), "--as-of", "2020-09-14")
    out = capsys.readouterr().out
    assert f"recorded on {referral.source_reference}: 1 people added" in out
    assert Research.objects.filter(referral=referral).count() == 1


def test_vigil_research_add_names_the_json_path_of_bad_input(tmp_path):
    referral, _ = store(referral_data())
    path = tmp_path / "research.json"
    path.write_text(json.dumps(research(checks=[{"system": "PNC"}])))
    with pytest.raises(CommandError, match=r"\$\.checks\[0\]: missing required field 'done_at'"):
        call_command(
            "research", "add", referral.source_reference, str(path), "--as-of", "2020-09-14"
        )
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("research", "add", referral.source_reference, str(path))
    assert not Research.objects.exists()


def test_the_api_records_research_and_answers_a_bad_record_with_its_path(client, make_user):
    referral, _ = store(referral_data())
    client.force_login(make_user("investigator", "XF"))
    answered = client.post(
        f"/api/v1/referrals/{referral.pk}/research",
        json.dumps({**research(), "learned_at": None}),
        content_type="application/json",
    )
    assert answered.status_code == 201, answered.content
    assert answered.json()["recorded"]["people_added"] == ["r1"]
    bad = client.post(
        f"/api/v1/referrals/{referral.pk}/research",
        json.dumps({"source": "x", "subjects": [{"ref": "s1"}]}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "$.subjects[0]: missing required field 'role'" in bad.json()["error"]


def test_research_on_another_forces_referral_is_not_found(client, make_user):
    referral, _ = store(referral_data(force="YF"))
    client.force_login(make_user("investigator", "XF"))
    answered = client.post(
        f"/api/v1/referrals/{referral.pk}/research",
        json.dumps(research()),
        content_type="application/json",
    )
    assert answered.status_code == 404
    assert not Research.objects.exists()


@pytest.mark.parametrize(
    ("form", "fields", "expect"),
    [
        (
            "identifiers",
            {"type": "phone", "value": "07700 900999", "source": "phone check"},
            lambda r: Identifier.objects.filter(
                person__referral=r, normalised="+447700900999"
            ).exists(),
        ),
        (
            "addresses",
            {
                "line1": "9 Old Lane",
                "postcode": "XX9 9XX",
                "lived_until": "2019-01-01",
                "source": "electoral roll",
            },
            lambda r: Address.objects.filter(
                person__referral=r, line1="9 Old Lane", lived_until="2019-01-01"
            ).exists(),
        ),
        (
            "people-found",
            {
                "role": "relative",
                "first_name": "Dee",
                "relation": "sister",
                "age": "14",
                "source": "family tree",
            },
            lambda r: Person.objects.filter(
                referral=r, role="relative", relation="sister", ref="r1"
            ).exists(),
        ),
        (
            "checks",
            {"system": "childrens_social_care", "result": "Known to CSC in 2019", "source": "CSC"},
            lambda r: Check.objects.filter(referral=r, system="childrens_social_care").exists(),
        ),
    ],
)
def test_each_research_form_on_the_referral_page_records_through_the_same_path(
    client, make_user, form, fields, expect
):
    referral, _ = store(referral_data())
    client.force_login(make_user("investigator", "XF"))
    answered = client.post(f"/referrals/{referral.pk}/{form}/", fields)
    assert answered.status_code == 302
    assert expect(referral), [m.message for m in answered.wsgi_request._messages]
    assert Research.objects.filter(referral=referral).count() == 1


def test_the_referral_page_shows_research_its_checks_and_the_forms_to_add_more(client, make_user):
    referral, _ = store(referral_data())
    add(referral, research())
    client.force_login(make_user("investigator", "XF"))
    html = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "PNC and local intelligence" in html
    assert "port 51234, login" in html
    assert "Relative (niece)" in html
    assert "Lived there from 2020-06-01 and still does" in html
    assert "No trace" in html
    for form in ("identifiers", "addresses", "people-found", "checks"):
        assert f'action="/referrals/{referral.pk}/{form}/"' in html


def test_a_role_that_records_no_facts_sees_research_but_no_forms(client, make_user):
    referral, _ = store(referral_data())
    add(referral, research())
    client.force_login(make_user("child_protection_lead", "XF"))
    html = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "PNC and local intelligence" in html
    assert f'action="/referrals/{referral.pk}/identifiers/"' not in html


def test_a_household_member_recorded_later_is_matched_against_other_referrals_too(make_user):
    from vigil.people.services import add_household_member

    theirs, _ = store(
        referral_data(
            source_reference="NCA-YF-SUSPECT",
            force="YF",
            subjects=[
                {
                    "ref": "s1",
                    "role": "suspect",
                    "first_name": "Jo",
                    "last_name": "Lodger",
                    "date_of_birth": "1980-03-03",
                }
            ],
            access=[],
        )
    )
    supervisor = make_user("supervisor", "YF")
    ours, _ = store(referral_data())
    add_household_member(
        SYSTEM,
        ours,
        first_name="Jo",
        last_name="Lodger",
        date_of_birth=datetime(1980, 3, 3).date(),
        source="home visit",
        as_of=AS_OF,
    )
    link = Link.objects.get(referral=ours, linked_referral=theirs)
    assert link.reason == "name_dob"
    assert Notification.objects.filter(recipient=supervisor, referral=theirs).exists()
    event = AuditEvent.objects.filter(referral_id=ours.pk).latest("id")
    assert (event.after["links"], event.after["holders_told"]) == (1, 1)

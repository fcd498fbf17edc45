"""Grading stored referrals: at import, again when facts change, and overrides in the open."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from tests.conftest import AS_OF, SYSTEM, referral_data, store
from vigil.audit.models import AuditEvent
from vigil.people import services as people
from vigil.referrals.changes import RecordError
from vigil.risk import services as risk
from vigil.risk.models import Assessment, Override, PolicyVersion

pytestmark = pytest.mark.django_db

LATER = AS_OF + timedelta(days=1)


def suspect_only(**suspect) -> dict:
    """A referral of a suspect alone, identified, with access and history not yet known."""
    person = {
        "ref": "s1",
        "role": "suspect",
        "first_name": "Sam",
        "last_name": "Suspect",
        "date_of_birth": "1980-04-02",
        "works_with_children": False,
        **suspect,
    }
    return referral_data(
        subjects=[person],
        access=[],
        indicators=[],
        material=[],
        incident={"type": "csam_possession", "escalated": False},
    )


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


@pytest.fixture
def assessor(make_user):
    return make_user("assessor", "XF")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor", "XF")


def test_a_referral_is_graded_the_moment_it_is_imported():
    referral, _ = store(referral_data())
    assessment = risk.current_assessment(referral)
    assert (assessment.grade, assessment.step, assessment.trigger) == (
        "very_high",
        "D2",
        "imported",
    )
    assert referral.grade == "very_high"
    assert assessment.flags == {"suspect_is_child": True}
    assert (
        "lives with a child aged 12 (NCA referral NCA-2020-0001, 2020-09-10)" in assessment.sentence
    )
    assert AuditEvent.objects.filter(action="referral.assessed").count() == 1


def test_unknown_access_is_provisional_and_names_the_facts_to_establish():
    referral, _ = store(suspect_only())
    assessment = risk.current_assessment(referral)
    assert (assessment.grade, assessment.provisional) == ("medium", True)
    assert [m["code"] for m in assessment.missing] == ["A1", "A2"]


def test_a_new_household_member_re_grades_and_keeps_the_old_assessment(assessor):
    referral, _ = store(
        suspect_only(household_established=True, access_established=True, history_established=True)
    )
    first = risk.current_assessment(referral)
    assert (first.grade, first.provisional) == ("low", False)
    people.add_household_member(
        assessor,
        referral,
        first_name="Kit",
        age=7,
        source="household record",
        learned_at=LATER,
        as_of=LATER,
    )
    second = risk.current_assessment(referral)
    assert (second.grade, second.step, second.trigger) == ("high", "D3", "household member added")
    assert second.changes == [
        {"code": "A1", "text": "Lives with anyone under 18", "from": "no", "to": "yes"}
    ]
    assert "lives with a child aged 7 (household record, 2020-09-15)" in second.sentence
    assert second.assessed_by == assessor
    first.refresh_from_db()
    assert not first.is_current
    assert [h["grade"] for h in risk.risk_history(referral)] == ["high", "low"]


def test_a_suspects_18th_birthday_clears_the_child_flag_on_re_grading():
    referral, _ = store(
        suspect_only(
            date_of_birth="2002-09-20", household_established=True, access_established=True
        )
    )
    assert risk.current_assessment(referral).flags["suspect_is_child"] is True
    birthday = datetime(2020, 9, 20, 12, 0, tzinfo=UTC)
    assert risk.regrade_all(actor=SYSTEM, as_of=birthday - timedelta(days=1)) == {"unchanged": 1}
    assert risk.regrade_all(actor=SYSTEM, as_of=birthday) == {"re-graded": 1}
    after = risk.current_assessment(referral)
    assert after.flags["suspect_is_child"] is False
    assert after.changes == [
        {"code": "K1", "text": "Suspect is under 18", "from": "yes", "to": "no"}
    ]
    assert after.trigger == "scheduled re-grade"


def test_a_lower_grade_from_re_grading_waits_for_a_supervisor(supervisor):
    child_born = date(2002, 10, 1)
    data = suspect_only(
        household_established=True, access_established=True, history_established=True
    )
    data["subjects"].append(
        {
            "ref": "h1",
            "role": "household_member",
            "date_of_birth": child_born.isoformat(),
            "lives_with": ["s1"],
        }
    )
    referral, _ = store(data)
    assert referral.grade == "high"
    risk.regrade_all(
        actor=SYSTEM, as_of=datetime(2020, 10, 1, 12, tzinfo=UTC)
    )  # the child turns 18
    held = risk.current_assessment(referral)
    assert (held.engine_grade, held.grade) == ("low", "high")
    review = Override.objects.get(status="pending")
    assert (review.proposed_by, review.proposed_grade) == (None, "low")
    risk.decide_override(
        supervisor,
        review,
        approve=True,
        reason="Sibling is now an adult.",
        as_of=LATER + timedelta(days=20),
    )
    referral.refresh_from_db()
    assert referral.grade == "low"


def test_an_override_below_a_floor_is_refused(assessor):
    referral, _ = store(suspect_only(household_established=True))
    people.add_household_member(assessor, referral, age=10, source="household record", as_of=LATER)
    assert referral.grade == "high"
    with pytest.raises(risk.OverrideRefused, match="below the floor of high"):
        risk.propose_override(
            assessor, referral, "medium", "The child is rarely at home.", as_of=LATER
        )
    assert not Override.objects.exists()


def test_a_lowering_override_waits_for_another_persons_approval(assessor, supervisor, make_user):
    referral, _ = store(
        suspect_only(
            history_established=True,
            household_established=True,
            access_established=True,
            history=[{"type": "indecent_images", "outcome": "conviction", "date": "2010-01-01"}],
        )
    )
    assert referral.grade == "medium"
    override = risk.propose_override(
        assessor, referral, "low", "Conviction is fourteen years old.", as_of=LATER
    )
    assert override.status == "pending"
    referral.refresh_from_db()
    assert referral.grade == "medium"
    with pytest.raises(PermissionDenied):
        risk.decide_override(assessor, override, approve=True, as_of=LATER)
    other_supervisor = make_user("supervisor", "XF", username="sup2")
    proposed_by_supervisor = override
    risk.decide_override(
        other_supervisor, proposed_by_supervisor, approve=True, reason="Agreed.", as_of=LATER
    )
    referral.refresh_from_db()
    assert referral.grade == "low"
    assert (
        AuditEvent.objects.filter(action__in=["override.proposed", "override.decided"]).count() == 2
    )


def test_a_supervisor_cannot_approve_their_own_lowering(supervisor):
    referral, _ = store(
        suspect_only(
            history=[{"type": "indecent_images", "outcome": "conviction"}],
            history_established=True,
            household_established=True,
            access_established=True,
        )
    )
    override = risk.propose_override(
        supervisor, referral, "low", "Old conviction, no access.", as_of=LATER
    )
    with pytest.raises(PermissionDenied, match="someone other than its proposer"):
        risk.decide_override(supervisor, override, approve=True, as_of=LATER)


def test_raising_the_grade_takes_effect_at_once(assessor):
    referral, _ = store(
        suspect_only(household_established=True, access_established=True, history_established=True)
    )
    override = risk.propose_override(
        assessor, referral, "high", "Intelligence of contact with children.", as_of=LATER
    )
    assert override.status == "applied"
    referral.refresh_from_db()
    assert referral.grade == "high"


def test_an_override_needs_a_written_reason(assessor):
    referral, _ = store(suspect_only())
    with pytest.raises(risk.OverrideRefused, match="reason"):
        risk.propose_override(assessor, referral, "high", "  ", as_of=LATER)


def test_a_refusal_needs_a_reason_and_keeps_the_grade(assessor, supervisor):
    referral, _ = store(
        suspect_only(
            history=[{"type": "indecent_images"}],
            history_established=True,
            household_established=True,
            access_established=True,
        )
    )
    override = risk.propose_override(
        assessor, referral, "low", "Historic matter only.", as_of=LATER
    )
    with pytest.raises(risk.OverrideRefused):
        risk.decide_override(supervisor, override, approve=False, reason="", as_of=LATER)
    risk.decide_override(
        supervisor, override, approve=False, reason="Image offending is relevant.", as_of=LATER
    )
    referral.refresh_from_db()
    assert (referral.grade, Override.objects.get().status) == ("medium", "refused")


def test_every_stored_assessment_is_reproducible_from_its_facts_and_policy(assessor):
    referral, _ = store(referral_data())
    people.add_history(
        assessor, referral, type="violence", outcome="caution", source="PNC check", as_of=LATER
    )
    for assessment in Assessment.objects.all():
        again = risk.reproduce(assessment)
        assert (again.grade, again.step, again.sentence) == (
            assessment.engine_grade,
            assessment.step,
            assessment.sentence,
        )


def test_nothing_is_stored_when_nothing_changed():
    referral, _ = store(referral_data())
    assert risk.assess(referral, actor=SYSTEM, as_of=LATER, trigger="check") is None
    assert Assessment.objects.count() == 1


def test_a_policy_changed_without_a_new_version_is_refused():
    referral, _ = store(referral_data())
    PolicyVersion.objects.update(sha256="0" * 64)
    with pytest.raises(Exception, match="new version number"):
        risk.assess(referral, actor=SYSTEM, as_of=LATER, trigger="check")


def test_a_fact_cannot_be_learned_before_receipt_or_in_the_future(assessor):
    referral, _ = store(suspect_only())
    with pytest.raises(RecordError, match="before the referral"):
        people.add_history(
            assessor,
            referral,
            type="violence",
            source="x",
            learned_at=AS_OF - timedelta(days=30),
            as_of=LATER,
        )
    with pytest.raises(RecordError, match="future"):
        people.add_history(
            assessor,
            referral,
            type="violence",
            source="x",
            learned_at=LATER + timedelta(days=1),
            as_of=LATER,
        )


def test_another_forces_assessor_cannot_record_facts(make_user):
    referral, _ = store(suspect_only())
    outsider = make_user("assessor", "YF")
    from django.http import Http404

    with pytest.raises(Http404):
        people.add_history(outsider, referral, type="violence", source="x", as_of=LATER)


def test_an_indicator_found_later_raises_the_grade(assessor):
    from vigil.referrals.services import add_indicator

    referral, _ = store(
        suspect_only(household_established=True, access_established=True, history_established=True)
    )
    add_indicator(assessor, referral, "grooming", source="device examination", as_of=LATER)
    referral.refresh_from_db()
    assessment = risk.current_assessment(referral)
    assert (referral.grade, assessment.step) == ("high", "D4")
    assert "reported grooming (device examination, 2020-09-15)" in assessment.sentence


def test_correcting_the_suspect_records_the_source(assessor):
    referral, _ = store(suspect_only())
    people.correct_person(
        assessor,
        referral,
        "s1",
        changes={"works_with_children": True, "occupation": "Swimming coach"},
        source="employer check",
        as_of=LATER,
    )
    assessment = risk.current_assessment(referral)
    assert assessment.grade == "high"
    assert (
        "works or volunteers with children (Swimming coach) (employer check, 2020-09-15)"
        in assessment.sentence
    )


def test_quality_samples_are_drawn_per_assessor_at_the_configured_size(
    assessor, make_user, settings
):
    settings.VIGIL_QUALITY_SAMPLE_SIZE = 2
    other = make_user("assessor", "XF", username="assessor2")
    for n, who in enumerate([assessor] * 4 + [other]):
        referral, _ = store(
            suspect_only(household_established=True) | {"source_reference": f"Q-{n}"}
        )
        people.add_history(who, referral, type="violence", source="check", as_of=LATER)
    supervisor = make_user("supervisor", "XF")
    queued = risk.queue_quality_sample(supervisor, as_of=LATER, seed=1)
    per_assessor = Counter(check.assessor.username for check in queued)
    assert per_assessor == {"assessor-xf": 2, "assessor2": 1}
    # Assessments Vigil made on import are not an assessor's work.
    assert all(check.assessment.assessed_by is not None for check in queued)
    # Drawing again takes only what was not drawn before.
    again = risk.queue_quality_sample(supervisor, as_of=LATER, seed=2)
    assert Counter(check.assessor.username for check in again) == {"assessor-xf": 2}


def test_the_regrade_command_reports_what_changed(capsys):
    store(
        suspect_only(
            date_of_birth="2002-09-20", household_established=True, access_established=True
        )
    )
    from django.core.management import call_command

    call_command("risk", "regrade", "--as-of", "2020-09-21")
    assert "1 re-graded, 0 unchanged" in capsys.readouterr().out


def test_a_new_policy_version_re_grades_and_both_versions_stay_reproducible(settings, tmp_path):
    referral, _ = store(
        suspect_only(
            history=[{"type": "indecent_images"}],
            history_established=True,
            household_established=True,
            access_established=True,
        )
    )
    assert referral.grade == "medium"
    stricter = (
        risk.active_policy()
        .text.replace("version = 5", "version = 6")
        .replace('grade = "medium"\nstep = "D5"', 'grade = "high"\nstep = "D5"')
    )
    path = tmp_path / "vigil-default-6.toml"
    path.write_text(stricter)
    settings.VIGIL_RISK_POLICY = str(path)
    assert risk.regrade_all(actor=SYSTEM, as_of=LATER) == {"re-graded": 1}
    referral.refresh_from_db()
    assert referral.grade == "high"
    assert risk.current_assessment(referral).policy.version == 6
    for assessment in Assessment.objects.all():
        assert risk.reproduce(assessment).grade == assessment.engine_grade

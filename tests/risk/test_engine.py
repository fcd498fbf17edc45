"""The pure risk engine under the default policy: worked examples of every step, and the
properties that must hold for every possible set of facts."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.risk.engine import Answer, Fact, grade
from vigil.risk.policy import DEFAULT_POLICY, PolicyError, load_policy, parse_policy

POLICY = load_policy()
AS_OF = datetime(2020, 9, 14, 12, 0, tzinfo=UTC)
CODES = [q.code for q in POLICY.questions]
ACCESS = ("A1", "A2", "A3")
YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN


def known(**answers: Answer) -> dict[str, Fact]:
    """Facts with identity, access and every word established unless given; the rest unknown."""
    base = {"I1": YES, "V1": YES, "A1": NO, "A2": NO, "A3": NO}
    base.update(answers)
    return {
        code: Fact(answer, detail=f"{code} detail", source="test", at=AS_OF)
        for code, answer in base.items()
    }


def rank(value: str) -> int:
    return POLICY.rank(value)


@pytest.mark.parametrize(
    ("answers", "expected", "step"),
    [
        ({"E1": YES}, "very_high", "D1"),
        ({"A1": YES, "P1": YES}, "very_high", "D2"),
        ({"A2": YES, "C1": YES}, "very_high", "D2"),
        ({"A3": YES, "C2": YES}, "very_high", "D2"),
        ({"A1": YES, "C3": YES}, "very_high", "D2"),
        ({"A1": YES}, "high", "D3"),
        ({"A2": YES}, "high", "D3"),
        ({"A3": YES, "C5": YES}, "high", "D3"),
        ({"P1": YES}, "high", "D4"),
        ({"C1": YES}, "high", "D4"),
        ({"C2": YES}, "high", "D4"),
        ({"P2": YES}, "medium", "D5"),
        ({"P3": YES}, "medium", "D5"),
        ({"P4": YES}, "medium", "D5"),
        ({"C3": YES}, "medium", "D5"),
        ({"C4": YES}, "medium", "D5"),
        ({"O1": YES}, "medium", "D5"),
        ({"C5": YES, "O2": YES, "O3": YES}, "low", "D6"),
        ({}, "low", "D6"),
    ],
)
def test_every_step_of_the_default_policy(answers, expected, step):
    result = grade(known(**answers), POLICY, AS_OF)
    assert (result.grade, result.step, result.provisional) == (expected, step, False)


def test_unknown_access_makes_a_low_grade_provisional_medium_and_names_the_facts():
    result = grade(known(A1=UNKNOWN, A3=UNKNOWN), POLICY, AS_OF)
    assert (result.grade, result.step, result.provisional) == ("medium", "D6", True)
    assert result.missing == ("A1", "A3")
    assert "Provisional until established: lives with anyone under 18" in result.sentence


def test_access_known_to_be_yes_is_not_provisional_even_with_other_unknowns():
    result = grade(known(A1=YES, A2=UNKNOWN, A3=UNKNOWN), POLICY, AS_OF)
    assert (result.grade, result.provisional, result.missing) == ("high", False, ())


def test_an_unidentified_suspect_is_provisional_and_at_least_medium():
    result = grade(known(I1=NO), POLICY, AS_OF)
    assert (result.grade, result.provisional, result.missing) == ("medium", True, ("I1",))


def test_a_provisional_grade_above_medium_keeps_its_grade():
    result = grade(known(I1=NO, C1=YES), POLICY, AS_OF)
    assert (result.grade, result.provisional) == ("high", True)


def test_a_suspect_under_18_is_flagged_as_a_child():
    assert grade(known(K1=YES), POLICY, AS_OF).flags == {"suspect_is_child": True}
    assert grade(known(K1=NO), POLICY, AS_OF).flags == {"suspect_is_child": False}


def test_the_explanation_reads_as_a_sentence_with_evidence():
    facts = {
        **known(),
        "A1": Fact(
            YES, "lives with a child aged 12", "household record", datetime(2020, 9, 11, tzinfo=UTC)
        ),
        "P1": Fact(
            YES,
            "a previous allegation of a contact sexual offence against a child",
            "intelligence check",
            datetime(2020, 9, 11, tzinfo=UTC),
        ),
    }
    result = grade(facts, POLICY, AS_OF)
    assert result.sentence == (
        "Very high: lives with a child aged 12 (household record, 2020-09-11) and a previous "
        "allegation of a contact sexual offence against a child (intelligence check, 2020-09-11)."
    )
    assert [reason.code for reason in result.reasons] == ["A1", "P1"]
    assert result.policy == "vigil-default/5"


# --- every grade says why, in words --------------------------------------------------------------


def test_a_low_grade_says_why_it_is_low_from_the_answers_that_decided_it():
    result = grade(known(), POLICY, AS_OF)
    assert (result.grade, result.step) == ("low", "D6")
    assert [(reason.code, reason.kind) for reason in result.reasons] == [
        ("E1", "absent"),
        ("A1/A2/A3", "absent"),
        ("P1/C1/C2", "absent"),
        ("P2/P3/P4/C3/C4/O1", "absent"),
    ]
    access = result.reasons[1]
    assert access.text == "No child is known to be in the suspect's household or within their reach"
    assert access.evidence == (
        "A1 detail (test, 2020-09-14); A2 detail (test, 2020-09-14); A3 detail (test, 2020-09-14)"
    )
    assert result.reasons[2].evidence == (
        "not recorded: contact sexual offence against a child, grooming, enticement or sexual "
        "communication with a child, producing or taking indecent images"
    )
    assert result.sentence == (
        "Low: the source has not escalated it as an immediate risk to a child; no child is known "
        "to be in the suspect's household or within their reach; no contact sexual offence "
        "against a child, grooming or production of images is known; no previous sexual or "
        "indecent-image offending, identified child victim, most serious material or violence is "
        "known."
    )


def test_a_medium_grade_from_its_answers_gives_them_as_its_reasons():
    facts = {
        **known(),
        "P2": Fact(YES, "a conviction for an indecent-image offence", "PNC", AS_OF),
    }
    result = grade(facts, POLICY, AS_OF)
    assert (result.grade, result.step) == ("medium", "D5")
    assert [(r.code, r.text, r.evidence, r.kind) for r in result.reasons] == [
        (
            "P2",
            "Indecent-image offence",
            "a conviction for an indecent-image offence (PNC, 2020-09-14)",
            "answer",
        )
    ]
    assert (
        result.sentence == "Medium: a conviction for an indecent-image offence (PNC, 2020-09-14)."
    )


def test_a_provisional_medium_says_why_it_is_not_lower_and_what_is_missing():
    result = grade(known(A1=UNKNOWN, A2=UNKNOWN), POLICY, AS_OF)
    assert (result.grade, result.provisional) == ("medium", True)
    assert result.reasons[1].evidence == (
        "A3 detail (test, 2020-09-14); not recorded: lives with anyone under 18, regular "
        "unsupervised access to a child"
    )
    missing = result.reasons[-1]
    assert (missing.code, missing.kind, missing.text, missing.evidence) == (
        "access_unknown",
        "provisional",
        "Whether the suspect can reach children is not yet established",
        "to establish: lives with anyone under 18, regular unsupervised access to a child",
    )
    assert "; raised from low because whether the suspect can reach children" in result.sentence


def test_a_policy_without_the_words_for_absence_still_explains_a_low_grade():
    version_1 = load_policy(DEFAULT_POLICY.with_name("vigil-default-1.toml"))
    result = grade(known(), version_1, AS_OF)
    assert result.grade == "low"
    assert result.reasons[1].text == (
        "Not known: lives with anyone under 18 or regular unsupervised access to a child or "
        "works or volunteers with children"
    )


def test_a_policy_whose_absence_words_do_not_match_its_groups_is_refused():
    one_group = 'when = [["A1", "A2", "A3"]]\nabsent = ["'
    assert one_group in POLICY.text
    broken = POLICY.text.replace(one_group, one_group + 'Two phrases", "for one group', 1)
    with pytest.raises(PolicyError, match="one phrase for each group"):
        parse_policy(broken)


# --- properties over every possible set of answers ---------------------------------------------

answers = st.fixed_dictionaries({code: st.sampled_from([YES, NO, UNKNOWN]) for code in CODES}).map(
    lambda chosen: {code: Fact(answer) for code, answer in chosen.items()}
)


@given(answers)
def test_the_floor_holds_a_suspect_who_can_reach_children_is_never_below_high(facts):
    if any(facts[code].answer is YES for code in ACCESS):
        assert rank(grade(facts, POLICY, AS_OF).grade) >= rank("high")


@given(answers)
def test_unknown_access_never_yields_low(facts):
    if any(facts[code].answer is UNKNOWN for code in ACCESS):
        assert grade(facts, POLICY, AS_OF).grade != "low"


@settings(max_examples=300)
@given(answers, st.sampled_from(POLICY.risk_questions))
def test_adding_a_yes_to_a_risk_question_never_lowers_the_grade(facts, code):
    before = grade(facts, POLICY, AS_OF)
    after = grade({**facts, code: Fact(YES)}, POLICY, AS_OF)
    assert rank(after.grade) >= rank(before.grade)


@given(answers)
def test_an_assessment_is_reproducible_from_its_stored_facts(facts):
    first = grade(facts, POLICY, AS_OF)
    stored = {code: fact.as_dict() for code, fact in first.answers.items()}
    again = grade({code: Fact.from_dict(data) for code, data in stored.items()}, POLICY, AS_OF)
    assert (again.grade, again.step, again.provisional, again.missing, again.sentence) == (
        first.grade,
        first.step,
        first.provisional,
        first.missing,
        first.sentence,
    )


@settings(max_examples=300)
@given(
    answers,
    st.sampled_from([POLICY, load_policy(DEFAULT_POLICY.with_name("vigil-default-1.toml"))]),
)
def test_every_grade_has_at_least_one_reason_in_words(facts, policy):
    result = grade(facts, policy, AS_OF)
    assert result.reasons
    assert all(reason.text.strip() for reason in result.reasons)
    if result.provisional:
        assert any(reason.kind == "provisional" for reason in result.reasons)


@given(answers)
def test_the_grade_is_one_the_policy_knows_and_provisional_names_what_is_missing(facts):
    result = grade(facts, POLICY, AS_OF)
    assert result.grade in POLICY.grades
    assert result.provisional == bool(result.missing)


# --- policy files --------------------------------------------------------------------------------


def test_the_default_policy_is_named_vigil_default_never_kirat():
    assert POLICY.key == "vigil-default/5"
    assert "kirat" not in POLICY.text.lower()
    assert "kirat" not in POLICY.title.lower()


def test_a_policy_with_an_unknown_question_is_refused():
    broken = POLICY.text.replace('when = [["P2", "P3"', 'when = [["P9", "P3"')
    with pytest.raises(PolicyError, match="unknown question 'P9'"):
        parse_policy(broken)


def test_a_policy_without_a_catch_all_rule_is_refused():
    broken = POLICY.text.replace(
        'text = "None of the above"\nwhen = []', 'text = "x"\nwhen = [["P1"]]'
    )
    with pytest.raises(PolicyError, match="must match everything"):
        parse_policy(broken)


def test_another_policy_can_be_loaded_without_code_changes(tmp_path):
    strict = POLICY.text.replace('id = "vigil-default"', 'id = "force-xf"').replace(
        'grade = "medium"\nstep = "D5"', 'grade = "high"\nstep = "D5"'
    )
    path = tmp_path / "force.toml"
    path.write_text(strict)
    policy = load_policy(path)
    assert policy.key == "force-xf/5"
    assert grade(known(P2=YES), policy, AS_OF).grade == "high"

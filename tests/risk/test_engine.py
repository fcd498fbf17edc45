"""The pure risk engine under the default policy: worked examples of every step, and the
properties that must hold for every possible set of facts."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.risk.engine import Answer, Fact, grade
from vigil.risk.policy import PolicyError, load_policy, parse_policy

POLICY = load_policy()
AS_OF = datetime(2020, 9, 14, 12, 0, tzinfo=UTC)
CODES = [q.code for q in POLICY.questions]
ACCESS = ("A1", "A2", "A3")
YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN


def known(**answers: Answer) -> dict[str, Fact]:
    """Facts with identity and access established as no unless given; the rest unknown."""
    base = {"I1": YES, "A1": NO, "A2": NO, "A3": NO}
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
    assert result.policy == "vigil-default/1"


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


@given(answers)
def test_the_grade_is_one_the_policy_knows_and_provisional_names_what_is_missing(facts):
    result = grade(facts, POLICY, AS_OF)
    assert result.grade in POLICY.grades
    assert result.provisional == bool(result.missing)


# --- policy files --------------------------------------------------------------------------------


def test_the_default_policy_is_named_vigil_default_never_kirat():
    assert POLICY.key == "vigil-default/1"
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
    assert policy.key == "force-xf/1"
    assert grade(known(P2=YES), policy, AS_OF).grade == "high"

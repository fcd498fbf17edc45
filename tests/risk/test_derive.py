"""Answers derived from recorded facts: three-valued, with their evidence."""

from datetime import UTC, date, datetime

from vigil.risk.derive import (
    AccessRecord,
    HistoryRecord,
    LivesWithRecord,
    MaterialRecord,
    PersonRecord,
    ReferralRecord,
    SignalRecord,
    Source,
    derive_facts,
    next_change,
)
from vigil.risk.engine import Answer, grade
from vigil.risk.policy import load_policy

POLICY = load_policy()
AS_OF = datetime(2020, 9, 14, 12, 0, tzinfo=UTC)
DOC = Source("NCA referral NCA-2020-0001", datetime(2020, 9, 10, 8, 0, tzinfo=UTC))
CHECK = Source("intelligence check", datetime(2020, 9, 11, 10, 0, tzinfo=UTC))

SUSPECT = PersonRecord(
    ref="s1",
    role="suspect",
    first_name="Alex",
    last_name="Example",
    date_of_birth=date(2003, 6, 1),
    works_with_children=False,
    source=DOC,
)


def answers(record: ReferralRecord, as_of: datetime = AS_OF) -> dict[str, Answer]:
    return {code: fact.answer for code, fact in derive_facts(record, POLICY, as_of).items()}


def test_a_child_in_the_household_answers_a1_yes_with_its_evidence():
    child = PersonRecord(
        ref="c1",
        role="household_member",
        stated_age=12,
        stated_age_on=date(2020, 9, 10),
        source=DOC,
    )
    record = ReferralRecord(
        people=(SUSPECT, child), lives_with=(LivesWithRecord("c1", "s1", CHECK),)
    )
    fact = derive_facts(record, POLICY, AS_OF)["A1"]
    assert (fact.answer, fact.detail, fact.source) == (
        Answer.YES,
        "lives with a child aged 12",
        "intelligence check",
    )


def test_an_established_household_of_adults_answers_a1_no_but_an_unestablished_one_unknown():
    adult = PersonRecord(
        ref="h1",
        role="household_member",
        stated_age=40,
        stated_age_on=date(2020, 9, 10),
        source=DOC,
    )
    open_ = ReferralRecord(people=(SUSPECT, adult), lives_with=(LivesWithRecord("s1", "h1", DOC),))
    assert answers(open_)["A1"] is Answer.UNKNOWN
    established = PersonRecord(**{**SUSPECT.__dict__, "household_established": True})
    closed = ReferralRecord(
        people=(established, adult), lives_with=(LivesWithRecord("s1", "h1", DOC),)
    )
    assert answers(closed)["A1"] is Answer.NO


def test_a_household_member_of_unknown_age_keeps_a1_unknown():
    established = PersonRecord(**{**SUSPECT.__dict__, "household_established": True})
    member = PersonRecord(ref="h1", role="household_member", source=DOC)
    record = ReferralRecord(
        people=(established, member), lives_with=(LivesWithRecord("s1", "h1", DOC),)
    )
    assert answers(record)["A1"] is Answer.UNKNOWN


def test_a_child_who_turns_18_no_longer_answers_a1():
    child = PersonRecord(
        ref="c1", role="household_member", date_of_birth=date(2003, 1, 5), source=DOC
    )
    established = PersonRecord(**{**SUSPECT.__dict__, "household_established": True})
    record = ReferralRecord(
        people=(established, child), lives_with=(LivesWithRecord("s1", "c1", DOC),)
    )
    assert answers(record, datetime(2021, 1, 4, tzinfo=UTC))["A1"] is Answer.YES
    assert answers(record, datetime(2021, 1, 5, tzinfo=UTC))["A1"] is Answer.NO


def test_history_three_valued():
    record = ReferralRecord(people=(SUSPECT,))
    assert answers(record)["P1"] is Answer.UNKNOWN
    checked = ReferralRecord(
        people=(PersonRecord(**{**SUSPECT.__dict__, "history_established": True}),)
    )
    assert answers(checked)["P1"] is Answer.NO
    found = ReferralRecord(
        people=(SUSPECT,),
        history=(
            HistoryRecord(
                "s1", "contact_sexual_offence_child", "allegation", date(2018, 2, 1), CHECK
            ),
        ),
    )
    fact = derive_facts(found, POLICY, AS_OF)["P1"]
    assert fact.detail == "a previous allegation of a contact sexual offence against a child"


def test_signals_material_victims_and_escalation():
    record = ReferralRecord(
        escalated=True,
        escalation_reason="Immediate risk to child",
        source=DOC,
        people=(
            SUSPECT,
            PersonRecord(
                ref="v1", role="victim", stated_age=9, stated_age_on=date(2020, 9, 10), source=DOC
            ),
        ),
        signals=(
            SignalRecord("incident_type", "online_enticement", DOC),
            SignalRecord("indicator", "upload", DOC),
        ),
        material=(MaterialRecord(category="A", source=DOC),),
        access=(AccessRecord("s1", "v1", "regular_unsupervised", CHECK),),
    )
    got = answers(record)
    assert (got["E1"], got["C1"], got["C3"], got["C4"], got["C5"], got["A2"]) == (Answer.YES,) * 6
    assert got["C2"] is Answer.UNKNOWN


def test_identity_and_childhood_of_the_suspect():
    assert answers(ReferralRecord(people=(SUSPECT,)))["I1"] is Answer.YES
    anonymous = PersonRecord(ref="s1", role="suspect", source=DOC)
    assert answers(ReferralRecord(people=(anonymous,)))["I1"] is Answer.NO
    assert answers(ReferralRecord())["I1"] is Answer.NO
    assert (
        answers(ReferralRecord(people=(SUSPECT,)), datetime(2021, 5, 31, tzinfo=UTC))["K1"]
        is Answer.YES
    )
    assert (
        answers(ReferralRecord(people=(SUSPECT,)), datetime(2021, 6, 1, tzinfo=UTC))["K1"]
        is Answer.NO
    )


def test_the_issue_example_is_graded_very_high_end_to_end():
    child = PersonRecord(
        ref="c1",
        role="household_member",
        stated_age=12,
        stated_age_on=date(2020, 9, 10),
        source=DOC,
    )
    record = ReferralRecord(
        escalated=False,
        source=DOC,
        people=(SUSPECT, child),
        lives_with=(LivesWithRecord("c1", "s1", DOC),),
        history=(
            HistoryRecord(
                "s1", "contact_sexual_offence_child", "allegation", date(2018, 2, 1), DOC
            ),
        ),
    )
    result = grade(derive_facts(record, POLICY, AS_OF), POLICY, AS_OF)
    assert (result.grade, result.step) == ("very_high", "D2")
    assert result.flags["suspect_is_child"] is True


def test_material_found_on_a_seized_device_answers_c4_with_its_count_and_source_once_learned():
    triaged = Source("triage of exhibit JS/1 (run 3)", datetime(2020, 9, 16, 9, 0, tzinfo=UTC))
    record = ReferralRecord(
        people=(SUSPECT,),
        material=(
            MaterialRecord(category="B", count=4, source=triaged),
            MaterialRecord(category="A", count=2, source=triaged),
        ),
    )

    # Not yet found on the 14th: what was learned later does not count.
    assert answers(record)["C4"] is Answer.UNKNOWN
    assert next_change(record, POLICY, AS_OF) == date(2020, 9, 16)
    fact = derive_facts(record, POLICY, datetime(2020, 9, 16, 10, 0, tzinfo=UTC))["C4"]
    assert (fact.answer, fact.detail, fact.source) == (
        Answer.YES,
        "2 files of category A material found",
        "triage of exhibit JS/1 (run 3)",
    )
    assert fact.evidence() == (
        "2 files of category A material found (triage of exhibit JS/1 (run 3), 2020-09-16)"
    )

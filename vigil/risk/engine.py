"""The risk engine: ``grade(facts, policy, as_of) -> Assessment``. Pure: no Django.

Facts are three-valued (yes, no, unknown) and each says where it came from. The engine applies
the policy's decision rules (first match wins), then its floors, then its provisional rules, and
explains the result in words a supervisor can read months later. Every grade has at least one
reason: the answers that fired its rule, or (for a grade no rule fired on a yes) the answers that
kept each higher rule from firing, and whatever raised it or left it provisional.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .policy import Policy


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Fact:
    """One question's answer and its evidence: what was found, where, and when it was learned."""

    answer: Answer
    detail: str = ""
    source: str = ""
    at: datetime | None = None

    def evidence(self) -> str:
        where = ", ".join(part for part in (self.source, self.at and f"{self.at:%Y-%m-%d}") if part)
        return f"{self.detail} ({where})" if where else self.detail

    def as_dict(self) -> dict:
        return {
            "answer": self.answer.value,
            "detail": self.detail,
            "source": self.source,
            "at": self.at.isoformat() if self.at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "Fact":
        at = data.get("at")
        return cls(
            answer=Answer(data["answer"]),
            detail=data.get("detail", ""),
            source=data.get("source", ""),
            at=datetime.fromisoformat(at) if at else None,
        )


UNKNOWN = Fact(Answer.UNKNOWN)


class ReasonKind(StrEnum):
    ANSWER = "answer"  # a yes answer that fired the decision rule
    ABSENT = "absent"  # no yes answer in a group of a higher rule: why the grade is no higher
    FLOOR = "floor"  # a floor raised the grade
    PROVISIONAL = "provisional"  # what is still to be established
    RULE = "rule"  # the rule's own words, when nothing else explains it


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    evidence: str
    kind: ReasonKind = ReasonKind.ANSWER


@dataclass(frozen=True)
class Assessment:
    """A grade with everything needed to explain and reproduce it."""

    grade: str
    step: str
    step_text: str
    provisional: bool
    missing: tuple[str, ...]
    reasons: tuple[Reason, ...]
    floors: tuple[str, ...]
    minimum: str
    answers: Mapping[str, Fact] = field(hash=False)
    flags: Mapping[str, bool] = field(hash=False)
    policy: str = ""
    sentence: str = ""
    as_of: datetime | None = None


def grade(facts: Mapping[str, Fact], policy: Policy, as_of: datetime) -> Assessment:
    """Grade one referral's facts under a policy. Questions without a fact are unknown."""
    answers = {q.code: facts.get(q.code, UNKNOWN) for q in policy.questions}

    def yes(code: str) -> bool:
        return answers[code].answer is Answer.YES

    def matches(when) -> bool:
        return all(any(yes(code) for code in group) for group in when)

    rule = next(rule for rule in policy.decision if matches(rule.when))
    result = rule.grade
    reasons = [
        Reason(code, policy.question(code).text, answers[code].evidence())
        for group in rule.when
        for code in group
        if yes(code)
    ]
    if not reasons:
        reasons = _absent(policy, rule, answers)

    minimum = policy.grades[0]
    floors, raised_by = [], []
    for floor in policy.floors:
        if matches(floor.when):
            floors.append(floor.text)
            minimum = policy.higher(minimum, floor.grade)
            if policy.rank(floor.grade) > policy.rank(rule.grade):
                raised_by.append(_floor_reason(floor, answers))

    provisional, missing = False, []
    for rule_ in policy.provisional:
        unknown = [c for c in rule_.unknown_any if answers[c].answer is Answer.UNKNOWN]
        open_ = bool(unknown) and not any(yes(c) for c in rule_.unknown_any)
        not_yet = [c for c in rule_.require_yes if not yes(c)]
        if open_ or not_yet:
            provisional = True
            floors.append(rule_.text)
            minimum = policy.higher(minimum, rule_.minimum)
            missing.extend(code for code in unknown + not_yet if code not in missing)
            raised_by.append(
                Reason(
                    rule_.name,
                    _capital(rule_.text),
                    "to establish: "
                    + ", ".join(_lower(policy.question(c).text) for c in unknown + not_yet),
                    ReasonKind.PROVISIONAL,
                )
            )
    if not reasons and not raised_by:
        # A policy whose only rule is the catch-all still says, in its own words, why.
        reasons = [Reason(rule.name, rule.text, "", ReasonKind.RULE)]

    result = policy.higher(result, minimum)
    flags = {name: yes(code) for name, code in policy.flags.items()}
    return Assessment(
        grade=result,
        step=rule.name,
        step_text=rule.text,
        provisional=provisional,
        missing=tuple(missing),
        reasons=tuple(reasons + raised_by),
        floors=tuple(floors),
        minimum=minimum,
        answers=answers,
        flags=flags,
        policy=policy.key,
        sentence=_sentence(policy, result, rule.grade, reasons, floors, provisional, missing),
        as_of=as_of,
    )


def _absent(policy: Policy, decided, answers: Mapping[str, Fact]) -> list[Reason]:
    """Why no higher rule fired: for each, its first group without a yes, in the policy's words."""
    reasons, seen = [], set()
    for rule in policy.decision:
        if rule is decided:
            break
        if policy.rank(rule.grade) <= policy.rank(decided.grade):
            continue
        index, group = next(
            (i, group)
            for i, group in enumerate(rule.when)
            if not any(answers[code].answer is Answer.YES for code in group)
        )
        if frozenset(group) in seen:
            continue
        seen.add(frozenset(group))
        if rule.absent:
            text = rule.absent[index]
        else:
            # A policy without the words: name the questions none of which is answered yes.
            text = "Not known: " + " or ".join(_lower(policy.question(code).text) for code in group)
        evidence = _evidence_of_absence(policy, group, answers)
        reasons.append(Reason("/".join(group), text, evidence, ReasonKind.ABSENT))
    return reasons


def _evidence_of_absence(policy: Policy, group, answers: Mapping[str, Fact]) -> str:
    checked = [answers[code].evidence() for code in group if answers[code].answer is Answer.NO]
    unknown = [
        _lower(policy.question(code).text)
        for code in group
        if answers[code].answer is Answer.UNKNOWN
    ]
    if unknown:
        checked.append("not recorded: " + ", ".join(unknown))
    return "; ".join(part for part in checked if part)


def _floor_reason(floor, answers: Mapping[str, Fact]) -> Reason:
    evidence = " and ".join(
        answers[code].evidence()
        for group in floor.when
        for code in group
        if answers[code].answer is Answer.YES
    )
    return Reason(floor.name, _capital(floor.text), evidence, ReasonKind.FLOOR)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return text  # an abbreviation ("LADO told") keeps its capitals mid-sentence
    return text[:1].lower() + text[1:]


def _sentence(policy, result, decided, reasons, floors, provisional, missing) -> str:
    words = policy.label(result)
    answered = [reason for reason in reasons if reason.kind is ReasonKind.ANSWER]
    if answered:
        because = " and ".join(reason.evidence for reason in answered)
    else:
        because = "; ".join(
            _lower(reason.text)
            for reason in reasons
            if reason.kind in (ReasonKind.ABSENT, ReasonKind.RULE)
        )
    sentence = f"{words}: {because}" if because else words
    if result != decided:
        sentence += f"; raised from {policy.label(decided).lower()} because " + "; ".join(floors)
    if provisional:
        facts = ", ".join(policy.question(code).text.lower() for code in missing)
        sentence += f". Provisional until established: {facts}"
    return sentence + "."

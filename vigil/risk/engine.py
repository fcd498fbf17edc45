"""The risk engine: ``grade(facts, policy, as_of) -> Assessment``. Pure: no Django.

Facts are three-valued (yes, no, unknown) and each says where it came from. The engine applies
the policy's decision rules (first match wins), then its floors, then its provisional rules, and
explains the result in words a supervisor can read months later.
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


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    evidence: str


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

    minimum = policy.grades[0]
    floors = []
    for floor in policy.floors:
        if matches(floor.when):
            floors.append(floor.text)
            minimum = policy.higher(minimum, floor.grade)

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

    result = policy.higher(result, minimum)
    flags = {name: yes(code) for name, code in policy.flags.items()}
    return Assessment(
        grade=result,
        step=rule.name,
        step_text=rule.text,
        provisional=provisional,
        missing=tuple(missing),
        reasons=tuple(reasons),
        floors=tuple(floors),
        minimum=minimum,
        answers=answers,
        flags=flags,
        policy=policy.key,
        sentence=_sentence(policy, result, rule.grade, reasons, floors, provisional, missing),
        as_of=as_of,
    )


def _sentence(policy, result, decided, reasons, floors, provisional, missing) -> str:
    words = policy.label(result)
    if reasons:
        because = " and ".join(reason.evidence for reason in reasons)
    else:
        because = "no risk factor recorded"
    sentence = f"{words}: {because}"
    if result != decided:
        sentence += f"; raised from {policy.label(decided).lower()} because " + "; ".join(floors)
    if provisional:
        facts = ", ".join(policy.question(code).text.lower() for code in missing)
        sentence += f". Provisional until established: {facts}"
    return sentence + "."

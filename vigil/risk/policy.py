"""Risk policies as data: reading and checking a policy file. Pure: no Django.

A policy names its questions (and how each is derived from a referral's facts), its decision
rules (first match wins), its floors, what makes a grade provisional, and the clocks each duty
carries with their escalation (read by ``vigil.clocks.rules``).
See ``policies/vigil-default-5.toml``.
"""

import hashlib
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

DEFAULT_POLICY = Path(__file__).with_name("policies") / "vigil-default-5.toml"
DERIVATIONS = {
    "history",
    "lives_with_child",
    "access",
    "works_with_children",
    "referral_signals",
    "child_victim",
    "material",
    "escalated",
    "suspect_identified",
    "suspect_is_child",
    "words_known",
}


class PolicyError(ValueError):
    """A policy file that cannot be used, with what is wrong in it."""


@dataclass(frozen=True)
class Question:
    code: str
    step: str
    text: str
    derive: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Rule:
    """Matches when every group has at least one question answered yes.

    ``absent`` holds, for each group of ``when``, the words for none of its questions being
    answered yes: they say why a grade is no higher than it is.
    """

    grade: str
    name: str
    text: str
    when: tuple[tuple[str, ...], ...]
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProvisionalRule:
    name: str
    text: str
    minimum: str
    unknown_any: tuple[str, ...] = ()
    require_yes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    id: str
    version: int
    title: str
    grades: tuple[str, ...]
    grade_labels: dict
    questions: tuple[Question, ...]
    decision: tuple[Rule, ...]
    floors: tuple[Rule, ...]
    provisional: tuple[ProvisionalRule, ...]
    flags: dict
    clocks: dict
    escalation: dict
    standards: tuple
    retention: dict
    sha256: str
    text: str = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.id}/{self.version}"

    def rank(self, grade: str) -> int:
        return self.grades.index(grade)

    def higher(self, a: str, b: str) -> str:
        return a if self.rank(a) >= self.rank(b) else b

    def label(self, grade: str) -> str:
        return self.grade_labels.get(grade, grade.replace("_", " ").capitalize())

    def question(self, code: str) -> Question:
        return self._by_code[code]

    @cached_property
    def _by_code(self) -> dict[str, Question]:
        return {question.code: question for question in self.questions}

    @cached_property
    def risk_questions(self) -> tuple[str, ...]:
        """Questions whose yes can only raise risk (not identity or flags)."""
        used = {
            code for rule in self.decision + self.floors for group in rule.when for code in group
        }
        return tuple(q.code for q in self.questions if q.code in used)


def load_policy(path: str | Path = DEFAULT_POLICY) -> Policy:
    text = Path(path).read_text(encoding="utf-8")
    return parse_policy(text, source=str(path))


def parse_policy(text: str, source: str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{source}: not valid TOML: {error}") from None
    try:
        policy = _build(data, text)
    except KeyError as error:
        raise PolicyError(f"{source}: missing {error.args[0]!r}") from None
    _check(policy, source)
    return policy


def _build(data: dict, text: str) -> Policy:
    standard = {"code", "step", "text", "derive"}
    return Policy(
        id=data["id"],
        version=int(data["version"]),
        title=data.get("title", data["id"]),
        grades=tuple(data["grades"]),
        grade_labels=dict(data.get("grade_labels", {})),
        questions=tuple(
            Question(
                code=q["code"],
                step=q["step"],
                text=q["text"],
                derive=q["derive"],
                params={k: v for k, v in q.items() if k not in standard},
            )
            for q in data["questions"]
        ),
        decision=tuple(_rule(rule, rule["step"]) for rule in data["decision"]),
        floors=tuple(_rule(rule, rule["name"]) for rule in data.get("floors", [])),
        provisional=tuple(
            ProvisionalRule(
                name=rule["name"],
                text=rule["text"],
                minimum=rule["minimum"],
                unknown_any=tuple(rule.get("unknown_any", ())),
                require_yes=tuple(rule.get("require_yes", ())),
            )
            for rule in data.get("provisional", [])
        ),
        flags=dict(data.get("flags", {})),
        clocks=dict(data.get("clocks", {})),
        escalation=dict(data.get("escalation", {})),
        standards=tuple(dict(item) for item in data.get("standards", [])),
        retention=dict(data.get("retention", {})),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
    )


def _rule(rule: dict, name: str) -> Rule:
    return Rule(
        grade=rule["grade"],
        name=name,
        text=rule["text"],
        when=tuple(tuple(group) for group in rule["when"]),
        absent=tuple(rule.get("absent", ())),
    )


def _check(policy: Policy, source: str) -> None:
    problems = []
    codes = [q.code for q in policy.questions]
    if len(set(codes)) != len(codes):
        problems.append("a question code is used twice")
    known = set(codes)
    for question in policy.questions:
        if question.derive not in DERIVATIONS:
            problems.append(f"question {question.code}: unknown derivation {question.derive!r}")
    for rule in policy.decision + policy.floors:
        if rule.grade not in policy.grades:
            problems.append(f"rule {rule.name}: unknown grade {rule.grade!r}")
        if not rule.text.strip():
            # Every grade is explained in words; a rule without them leaves one unexplained.
            problems.append(f"rule {rule.name}: its text is empty")
        if rule.absent and (
            len(rule.absent) != len(rule.when) or not all(words.strip() for words in rule.absent)
        ):
            problems.append(f"rule {rule.name}: `absent` needs one phrase for each group of `when`")
        for group in rule.when:
            problems.extend(
                f"rule {rule.name}: unknown question {code!r}"
                for code in group
                if code not in known
            )
    if not policy.decision or policy.decision[-1].when:
        problems.append("the last decision rule must match everything (when = [])")
    for rule in policy.provisional:
        if rule.minimum not in policy.grades:
            problems.append(f"provisional {rule.name}: unknown grade {rule.minimum!r}")
        if not rule.text.strip():
            problems.append(f"provisional {rule.name}: its text is empty")
        problems.extend(
            f"provisional {rule.name}: unknown question {code!r}"
            for code in rule.unknown_any + rule.require_yes
            if code not in known
        )
    for flag, code in policy.flags.items():
        if code not in known:
            problems.append(f"flag {flag}: unknown question {code!r}")
    if problems:
        raise PolicyError(f"{source}: " + "; ".join(problems))

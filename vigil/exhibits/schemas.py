"""The shapes of exhibits on the API and in the referral page's forms."""

from ninja import Field, Schema

from vigil.clocks.schemas import ClockOut
from vigil.core.schemas import ChangeIn, When, one_of

from .choices import ExaminationPath, ExhibitKind


class ExhibitIn(ChangeIn):
    reference: str = Field(min_length=1, max_length=60, description="The exhibit reference")
    kind: one_of(ExhibitKind) = Field(description="phone, computer, storage, cloud or other")
    seized_at: When | None = Field(None, description="When it was seized (empty: not known)")
    seized_where: str = Field("", max_length=200, description="Where it was seized")
    held_by: str = Field("", max_length=150, description="Who holds it now")


class ExhibitMoveIn(ChangeIn):
    to: one_of(ExaminationPath) = Field(
        description="Where it goes: triage, full_examination, returned or destroyed"
    )
    moved_at: When | None = Field(None, description="When it moved (empty: now)")


class ExhibitOut(Schema):
    id: int
    referral_id: int
    referral: str
    force: str
    grade: str
    reference: str
    kind: str
    seized_at: str | None
    seized_where: str
    held_by: str
    path: str
    moves: list[str]
    waiting_since: str
    left_queue_at: str | None
    days_waiting: float
    clock: ClockOut | None
    triage: dict | None


class TriageAnswer(Schema):
    files: int
    images: int
    exact: int
    near: int
    categories: dict[str, int] = Field(description="Files matched by category: A, B, C, other")
    unknown_images: int


class TriageRunOut(Schema):
    id: int
    source: str
    started_at: str
    finished_at: str
    hash_sets: dict[str, int] = Field(description="The hash set versions matched, {name: version}")


class TriageMatchOut(Schema):
    path: str
    kind: str = Field(description="md5 or sha1 (exact), pdq (near)")
    hash: str
    hash_set: str
    hash_set_version: int
    category: str
    distance: int = Field(description="The PDQ Hamming distance (0 for an exact match)")
    victim_identified: bool | None = Field(
        description="What the set's entry says of its victim (null: it does not say)"
    )
    series: str


class TriageMatchPage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[TriageMatchOut]


class TriageResultsOut(Schema):
    exhibit_id: int
    exhibit: str
    referral_id: int
    referral: str
    kind: str
    path: str
    triage: TriageAnswer | None = Field(description="The last finished triage's answer")
    unknown_images: int | None = Field(description="Images that matched nothing, for an examiner")
    run: TriageRunOut | None
    victim_identification: int = Field(description="How many matches are listed below")
    victim_identification_list: list[TriageMatchOut] = Field(
        description="Matches of set entries with a victim-identified or series field, victims "
        "not yet identified first"
    )
    matches: TriageMatchPage = Field(description="One page of the match list, by path")

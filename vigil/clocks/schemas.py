from datetime import datetime

from ninja import Schema


class ClockOut(Schema):
    kind: str
    text: str
    cycle: int
    rule: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    state: str
    overdue_by_seconds: int
    escalation_level: int
    cancel_reason: str


class WorkItem(Schema):
    referral_id: int
    source_reference: str
    force: str
    grade: str
    flags: list[str]
    clock: str
    clock_text: str
    owner: str | None
    started_at: datetime
    due_at: datetime
    state: str
    overdue_by_seconds: int
    escalation_level: int


class Counts(Schema):
    total: int
    overdue: int
    due_soon: int
    due: int


class Worklist(Schema):
    as_of: datetime
    scope: str
    counts: Counts
    items: list[WorkItem]


class Breaches(Schema):
    as_of: datetime
    count: int
    by_level: dict[str, int]
    items: list[WorkItem]


class NotificationOut(Schema):
    id: int
    referral_id: int
    level: int
    subject: str
    created_at: datetime
    read_at: datetime | None

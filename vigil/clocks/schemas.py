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
    # Who holds the duty: the referral's owner, or the owner a strategy action was given to.
    owner: str | None = None


class WorkItem(Schema):
    referral_id: int
    source_reference: str
    # Referrals joined into one investigation are listed once, at the most urgent duty among
    # them: the investigation's id, and how many more of its duties are open on this page.
    investigation_id: int | None = None
    also_open: int = 0
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
    # Children in view of the referral (the rule the referral page uses), as of the list's time.
    children: int = 0


class Counts(Schema):
    total: int
    overdue: int
    due_soon: int
    due: int


class Worklist(Schema):
    as_of: datetime
    scope: str
    sort: str = "urgency"
    counts: Counts
    items: list[WorkItem]


class Unreached(Schema):
    level: int
    sent_to_level: int | None
    text: str


class BreachItem(WorkItem):
    unreached: list[Unreached]
    reached_nobody: bool


class Breaches(Schema):
    as_of: datetime
    count: int
    by_level: dict[str, int]
    reached_nobody: list[BreachItem]
    items: list[BreachItem]


class NotificationOut(Schema):
    id: int
    referral_id: int
    level: int
    subject: str
    created_at: datetime
    read_at: datetime | None


class MailFailure(Schema):
    id: int
    recipient: str
    recipient_email: str
    force: str
    reference: str
    duty: str
    level: int
    subject: str
    state: str
    state_text: str
    attempts: int
    last_error: str
    last_tried_at: datetime | None
    next_try_at: datetime | None
    created_at: datetime

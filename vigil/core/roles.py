"""Roles and the actions they may take.

Permissions are named after what a person does (``referral.import``), never after HTTP verbs,
and every check in pages, API and CLI goes through ``vigil.core.permissions``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INTAKE_OFFICER = "intake_officer", _("Intake officer")
    ASSESSOR = "assessor", _("Assessor")
    INVESTIGATOR = "investigator", _("Investigator")
    SAFEGUARDING_OFFICER = "safeguarding_officer", _("Safeguarding officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    UNIT_HEAD = "unit_head", _("Unit head")
    CHILD_PROTECTION_LEAD = "child_protection_lead", _("Force lead for child protection")
    ANALYST = "analyst", _("Analyst")
    REGIONAL_OVERSIGHT = "regional_oversight", _("Regional oversight")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class Action(models.TextChoices):
    REFERRAL_VIEW = "referral.view", "See referrals and the people in them"
    REFERRAL_IMPORT = "referral.import", "Import referrals"
    FACTS_RECORD = "facts.record", "Record or correct facts on a referral"
    GRADE_OVERRIDE_PROPOSE = "grade.override.propose", "Propose a different grade"
    GRADE_OVERRIDE_APPROVE = "grade.override.approve", "Approve or refuse a lower grade"
    ASSURANCE_VIEW = "assurance.view", "See grading assurance by assessor and team"
    QUALITY_CHECK = "quality.check", "Check sampled assessments"
    WORKLIST_VIEW = "worklist.view", "See worklists of clocks"
    BREACHES_VIEW = "breaches.view", "See every breach in the force"
    REFERRAL_ALLOCATE = "referral.allocate", "Allocate referrals to investigators"
    ACTION_RECORD = "action.record", "Record investigative actions"
    SAFEGUARDING_RECORD = "safeguarding.record", "Record safeguarding steps"
    REFERRAL_REVIEW = "referral.review", "Record a supervisor's review"
    RELEASE_APPROVE = "release.approve", "Release a suspect to an address with a child"
    REFERRAL_TRANSFER = "referral.transfer", "Transfer a referral to another force"
    TRANSFER_ANSWER = "transfer.answer", "Accept or reject a referral another force transfers"
    OUTCOME_CLOSE = "outcome.close", "Close a referral with an outcome"
    OUTCOME_APPROVE = "outcome.approve", "Close not in the public interest, or past safeguarding"
    REFERRAL_RESTRICT = "referral.restrict", "Restrict a referral to named people"
    RETENTION_DELETE = "retention.delete", "Approve deleting personal data at review"
    INSIGHT_FORCE = "insight.force", "See the force's dashboard and export its tables"
    INSIGHT_REGION = "insight.region", "See the region's forces side by side (aggregates only)"
    INSIGHT_ROWS = "insight.rows", "Export pseudonymised referral rows for analysis"
    FORCE_MANAGE = "force.manage", "Add and rename forces"
    USER_MANAGE = "user.manage", "Add users and change their roles"
    AUDIT_VIEW = "audit.view", "Search the audit trail"
    MAIL_VIEW = "mail.view", "See e-mails that could not be sent, and try one again"
    UNKNOWN_VALUES_MAP = "unknown_values.map", "Say what a word Vigil did not know means"
    EXHIBIT_RECORD = "exhibit.record", "Record devices seized or produced"
    TRIAGE_RUN = "triage.run", "Triage a device against the known-image hash sets"
    HASHSET_MANAGE = "hashset.manage", "Import and replace known-image hash sets"


# Each role's actions, written out in full so the table can be read (and is tested) as it is.
# Roles that work cases see their own force's referrals; the analyst, regional oversight,
# auditor and administrator roles see no referral pages at all.
_VIEW = {Action.REFERRAL_VIEW, Action.WORKLIST_VIEW}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.INTAKE_OFFICER: frozenset(_VIEW | {Action.REFERRAL_IMPORT, Action.FACTS_RECORD}),
    Role.ASSESSOR: frozenset(_VIEW | {Action.FACTS_RECORD, Action.GRADE_OVERRIDE_PROPOSE}),
    Role.INVESTIGATOR: frozenset(
        _VIEW
        | {
            Action.FACTS_RECORD,
            Action.GRADE_OVERRIDE_PROPOSE,
            Action.ACTION_RECORD,
            Action.SAFEGUARDING_RECORD,
            Action.OUTCOME_CLOSE,
            Action.EXHIBIT_RECORD,
            Action.TRIAGE_RUN,
        }
    ),
    Role.SAFEGUARDING_OFFICER: frozenset(
        _VIEW | {Action.FACTS_RECORD, Action.GRADE_OVERRIDE_PROPOSE, Action.SAFEGUARDING_RECORD}
    ),
    Role.SUPERVISOR: frozenset(
        _VIEW
        | {
            Action.REFERRAL_IMPORT,
            Action.FACTS_RECORD,
            Action.GRADE_OVERRIDE_PROPOSE,
            Action.GRADE_OVERRIDE_APPROVE,
            Action.ASSURANCE_VIEW,
            Action.QUALITY_CHECK,
            Action.BREACHES_VIEW,
            Action.REFERRAL_ALLOCATE,
            Action.ACTION_RECORD,
            Action.SAFEGUARDING_RECORD,
            Action.REFERRAL_REVIEW,
            Action.RELEASE_APPROVE,
            Action.REFERRAL_TRANSFER,
            Action.TRANSFER_ANSWER,
            Action.OUTCOME_CLOSE,
            Action.OUTCOME_APPROVE,
            Action.REFERRAL_RESTRICT,
            Action.INSIGHT_FORCE,
            Action.EXHIBIT_RECORD,
            Action.TRIAGE_RUN,
        }
    ),
}
ROLE_ACTIONS[Role.UNIT_HEAD] = ROLE_ACTIONS[Role.SUPERVISOR] | {
    Action.RETENTION_DELETE,
    Action.INSIGHT_ROWS,
}
ROLE_ACTIONS[Role.CHILD_PROTECTION_LEAD] = frozenset(
    _VIEW | {Action.BREACHES_VIEW, Action.ASSURANCE_VIEW, Action.INSIGHT_FORCE}
)
ROLE_ACTIONS[Role.ANALYST] = frozenset({Action.INSIGHT_FORCE, Action.INSIGHT_ROWS})
ROLE_ACTIONS[Role.REGIONAL_OVERSIGHT] = frozenset({Action.INSIGHT_REGION})
ROLE_ACTIONS[Role.AUDITOR] = frozenset({Action.AUDIT_VIEW})
ROLE_ACTIONS[Role.ADMINISTRATOR] = frozenset(
    {
        Action.FORCE_MANAGE,
        Action.USER_MANAGE,
        Action.MAIL_VIEW,
        Action.UNKNOWN_VALUES_MAP,
        Action.HASHSET_MANAGE,
    }
)

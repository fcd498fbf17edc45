from django.db import models


class AuditAction(models.TextChoices):
    """What happened. A fixed list, so the trail can be searched by it."""

    REFERRAL_IMPORTED = "referral.imported", "Referral imported"
    REFERRAL_VIEWED = "referral.viewed", "Referral viewed"
    REFERRALS_LISTED = "referrals.listed", "Referral list viewed"
    FORCE_ADDED = "force.added", "Force added"
    FORCE_CHANGED = "force.changed", "Force changed"
    USER_ADDED = "user.added", "User added"
    USER_CHANGED = "user.changed", "User changed"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login.failed", "Sign-in failed"
    LOGOUT = "logout", "Signed out"
    PERMISSION_REFUSED = "permission.refused", "Permission refused"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    REFERRAL_ASSESSED = "referral.assessed", "Referral graded"
    FACT_RECORDED = "fact.recorded", "Fact recorded"
    OVERRIDE_PROPOSED = "override.proposed", "Grade override proposed"
    OVERRIDE_DECIDED = "override.decided", "Grade override decided"
    QUALITY_SAMPLED = "quality.sampled", "Assessments sampled for checking"
    QUALITY_CHECKED = "quality.checked", "Assessment checked"

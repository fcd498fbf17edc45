"""The vocabularies of a referral, in the words users and the sources use."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    NCA = "nca", "NCA"
    NCMEC = "ncmec", _("NCMEC CyberTipline")
    PUBLIC = "public", _("Member of the public")
    PARTNER = "partner", _("Partner agency")
    PROACTIVE = "proactive", _("Proactive (found by police)")
    OTHER = "other", _("Other")


class ReferralStatus(models.TextChoices):
    """Where a referral is in its investigation, in order."""

    RECEIVED = "received", _("Received")
    RESEARCHING = "researching", _("Researching")
    GRADED = "graded", _("Graded")
    ALLOCATED = "allocated", _("Allocated")
    ENFORCEMENT = "enforcement", _("Enforcement")
    POST_ENFORCEMENT = "post_enforcement", _("After enforcement")
    OUTCOME_PENDING = "outcome_pending", _("Outcome pending")
    CLOSED = "closed", _("Closed")


class TransferStatus(models.TextChoices):
    """A transfer waits for the receiving force's answer; until then the sender holds it."""

    PENDING = "pending", _("Waiting for the receiving force")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = [status for status in ReferralStatus.values if status != ReferralStatus.CLOSED]

# The moves a person may make by hand; the rest follow from what is recorded (grading,
# allocation, a positive action, a release, an outcome).
TRANSITIONS = {
    ReferralStatus.RECEIVED: {ReferralStatus.RESEARCHING, ReferralStatus.GRADED},
    ReferralStatus.RESEARCHING: {ReferralStatus.GRADED, ReferralStatus.OUTCOME_PENDING},
    ReferralStatus.GRADED: {ReferralStatus.RESEARCHING, ReferralStatus.OUTCOME_PENDING},
    ReferralStatus.ALLOCATED: {ReferralStatus.RESEARCHING, ReferralStatus.OUTCOME_PENDING},
    ReferralStatus.ENFORCEMENT: {ReferralStatus.POST_ENFORCEMENT, ReferralStatus.OUTCOME_PENDING},
    ReferralStatus.POST_ENFORCEMENT: {ReferralStatus.OUTCOME_PENDING},
    ReferralStatus.OUTCOME_PENDING: {ReferralStatus.POST_ENFORCEMENT},
    ReferralStatus.CLOSED: set(),
}


class Flag(models.TextChoices):
    """Shown wherever the referral appears."""

    SUSPECT_IS_CHILD = "suspect_is_child", _("Suspect is a child")
    POSITION_OF_TRUST = "position_of_trust", _("Suspect in a position of trust")
    FIREARMS = "firearms", _("Firearms")
    SELF_HARM_RISK = "self_harm_risk", _("Suspect at risk of self-harm")
    RESTRICTED = "restricted", _("Restricted")


class IncidentType(models.TextChoices):
    CSAM_UPLOAD = "csam_upload", _("Indecent images uploaded")
    CSAM_POSSESSION = "csam_possession", _("Indecent images possessed")
    CSAM_DISTRIBUTION = "csam_distribution", _("Indecent images distributed")
    CSAM_PRODUCTION = "csam_production", _("Indecent images produced")
    CSAM = "csam", _("Indecent images (possession, manufacture and distribution)")
    ONLINE_ENTICEMENT = "online_enticement", _("Online enticement of a child")
    SEXUAL_COMMUNICATION = "sexual_communication", _("Sexual communication with a child")
    SEXTORTION = "sextortion", _("Sextortion")
    CHILD_SEX_TRAFFICKING = "child_sex_trafficking", _("Child sex trafficking")
    CHILD_SEX_TOURISM = "child_sex_tourism", _("Child sex tourism")
    CHILD_SEXUAL_MOLESTATION = "child_sexual_molestation", _("Child sexual molestation")
    OBSCENE_MATERIAL_TO_CHILD = "obscene_material_to_child", _("Obscene material sent to a child")
    MISLEADING_DOMAIN = "misleading_domain", _("Misleading domain name")
    MISLEADING_CONTENT = "misleading_content", _("Misleading words or images")
    OTHER = "other", _("Other")


class Indicator(models.TextChoices):
    """Behaviour the source reports, which risk grading reads."""

    POSSESSION = "possession", _("Possession")
    DISTRIBUTION = "distribution", _("Distribution")
    UPLOAD = "upload", _("Upload")
    PRODUCTION = "production", _("Producing or taking images")
    SELF_PRODUCTION = "self_production", _("Possible self-production")
    GROOMING = "grooming", _("Grooming")
    ENTICEMENT = "enticement", _("Enticement")
    INCITEMENT = "incitement", _("Incitement")
    SEXUAL_COMMUNICATION_WITH_CHILD = (
        "sexual_communication_with_child",
        _("Sexual communication with a child"),
    )
    SEXTORTION = "sextortion", _("Sextortion")
    CONTACT_ABUSE = "contact_abuse", _("Contact abuse")
    LIVE_STREAMING = "live_streaming", _("Live streaming")


class MaterialKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Text or chat")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class ImageCategory(models.TextChoices):
    """The England and Wales sentencing categories."""

    A = "A", _("Category A")
    B = "B", _("Category B")
    C = "C", _("Category C")


class IndustryClassification(models.TextChoices):
    """NCMEC's classification of reported files; not the UK A/B/C scale."""

    A1 = "A1", _("A1: prepubescent, sex act")
    A2 = "A2", _("A2: prepubescent, lascivious exhibition")
    B1 = "B1", _("B1: pubescent, sex act")
    B2 = "B2", _("B2: pubescent, lascivious exhibition")


# Flags that follow from the grade's facts; the rest are set by people.
DERIVED_FLAGS = {Flag.SUSPECT_IS_CHILD, Flag.POSITION_OF_TRUST}

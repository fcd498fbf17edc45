"""The vocabularies of a referral, in the words users and the sources use."""

from django.db import models


class Source(models.TextChoices):
    NCA = "nca", "NCA"
    NCMEC = "ncmec", "NCMEC CyberTipline"
    PUBLIC = "public", "Member of the public"
    PARTNER = "partner", "Partner agency"
    PROACTIVE = "proactive", "Proactive (found by police)"
    OTHER = "other", "Other"


class ReferralStatus(models.TextChoices):
    """Where a referral is in its investigation, in order."""

    RECEIVED = "received", "Received"
    RESEARCHING = "researching", "Researching"
    GRADED = "graded", "Graded"
    ALLOCATED = "allocated", "Allocated"
    ENFORCEMENT = "enforcement", "Enforcement"
    POST_ENFORCEMENT = "post_enforcement", "After enforcement"
    OUTCOME_PENDING = "outcome_pending", "Outcome pending"
    CLOSED = "closed", "Closed"


class TransferStatus(models.TextChoices):
    """A transfer waits for the receiving force's answer; until then the sender holds it."""

    PENDING = "pending", "Waiting for the receiving force"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


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

    SUSPECT_IS_CHILD = "suspect_is_child", "Suspect is a child"
    POSITION_OF_TRUST = "position_of_trust", "Suspect in a position of trust"
    FIREARMS = "firearms", "Firearms"
    SELF_HARM_RISK = "self_harm_risk", "Suspect at risk of self-harm"
    RESTRICTED = "restricted", "Restricted"


class IncidentType(models.TextChoices):
    CSAM_UPLOAD = "csam_upload", "Indecent images uploaded"
    CSAM_POSSESSION = "csam_possession", "Indecent images possessed"
    CSAM_DISTRIBUTION = "csam_distribution", "Indecent images distributed"
    CSAM_PRODUCTION = "csam_production", "Indecent images produced"
    CSAM = "csam", "Indecent images (possession, manufacture and distribution)"
    ONLINE_ENTICEMENT = "online_enticement", "Online enticement of a child"
    SEXUAL_COMMUNICATION = "sexual_communication", "Sexual communication with a child"
    SEXTORTION = "sextortion", "Sextortion"
    CHILD_SEX_TRAFFICKING = "child_sex_trafficking", "Child sex trafficking"
    CHILD_SEX_TOURISM = "child_sex_tourism", "Child sex tourism"
    CHILD_SEXUAL_MOLESTATION = "child_sexual_molestation", "Child sexual molestation"
    OBSCENE_MATERIAL_TO_CHILD = "obscene_material_to_child", "Obscene material sent to a child"
    MISLEADING_DOMAIN = "misleading_domain", "Misleading domain name"
    MISLEADING_CONTENT = "misleading_content", "Misleading words or images"
    OTHER = "other", "Other"


class Indicator(models.TextChoices):
    """Behaviour the source reports, which risk grading reads."""

    POSSESSION = "possession", "Possession"
    DISTRIBUTION = "distribution", "Distribution"
    UPLOAD = "upload", "Upload"
    PRODUCTION = "production", "Producing or taking images"
    SELF_PRODUCTION = "self_production", "Possible self-production"
    GROOMING = "grooming", "Grooming"
    ENTICEMENT = "enticement", "Enticement"
    INCITEMENT = "incitement", "Incitement"
    SEXUAL_COMMUNICATION_WITH_CHILD = (
        "sexual_communication_with_child",
        "Sexual communication with a child",
    )
    SEXTORTION = "sextortion", "Sextortion"
    CONTACT_ABUSE = "contact_abuse", "Contact abuse"
    LIVE_STREAMING = "live_streaming", "Live streaming"


class MaterialKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    TEXT = "text", "Text or chat"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class ImageCategory(models.TextChoices):
    """The England and Wales sentencing categories."""

    A = "A", "Category A"
    B = "B", "Category B"
    C = "C", "Category C"


class IndustryClassification(models.TextChoices):
    """NCMEC's classification of reported files; not the UK A/B/C scale."""

    A1 = "A1", "A1: prepubescent, sex act"
    A2 = "A2", "A2: prepubescent, lascivious exhibition"
    B1 = "B1", "B1: pubescent, sex act"
    B2 = "B2", "B2: pubescent, lascivious exhibition"


# Flags that follow from the grade's facts; the rest are set by people.
DERIVED_FLAGS = {Flag.SUSPECT_IS_CHILD, Flag.POSITION_OF_TRUST}

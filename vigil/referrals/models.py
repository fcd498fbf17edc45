"""A referral as received: its source, its incident, its material and its original documents;
who may see it; and the one restricting query every read of referral data goes through.

The tables keep the names they had when they lived in the ``intake`` app (``intake_referral``
…): moving a model between apps should not rewrite a force's database.
"""

from django.conf import settings
from django.db import connections, models
from django.db.models import Exists, OuterRef, Q

from vigil.core.actors import is_system
from vigil.core.permissions import has_permission
from vigil.core.roles import Action

from .choices import (
    ImageCategory,
    IncidentType,
    IndustryClassification,
    MaterialKind,
    ReferralStatus,
    Source,
    TransferStatus,
)


def visible_q(actor, outer: str = "pk") -> Q:
    """The referrals an actor may see, as a condition on a referral's id.

    A force sees its own referrals, those it transferred to another force (read-only: see
    ``changes.changing``) and those another force offers it in a transfer it has not answered;
    a restricted referral is seen only by the people named on it. Written with EXISTS rather
    than joins, so it can stand beside a row lock and never duplicates a row.
    """
    if actor is None or getattr(actor, "force_id", None) is None:
        return Q(pk__in=[])
    transferred = Exists(
        Transfer.objects.filter(referral_id=OuterRef(outer)).filter(transfer_seen_by(actor))
    )
    named = Exists(NamedAccess.objects.filter(referral_id=OuterRef(outer), user_id=actor.pk))
    return (Q(force_id=actor.force_id) | transferred) & (Q(is_restricted=False) | named)


def transfer_seen_by(actor) -> Q:
    """The transfers that let a force see a referral it does not hold: those it sent, and
    those offered to it and not yet answered."""
    return Q(from_force_id=actor.force_id) | Q(
        to_force_id=actor.force_id, status=TransferStatus.PENDING
    )


class RestrictedQuerySet(models.QuerySet):
    """Rows that belong to a referral, as far as an actor may see them.

    ``Model.objects.restrict(actor, action)`` is the only way pages, the API, the CLI, exports
    and worklists read referral data (in the spirit of NetBox's ``RestrictedQuerySet``). Each
    model says how it reaches its referral in ``referral_path``.
    """

    def restrict(self, actor, action: str = Action.REFERRAL_VIEW):
        if not has_permission(actor, action):
            return self.none()
        if is_system(actor):
            return self
        path = self.model.referral_path
        if not path:
            return self.filter(visible_q(actor))
        visible = Referral.objects.filter(visible_q(actor))
        if connections[self.db].vendor == "sqlite":
            # SQLite builds the whole list of an ``IN (SELECT …)`` before it keeps a row: every
            # visible referral, read for each search (0.7 s at a million). Asked row by row,
            # it looks up each row's referral by its key instead. PostgreSQL plans the ``IN``
            # as a semi-join, and its plans (the per-force name index) were measured with it.
            return self.filter(Exists(visible.filter(pk=OuterRef(path))))
        return self.filter(**{f"{path}__in": visible.values("pk")})


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)


class ReferralOwned(models.Model):
    """A record that belongs to a referral: read, like the referral, only through ``restrict``.

    ``referral_path`` is the way from the record to its referral; a record that reaches it
    through another (a person's identifier, through the person) names the longer way.
    """

    referral_path = "referral"
    objects = RestrictedManager()

    class Meta:
        abstract = True


class Recorded(ReferralOwned):
    """Who recorded a thing about a referral and when they recorded it (which may be after it
    happened)."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()

    class Meta:
        abstract = True


class Referral(models.Model):
    """One referral: an intelligence package about suspected online child sexual abuse."""

    force = models.ForeignKey("accounts.Force", on_delete=models.PROTECT, related_name="referrals")
    # The force that received it: a force's demand stays its own after a transfer.
    received_by_force = models.ForeignKey(
        "accounts.Force", on_delete=models.PROTECT, null=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    source_reference = models.CharField(max_length=120)
    received_at = models.DateTimeField()
    summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=24, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )

    incident_type = models.CharField(max_length=40, choices=IncidentType.choices, blank=True)
    # The source's own words for the incident type, kept when it does not map exactly.
    incident_type_text = models.CharField(max_length=200, blank=True)
    incident_occurred_at = models.DateTimeField(null=True, blank=True)
    platform = models.CharField(max_length=200, blank=True)
    # Three-valued: None means the source did not say.
    escalated = models.BooleanField(null=True)
    escalation_reason = models.CharField(max_length=300, blank=True)
    annotations = models.JSONField(default=list, blank=True)
    indicators = models.JSONField(default=list, blank=True)
    # Incident details that are not people or files (URLs, chat rooms, games, phones).
    incident_details = models.JSONField(default=list, blank=True)
    # What the source said about itself (reporter, law enforcement contacts, free text).
    source_details = models.JSONField(default=dict, blank=True)
    # Fields of the original documents Vigil did not map, in their own notation.
    unmapped = models.JSONField(default=list, blank=True)
    # Values Vigil did not know and mapped to "other", each {"path", "field", "value", "mapped_to"}
    # (an unknown incident type, identifier type, material category, role): kept, never refused.
    intake_warnings = models.JSONField(default=list, blank=True)
    # Where facts recorded after receipt came from, e.g. {"indicator:grooming": {"source": …,
    # "at": …}}; facts without an entry came with the referral.
    fact_sources = models.JSONField(default=dict, blank=True)

    # The current risk grade, kept here for lists and worklists; the assessments hold the
    # reasons and the history.
    grade = models.CharField(max_length=16, blank=True)
    grade_provisional = models.BooleanField(default=False)
    # Who has the referral now, kept here for worklists; the allocations hold the history.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_referrals",
    )
    team = models.CharField(max_length=100, blank=True)
    # Referrals about the same suspect joined into one investigation (see ``Investigation``).
    investigation = models.ForeignKey(
        "Investigation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    # Flags set by people (firearms, restricted…); the suspect-is-a-child and position-of-trust
    # flags follow from the grade's facts and are added when shown.
    flags = models.JSONField(default=list, blank=True)
    # When a closed referral's record is reviewed, and when its personal data was deleted.
    review_at = models.DateTimeField(null=True, blank=True, db_index=True)
    personal_data_deleted_at = models.DateTimeField(null=True, blank=True)
    # Restricted referrals (a suspect who is a police officer…) are visible only to named people.
    is_restricted = models.BooleanField(default=False)
    # Raised by every change, so two people changing the referral at once cannot silently
    # overwrite each other: the second is told what changed and decides again.
    version = models.PositiveIntegerField(default=1)

    # SHA-256 over the original documents (canonical JSON for native referrals), so a second
    # import of the same referral is recognised and a different one under the same reference
    # is not.
    content_digest = models.CharField(max_length=64)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_by_name = models.CharField(max_length=150)

    referral_path = ""
    objects = RestrictedManager()

    class Meta:
        db_table = "intake_referral"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_reference"], name="referral_unique_source_reference"
            ),
        ]
        indexes = [
            models.Index(fields=["force", "-received_at"], name="referral_force_received"),
            # Covering indexes: the dashboards' counts read the index alone.
            models.Index(
                fields=["force", "status"],
                include=["grade", "received_at"],
                name="referral_force_status",
            ),
            models.Index(fields=["force", "grade"], name="referral_force_grade"),
            # Search finds a referral by its reference whatever its source.
            models.Index(fields=["source_reference"], name="referral_source_reference"),
            models.Index(
                fields=["received_by_force", "received_at"],
                include=["source", "grade", "grade_provisional"],
                name="referral_demand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.source_reference}"

    @property
    def suspects(self):
        return self.people.filter(role="suspect")

    @property
    def is_closed(self) -> bool:
        return self.status == ReferralStatus.CLOSED


class Investigation(models.Model):
    """Referrals about the same suspect, joined by a person into one investigation.

    One owner and one set of duties (allocation, the first action against the suspect,
    supervisors' reviews, social care, strategy discussion, the LADO), carried by the lead: the
    referral received first, so every clock counts from the earliest receipt and a second
    referral never restarts the time a child has waited. Joined and left only through
    ``changes.changing_together``, audited on every referral, and reversible.
    """

    force = models.ForeignKey("accounts.Force", on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    created_by_name = models.CharField(max_length=150)
    reason = models.TextField()

    def __str__(self) -> str:
        return f"Investigation led by {self.lead.source_reference}"


class Document(ReferralOwned):
    """An original document, kept byte for byte as it arrived."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=300)
    media_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    # The first documents came with the referral; a supplementary report (an updated package,
    # a further report from the company) is added later, never replacing what came before.
    supplementary = models.BooleanField(default=False)
    received_at = models.DateTimeField(null=True, blank=True)
    # The canonical digest of what the document says, so the same report sent again is known.
    content_digest = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        db_table = "intake_document"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Material(ReferralOwned):
    """What was reported, described by metadata and hashes only: Vigil never holds imagery."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="material")
    kind = models.CharField(max_length=16, choices=MaterialKind.choices, default="unknown")
    count = models.PositiveIntegerField(default=1)
    category = models.CharField(max_length=1, choices=ImageCategory.choices, blank=True)
    industry_classification = models.CharField(
        max_length=2, choices=IndustryClassification.choices, blank=True
    )
    md5 = models.CharField(max_length=32, blank=True, db_index=True)
    sha1 = models.CharField(max_length=64, blank=True, db_index=True)
    pdq = models.CharField(max_length=64, blank=True)
    photodna = models.TextField(blank=True)
    annotations = models.JSONField(default=list, blank=True)
    file_name = models.CharField(max_length=300, blank=True)
    file_id = models.CharField(max_length=120, blank=True)
    # The rest of what the source said about the file (EXIF pairs, relevance, where it was).
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "intake_material"
        ordering = ["id"]
        verbose_name_plural = "material"

    def __str__(self) -> str:
        return f"{self.count} × {self.kind}"


class Possession(ReferralOwned):
    """Material found in the suspect's possession after the referral arrived (a triage of a
    seized device), counted by category: a fact of the referral with its source.

    ``found_by`` names what found it (``exhibit:12``): a later finding from the same place
    replaces the earlier one, so triaging a device again never counts its files twice. Written
    only through the guarded path, by the part that found it.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="possession")
    found_by = models.CharField(max_length=60)
    # "A", "B", "C" or "other" (a class that is not indecent, or a category not mapped).
    category = models.CharField(max_length=8)
    count = models.PositiveIntegerField()
    # Where it was found, as the grade's explanation names it ("exhibit JS/1, triage run 4").
    source = models.CharField(max_length=300)
    learned_at = models.DateTimeField()

    class Meta:
        ordering = ["referral_id", "found_by", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "found_by", "category"], name="possession_unique_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} × category {self.category} ({self.source})"


class NamedAccess(ReferralOwned):
    """A person allowed to see a restricted referral."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="named_people")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_by_name = models.CharField(max_length=150)
    granted_at = models.DateTimeField()

    class Meta:
        db_table = "intake_namedaccess"
        constraints = [
            models.UniqueConstraint(fields=["referral", "user"], name="named_access_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.referral}"


class Transfer(Recorded):
    """A referral offered to another force (the suspect lives there), and that force's answer.

    Until the receiving force answers, the sending force holds the referral and its duties; the
    receiving force sees it and may only accept or reject it. Once accepted, the receiving force
    holds it and the sender's copy is read-only; both see it.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transfers")
    from_force = models.ForeignKey("accounts.Force", on_delete=models.PROTECT, related_name="+")
    to_force = models.ForeignKey("accounts.Force", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    # When it was offered.
    transferred_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by_name = models.CharField(max_length=150, blank=True)
    # Why the receiving force rejected it (or anything it said on accepting).
    answer_reason = models.TextField(blank=True)

    class Meta:
        db_table = "investigations_transfer"
        ordering = ["transferred_at", "id"]
        indexes = [
            models.Index(fields=["from_force"], name="transfer_from_force"),
            models.Index(fields=["to_force", "status"], name="transfer_to_force_status"),
        ]
        constraints = [
            # One offer at a time: a referral waits for one force's answer, never two.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status="pending"),
                name="transfer_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_force.code} → {self.to_force.code}"

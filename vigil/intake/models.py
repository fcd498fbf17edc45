"""What intake keeps beyond the referral itself: requests to providers for what they hold, the
words Vigil met and did not know, and uploads waiting to be imported in the background."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigil.referrals.models import Recorded


class RequestRoute(models.TextChoices):
    """Whom a request goes to, and through whom."""

    INTERNET_COMPANY_NCA = "internet_company_nca", _("Internet company, through the NCA")
    INTERNET_COMPANY_DIRECT = "internet_company_direct", _("Internet company, directly")
    COMMUNICATIONS_SPOC = (
        "communications_spoc",
        _("Phone or internet provider, through the force's single point of contact"),
    )
    OVERSEAS_MLA = "overseas_mla", _("Overseas, by mutual legal assistance")
    PARTNER = "partner", _("Partner agency")


class LegalBasis(models.TextChoices):
    PRODUCTION_ORDER = "production_order", _("Production order")
    IPA_AUTHORISATION = "ipa_authorisation", _("Investigatory Powers Act authorisation")
    VOLUNTARY_DISCLOSURE = "voluntary_disclosure", _("Voluntary disclosure")
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance", _("Mutual legal assistance request")
    OTHER = "other", _("Other")


class DataRequest(Recorded):
    """A request to a provider for what it holds (subscriber details, IP logs, account content).

    Each carries a clock from the risk policy (kind ``data_request``) from when it was sent until
    the answer comes back or is refused; what comes back is recorded as research.
    """

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="data_requests"
    )
    provider = models.CharField(max_length=200)
    route = models.CharField(max_length=32, choices=RequestRoute.choices)
    basis = models.CharField(max_length=32, choices=LegalBasis.choices)
    asked = models.TextField()
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    # What came back, in words; the facts it held are recorded as research (``research``).
    result = models.TextField(blank=True)
    research = models.ForeignKey(
        "people.Research", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Request to {self.provider}"

    @property
    def answered_at(self):
        return self.returned_at or self.refused_at


class UnknownValue(models.Model):
    """A value a document used that Vigil did not know, read as ``other`` meanwhile.

    One row per (field, value) however many referrals used it, for an administrator to map.
    Not referral data: the words of a vocabulary, never a person's details.
    """

    field = models.CharField(max_length=60)
    value = models.CharField(max_length=200)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    times_seen = models.PositiveIntegerField(default=1)
    # What an administrator has said it means (a value of the field's vocabulary), or blank.
    mapped_to = models.CharField(max_length=60, blank=True)
    mapped_by_name = models.CharField(max_length=150, blank=True)
    mapped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["field", "value"]
        constraints = [
            models.UniqueConstraint(fields=["field", "value"], name="unknown_value_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.value}"


class ImportBatch(models.Model):
    """Files uploaded to be imported in the background, and, once a worker has imported them,
    what became of each (the import's report), for the person who uploaded them."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    requested_at = models.DateTimeField()
    as_of = models.DateTimeField()
    source_reference = models.CharField(max_length=120, blank=True)
    file_count = models.PositiveIntegerField(default=0)
    # Progress, for the page that follows it: when a worker took it up, and how many referrals
    # it has read so far (stored as each batch of them commits).
    started_at = models.DateTimeField(null=True, blank=True)
    referrals_read = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"import of {self.file_count} files by {self.requested_by_id}"


class ImportBatchFile(models.Model):
    """One uploaded file of a batch, kept until the batch has been imported."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    content = models.BinaryField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

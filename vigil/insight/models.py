"""Reports prepared in the background at someone's request."""

from django.conf import settings
from django.db import models


class PreparedReport(models.Model):
    """A report (the PDF inspection pack) prepared by a background task at someone's request,
    kept for them alone to download: only aggregates, as the dashboard they asked from."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)  # "inspection.pdf"
    # What the dashboard was asked for: a force's code (blank: the requester's own scope).
    force_code = models.CharField(max_length=10, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    as_of = models.DateTimeField()
    requested_at = models.DateTimeField()
    # When a worker took it up: until then it waits; the page says which.
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    content = models.BinaryField(blank=True, default=b"")
    # The language the requester had Vigil in when they asked: the report comes out in it.
    language = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-requested_at"], name="report_requester")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.requested_by_id} ({self.period_start} to {self.period_end})"

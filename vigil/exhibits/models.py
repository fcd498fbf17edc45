"""Seized devices (exhibits), the known-image hash sets they are triaged against, and triage runs.

Vigil never stores imagery: a triage keeps each file's path, size and hashes, the matches and the
counts, and nothing else.
"""

from django.conf import settings
from django.db import models

from vigil.referrals.models import Recorded, ReferralOwned

from .choices import ExaminationPath, ExhibitKind, HashSetFormat


class Exhibit(Recorded):
    """A device seized or produced in a referral (phone, computer, storage, cloud account)."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="exhibits"
    )
    reference = models.CharField(max_length=60)
    kind = models.CharField(max_length=16, choices=ExhibitKind.choices)
    seized_at = models.DateTimeField(null=True, blank=True)
    seized_where = models.CharField(max_length=200, blank=True)
    held_by = models.CharField(max_length=150, blank=True)
    path = models.CharField(
        max_length=20, choices=ExaminationPath.choices, default=ExaminationPath.WAITING
    )
    # When it left the device queue (its examination started, or it was returned or destroyed
    # unexamined) and the path it took then: what meets or ends its ``device_triage`` clock.
    left_queue_at = models.DateTimeField(null=True, blank=True)
    left_queue_to = models.CharField(max_length=20, choices=ExaminationPath.choices, blank=True)
    # The last finished triage's answer (``services.triage``'s JSON), kept here for lists.
    triage = models.JSONField(null=True, blank=True)
    # Images of the last finished triage that matched nothing: new material waiting for an
    # examiner (summed per force for the examiners' queue). None until a triage is recorded.
    unknown_images = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["referral_id", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "reference"], name="exhibit_unique_reference_in_referral"
            )
        ]

    def __str__(self):
        return self.reference

    @property
    def queued_since(self):
        """When it joined the device queue: when it was seized, or recorded if that is not known."""
        return self.seized_at or self.recorded_at


class HashSet(models.Model):
    """A named list of known-image hashes (CAID, a force's own): national or force reference
    data, not a referral's. Its current version is the one triage matches against."""

    name = models.CharField(max_length=100, unique=True)
    current = models.OneToOneField(
        "HashSetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return self.name


class HashSetVersion(models.Model):
    """One import of a hash set: its source file, format, size and the category table used.

    A re-import builds a new version beside the current one and switches to it in one
    transaction, so triage sees the old set or the new one, never half of either.
    """

    hash_set = models.ForeignKey(HashSet, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=500)
    format = models.CharField(max_length=8, choices=HashSetFormat.choices)
    # The VICS model version (1.2, 1.3, 2.0) or "csv".
    format_version = models.CharField(max_length=16, blank=True)
    category_table = models.CharField(max_length=80, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    complete = models.BooleanField(default=False)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_by_name = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hash_set", "number"], name="hashsetversion_unique_number"
            )
        ]

    def __str__(self):
        return f"{self.hash_set} v{self.number}"


class KnownHash(models.Model):
    """One known file of a hash set's version: its hashes (lower-case hex, "" when the set gave
    none) and its category (A, B, C or a named class, after the category table)."""

    version = models.ForeignKey(HashSetVersion, on_delete=models.CASCADE, related_name="+")
    md5 = models.CharField(max_length=32, blank=True)
    sha1 = models.CharField(max_length=40, blank=True)
    pdq = models.CharField(max_length=64, blank=True)
    category = models.CharField(max_length=40, blank=True)
    # What the set says of the victim (VICS ``VictimIdentified``: None when it does not say) and
    # the series the image belongs to (VICS ``Series``): for victim identification.
    victim_identified = models.BooleanField(null=True, blank=True)
    series = models.CharField(max_length=200, blank=True)

    class Meta:
        # Declared here rather than with db_index, which on PostgreSQL adds a second
        # (pattern-matching) index to each: a hash is only ever looked up whole.
        indexes = [
            models.Index(fields=["md5"], name="knownhash_md5"),
            models.Index(fields=["sha1"], name="knownhash_sha1"),
        ]

    def __str__(self):
        return self.md5 or self.sha1 or self.pdq


class TriageRun(ReferralOwned):
    """One triage of an exhibit: where it read from, how far it got (its files, so a stopped run
    resumes), and once finished its answer and matches."""

    referral_path = "exhibit__referral"

    exhibit = models.ForeignKey(Exhibit, on_delete=models.CASCADE, related_name="triage_runs")
    source = models.CharField(max_length=1000)
    # "folder" (files read and hashed) or "list" (a hash list exported by a forensic tool).
    source_kind = models.CharField(max_length=8)
    started_at = models.DateTimeField()
    started_by_name = models.CharField(max_length=150)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    # The hash set versions matched against, {name: version number}.
    hash_sets = models.JSONField(default=dict, blank=True)


class TriageFile(ReferralOwned):
    """One file a triage has read: path, size and hashes. Never its content."""

    referral_path = "run__exhibit__referral"

    run = models.ForeignKey(TriageRun, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1000)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    md5 = models.CharField(max_length=32, blank=True)
    sha1 = models.CharField(max_length=40, blank=True)
    is_image = models.BooleanField(default=False)
    pdq = models.CharField(max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "path"], name="triagefile_unique_path")
        ]


class TriageMatch(ReferralOwned):
    """A file of a triage that matched a known hash: how (exact by MD5/SHA-1, or near by PDQ at
    a distance), which set and which category."""

    referral_path = "run__exhibit__referral"

    run = models.ForeignKey(TriageRun, on_delete=models.CASCADE, related_name="matches")
    path = models.CharField(max_length=1000)
    kind = models.CharField(max_length=8)  # md5, sha1 or pdq
    hash = models.CharField(max_length=64)
    hash_set = models.CharField(max_length=100)
    hash_set_version = models.PositiveIntegerField()
    category = models.CharField(max_length=40, blank=True)
    distance = models.PositiveSmallIntegerField(default=0)
    # The matched entry's victim-identified and series fields (see ``KnownHash``).
    victim_identified = models.BooleanField(null=True, blank=True)
    series = models.CharField(max_length=200, blank=True)

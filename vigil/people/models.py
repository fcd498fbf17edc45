"""People in a referral, how to recognise them again, and whom they can reach."""

from django.db import models
from django.db.models import Value
from django.db.models.functions import Replace, Upper

from vigil.core.actors import is_system
from vigil.core.roles import Action
from vigil.referrals.models import (
    Recorded,
    Referral,
    ReferralOwned,
    RestrictedQuerySet,
    Transfer,
    transfer_seen_by,
)

from .ages import Aged
from .choices import (
    AccessKind,
    AddressKind,
    CheckSystem,
    HistoryOutcome,
    HistoryType,
    IdentifierKind,
    LinkReason,
    PersonRole,
)
from .normalise import search_name


class PersonQuerySet(RestrictedQuerySet):
    """People, restricted as every referral record is; kept searchable however they are saved."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for person in objs:
            person.search_name = search_name(person.first_name, person.last_name)
        _copy_holding_force(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def restrict_in_parts(self, actor, action: str = Action.REFERRAL_VIEW) -> list:
        """``restrict()``, as the querysets whose rows together are its rows: the people of
        referrals the actor's force holds, read from the force copied onto each person (so
        that the force's own name index serves a search: ``fulltext``), and the people of
        referrals it sees without holding them (transferred away, or offered to it).

        Each part is still ``restrict()``: the copy only narrows, so a copy that was wrong
        could hide a person but never show one."""
        visible = self.restrict(actor, action)
        if is_system(actor) or getattr(actor, "force_id", None) is None:
            return [visible]
        seen = Transfer.objects.filter(transfer_seen_by(actor)).values("referral_id")
        return [
            visible.filter(force_id=actor.force_id),
            visible.exclude(force_id=actor.force_id).filter(referral_id__in=seen),
        ]


def _copy_holding_force(people) -> None:
    missing = {p.referral_id for p in people if p.force_id is None and p.referral_id}
    cached = {
        p.referral_id: p.referral.force_id
        for p in people
        if p.referral_id in missing and Person.referral.is_cached(p)
    }
    missing -= set(cached)
    if missing:
        cached.update(Referral.objects.filter(pk__in=missing).values_list("pk", "force_id"))
    for person in people:
        if person.force_id is None and person.referral_id in cached:
            person.force_id = cached[person.referral_id]


class Person(Aged, ReferralOwned):
    """Someone a referral concerns, in one role (suspect, victim, household member…).

    A person is recorded per referral as the source described them; the same human in two
    referrals is two records joined by a ``Link`` that says why they match.
    """

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="people"
    )
    # The source's own handle for this person inside the document ("s1"), for lives_with etc.
    ref = models.CharField(max_length=60)
    role = models.CharField(max_length=24, choices=PersonRole.choices)
    # The role as the source wrote it, where Vigil did not know the word (mapped to "other").
    role_text = models.CharField(max_length=60, blank=True)
    # How a relative or associate is related to the suspect ("sister", "partner's son").
    relation = models.CharField(max_length=60, blank=True)
    first_name = models.CharField(max_length=120, blank=True)
    last_name = models.CharField(max_length=120, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    # An age the source gave instead of a date of birth, and the day it was true on.
    stated_age = models.PositiveSmallIntegerField(null=True, blank=True)
    stated_age_on = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=40, blank=True)
    occupation = models.CharField(max_length=200, blank=True)
    works_with_children = models.BooleanField(null=True)
    school_name = models.CharField(max_length=200, blank=True)
    # A "no" must be said: these mark the household, access and history lists as complete.
    household_established = models.BooleanField(default=False)
    access_established = models.BooleanField(default=False)
    history_established = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    # Where this fact came from ("NCA referral NCA-2020-0001", "intelligence check") and when
    # Vigil learned it: the risk explanation cites both.
    source = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField(null=True, blank=True)
    # The name as search compares it (accents, case and punctuation gone), kept on every save;
    # PostgreSQL indexes its trigrams, SQLite a full-text (FTS5 trigram) table kept by triggers.
    search_name = models.CharField(max_length=250, blank=True, default="", editable=False)
    # The force holding the person's referral, copied on every save and moved with the referral
    # when a transfer is accepted: each force's name index covers its own people only.
    force = models.ForeignKey(
        "accounts.Force",
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = models.Manager.from_queryset(PersonQuerySet)()

    class Meta:
        ordering = ["referral_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "ref"], name="person_unique_ref"),
        ]
        indexes = [models.Index(fields=["referral", "role"], name="person_referral_role")]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.search_name = search_name(self.first_name, self.last_name)
        fields = kwargs.get("update_fields")
        if self.force_id is None:
            _copy_holding_force([self])
            if fields is not None and self.force_id is not None:
                fields = kwargs["update_fields"] = {*fields, "force"}
        if fields is not None and {"first_name", "last_name"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or f"Unnamed {self.get_role_display().lower()} ({self.ref})"


class Identifier(ReferralOwned):
    """A way to recognise a person online or on a device: kept as given and normalised."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    # The type as the source wrote it, where Vigil did not know the word (mapped to "other").
    kind_text = models.CharField(max_length=60, blank=True)
    value = models.CharField(max_length=500)
    normalised = models.CharField(max_length=500)
    service = models.CharField(max_length=200, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    # For an IP address: the source port (carrier-grade NAT shares one address among many
    # subscribers, so a provider needs the port) and what was done (upload, login…).
    port = models.PositiveIntegerField(null=True, blank=True)
    event = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField(null=True, blank=True)

    referral_path = "person__referral"

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "normalised"], name="identifier_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Address(ReferralOwned):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=16, choices=AddressKind.choices, default=AddressKind.HOME)
    line1 = models.CharField(max_length=200, blank=True)
    line2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    postcode = models.CharField(max_length=16, blank=True, db_index=True)
    # The postcode as search compares it, without spaces and in capitals ("ab1 2cd": "AB12CD").
    postcode_key = models.GeneratedField(
        expression=Upper(Replace("postcode", Value(" "), Value(""))),
        output_field=models.CharField(max_length=16),
        db_persist=True,
        db_index=True,
    )
    country = models.CharField(max_length=60, blank=True)
    # When the person lived there, where known (research finds addresses over time).
    lived_from = models.DateField(null=True, blank=True)
    lived_until = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField(null=True, blank=True)

    referral_path = "person__referral"

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return ", ".join(
            part for part in (self.line1, self.line2, self.town, self.region, self.postcode) if part
        )


class LivesWith(ReferralOwned):
    """Two people of the same referral who share a home (recorded once, read both ways)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # Where this fact came from ("NCA referral NCA-2020-0001", "intelligence check") and when
    # Vigil learned it: the risk explanation cites both.
    source = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField(null=True, blank=True)

    referral_path = "person__referral"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "other"], name="lives_with_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} lives with {self.other}"


class Access(ReferralOwned):
    """A person's access to a child who does not live with them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reached_by")
    kind = models.CharField(max_length=24, choices=AccessKind.choices)
    # Where this fact came from ("NCA referral NCA-2020-0001", "intelligence check") and when
    # Vigil learned it: the risk explanation cites both.
    source = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField(null=True, blank=True)

    referral_path = "person__referral"

    class Meta:
        verbose_name_plural = "access"
        constraints = [
            models.UniqueConstraint(fields=["person", "child", "kind"], name="access_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} has {self.get_kind_display().lower()} to {self.child}"


class History(ReferralOwned):
    """A previous offence or allegation held about a person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="history")
    type = models.CharField(max_length=40, choices=HistoryType.choices)
    outcome = models.CharField(max_length=16, choices=HistoryOutcome.choices, blank=True)
    date = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    # Where this fact came from ("NCA referral NCA-2020-0001", "intelligence check") and when
    # Vigil learned it: the risk explanation cites both.
    source = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField(null=True, blank=True)

    referral_path = "person__referral"

    class Meta:
        ordering = ["date", "id"]
        verbose_name_plural = "history"

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.outcome or 'outcome not known'})"


class MatchKey(ReferralOwned):
    """A normalised key by which a person can be recognised in another referral.

    Matching is one indexed lookup on ``key``, so its cost does not grow with the number of
    referrals held.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="match_keys")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    is_suspect = models.BooleanField()
    reason = models.CharField(max_length=16, choices=LinkReason.choices)
    key = models.CharField(max_length=600, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="match_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class Link(ReferralOwned):
    """Two people in different referrals who appear to be the same person, and why."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    linked_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    linked_referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=LinkReason.choices)
    # What matched, as the user can check it: the normalised identifier or "name, born 2003-06-01".
    matched_on = models.CharField(max_length=600)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "linked_person", "reason"], name="link_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["referral"], name="link_referral"),
            models.Index(fields=["linked_referral"], name="link_linked_referral"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ~ {self.linked_person}: {self.get_reason_display()}"


class Research(Recorded):
    """One research record as it was submitted: who found what, from where, learned when.

    The people, identifiers, addresses and checks it added carry its source and time; this keeps
    the submission itself, so what research said can be shown exactly as it was recorded.
    """

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="research"
    )
    source = models.CharField(max_length=200)
    learned_at = models.DateTimeField()
    content = models.JSONField(default=dict)
    # What it added, for the timeline: {"people": ["r1"], "identifiers": 2, "links": 1, ...}
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["learned_at", "id"]
        verbose_name_plural = "research"

    def __str__(self) -> str:
        return f"Research from {self.source}"


class Check(Recorded):
    """A check of a person on a police or partner system: which, when, by whom, what came back."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="checks"
    )
    research = models.ForeignKey(
        Research, null=True, blank=True, on_delete=models.CASCADE, related_name="checks"
    )
    system = models.CharField(max_length=32, choices=CheckSystem.choices)
    system_text = models.CharField(max_length=120, blank=True)
    done_at = models.DateTimeField()
    done_by_name = models.CharField(max_length=150, blank=True)
    result = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["done_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_system_display()} check"

"""Clocks on duties, the notifications their breaches send, and the worker's lock."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vigil.core.actors import is_system
from vigil.core.permissions import has_permission
from vigil.core.roles import Action
from vigil.referrals.models import (
    NamedAccess,
    ReferralOwned,
    RestrictedQuerySet,
    Transfer,
    transfer_seen_by,
)


class ClockQuerySet(RestrictedQuerySet):
    def restrict(self, actor, action: str = Action.REFERRAL_VIEW):
        """The same rule as every referral's, read from the force and restriction copied onto
        each clock, so a worklist stays one indexed query on the clocks alone."""
        if not has_permission(actor, action):
            return self.none()
        if is_system(actor):
            return self
        if getattr(actor, "force_id", None) is None:
            return self.none()
        named = NamedAccess.objects.filter(user_id=actor.pk).values("referral_id")
        transferred = Transfer.objects.filter(transfer_seen_by(actor)).values("referral_id")
        return self.filter(
            (Q(force_id=actor.force_id) | Q(referral_id__in=transferred))
            & (Q(is_restricted=False) | Q(referral_id__in=named))
        )


class ClockKind(models.TextChoices):
    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")
    ALLOCATION = "allocation", _("Allocation")
    ENFORCEMENT_ACTION = "enforcement_action", _("Enforcement action")
    SOCIAL_CARE_REFERRAL = "social_care_referral", _("Social care referral")
    STRATEGY_DISCUSSION = "strategy_discussion", _("Strategy discussion")
    LADO_REFERRAL = "lado_referral", _("LADO referral")
    SUPERVISOR_REVIEW = "supervisor_review", _("Supervisor review")
    ESTABLISH_FACTS = "establish_facts", _("Establish missing facts")
    RELEASE_SOCIAL_CARE = "release_social_care", _("Social care told of a release")
    BAIL_RETURN = "bail_return", _("Bail return")
    DATA_REQUEST = "data_request", _("Data request")
    TRANSFER_ACCEPTANCE = "transfer_acceptance", _("Transfer answered")
    CHILD_PROTECTION_CONFERENCE = (
        "child_protection_conference",
        _("Initial child protection conference"),
    )
    STRATEGY_ACTION = "strategy_action", _("Strategy discussion action")
    RUI_REVIEW = "rui_review", _("Release under investigation review")
    BAIL_REMINDER = "bail_reminder", _("Bail reminder")
    DEVICE_TRIAGE = "device_triage", _("Device examination")


class EscalationReach(models.TextChoices):
    EVERYONE = "everyone", _("Every level reached someone")
    PASSED_UP = "passed_up", _("A level reached nobody and went further up")
    NOBODY = "nobody", _("Reached nobody at all")


class Clock(ReferralOwned):
    """A duty on a referral with its due time: from when, by when, and when it was met.

    Recomputed whenever the referral's grade, facts or actions change. The force, owner, team
    and grade are copied here from the referral so that worklists are one indexed query.
    """

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="clocks"
    )
    kind = models.CharField(max_length=32, choices=ClockKind.choices)
    # Repeating duties (supervisor reviews, establishing facts) number their cycles; a duty
    # owed once per record (a data request) takes the record's id.
    cycle = models.PositiveIntegerField(default=1)
    # What the duty is about when its kind alone does not say ("to ExampleSocial").
    about = models.CharField(max_length=210, blank=True)
    rule = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    due_soon_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # Open: neither met nor cancelled. Kept as a column so worklists can index it.
    is_open = models.BooleanField(default=True)
    # The highest escalation level whose notifications have been sent, and when the next level
    # is reached: the sweep looks only at clocks whose next level has come.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # A level whose people could not be told (no supervisor in the force, an owner who has
    # left, a restricted referral naming none of them) went further up instead: each such level
    # as {"level", "sent_to_level"}, the latter null when no level above reached anyone either.
    escalation_unreached = models.JSONField(default=list, blank=True)
    escalation_reach = models.CharField(
        max_length=12, choices=EscalationReach.choices, default=EscalationReach.EVERYONE
    )

    force = models.ForeignKey("accounts.Force", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.CharField(max_length=100, blank=True)
    grade = models.CharField(max_length=16, blank=True)
    grade_rank = models.PositiveSmallIntegerField(default=0)
    is_restricted = models.BooleanField(default=False)

    objects = models.Manager.from_queryset(ClockQuerySet)()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "kind", "cycle"], name="clock_unique"),
        ]
        indexes = [
            models.Index(fields=["force", "is_open", "due_at"], name="clock_force_open"),
            models.Index(fields=["owner", "is_open", "due_at"], name="clock_owner_open"),
            models.Index(fields=["force", "team", "is_open", "due_at"], name="clock_team_open"),
            models.Index(fields=["is_open", "next_escalation_at"], name="clock_escalation_due"),
            # Covering the dashboard's timeliness figures, so they read the index alone.
            models.Index(
                fields=["force", "due_at"],
                include=["kind", "grade", "started_at", "met_at", "cancelled_at"],
                name="clock_force_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def duty(self) -> str:
        """The duty in words: "Data request to ExampleSocial", "Allocation"."""
        # As ``get_kind_display``, which hashes every kind's label (a translation each) on
        # every call: a worklist of 200 rows spent a fifth of its time there.
        kind = str(KIND_LABELS.get(self.kind, self.kind))
        return f"{kind} {self.about}" if self.about else kind


KIND_LABELS = dict(ClockKind.choices)


class EmailState(models.TextChoices):
    WAITING = "waiting", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Failing: will try again")
    FAILED = "failed", _("Given up")
    NO_ADDRESS = "no_address", _("No e-mail address")


# The e-mails an administrator is shown: those that did not reach their recipient.
EMAIL_NOT_SENT = (EmailState.RETRYING, EmailState.FAILED, EmailState.NO_ADDRESS)


class Notification(ReferralOwned):
    """One escalation sent to one person: in the app, and by e-mail.

    The in-app notification stands whatever becomes of the e-mail. An e-mail that fails is
    tried again with a growing wait, and given up after a number of tries; administrators see
    the ones that did not go.
    """

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, null=True, related_name="+"
    )
    # The clock whose breach this escalates; none for news about the referral (a new link
    # deconfliction found to another referral), which is level 0.
    clock = models.ForeignKey(
        Clock, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    level = models.PositiveSmallIntegerField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=12, choices=EmailState.choices, default=EmailState.WAITING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # The mail server's short answer, or why Vigil could not send: never more than the message
    # itself holds (the recipient's address, the reference).
    email_error = models.CharField(max_length=200, blank=True)
    email_tried_at = models.DateTimeField(null=True, blank=True)
    email_next_try_at = models.DateTimeField(null=True, blank=True)

    referral_path = "referral"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "level", "recipient"], name="notification_once"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The sweep reads only the e-mails whose next try has come.
            models.Index(
                fields=["email_state", "email_next_try_at"], name="notification_email_due"
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args, **kwargs):
        if self.referral_id is None and self.clock_id is not None:
            self.referral_id = Clock.objects.values_list("referral_id", flat=True).get(
                pk=self.clock_id
            )
        super().save(*args, **kwargs)


class JobLock(models.Model):
    """Held while a background job runs, so two runs never overlap."""

    name = models.CharField(max_length=60, primary_key=True)
    holder = models.CharField(max_length=120, blank=True)
    acquired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"


class JobRun(models.Model):
    """One run of a background job: when, as of when, and what it did."""

    name = models.CharField(max_length=60)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField()
    outcome = models.CharField(max_length=20, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["name", "started_at"], name="job_run_name")]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class PeriodicTaskQueued(models.Model):
    """That a periodic task (the escalation sweep each minute, the daily re-grade…) has been
    queued for one period: its unique key is what lets any number of workers on any number of
    machines each try to queue it, and only the first succeed."""

    name = models.CharField(max_length=60)
    # The period's key: "2026-12-06T20:41Z" for a minute, "2026-12-06" (London) for a day.
    period = models.CharField(max_length=32)
    task_id = models.CharField(max_length=64)
    queued_at = models.DateTimeField()

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "period"], name="periodic_task_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.period}"

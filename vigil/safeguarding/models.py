"""Safeguarding the children: social care, strategy discussions and the LADO."""

from django.conf import settings
from django.db import models

from vigil.referrals.models import Recorded

from .choices import ShareMethod


class SocialCareReferral(Recorded):
    """Information shared with children's social care."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="social_care_referrals"
    )
    authority = models.CharField(max_length=200)
    method = models.CharField(max_length=16, choices=ShareMethod.choices)
    shared_at = models.DateTimeField()
    what_was_shared = models.TextField()
    # The children this referral to social care was about.
    children = models.ManyToManyField("people.Person", blank=True, related_name="+")
    decision = models.TextField(blank=True)
    decision_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shared_at", "id"]

    def __str__(self) -> str:
        return f"{self.authority} {self.shared_at:%Y-%m-%d}"


class StrategyDiscussion(Recorded):
    """A strategy discussion between police, social care and health (at least)."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="strategy_discussions"
    )
    requested_at = models.DateTimeField()
    held_at = models.DateTimeField(null=True, blank=True)
    # [{"agency": "police", "name": "…"}, …]
    attendees = models.JSONField(default=list, blank=True)
    decisions = models.TextField(blank=True)
    record_circulated_at = models.DateTimeField(null=True, blank=True)
    # Whether it decided on an initial child protection conference (due within 15 working days
    # of it), and when that conference was held and what it decided.
    child_protection_conference = models.BooleanField(default=False)
    conference_held_at = models.DateTimeField(null=True, blank=True)
    conference_outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"strategy discussion requested {self.requested_at:%Y-%m-%d}"


class StrategyAction(Recorded):
    """An action agreed at a strategy discussion: what, whose, due by when, and when done."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="strategy_actions"
    )
    discussion = models.ForeignKey(
        StrategyDiscussion, on_delete=models.CASCADE, related_name="actions"
    )
    action = models.TextField()
    # Whose it is: a name and agency ("DC Jones, police"; "Exampleshire children's services"),
    # and the Vigil user when it is one.
    owner = models.CharField(max_length=200)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.action[:40]} ({self.owner}) by {self.due_on:%Y-%m-%d}"


class LadoReferral(Recorded):
    """The local authority designated officer told of a suspect who works with children."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="lado_referrals"
    )
    authority = models.CharField(max_length=200)
    referred_at = models.DateTimeField()
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["referred_at", "id"]

    def __str__(self) -> str:
        return f"LADO {self.authority} {self.referred_at:%Y-%m-%d}"


class WelfarePlan(Recorded):
    """The suspect's own welfare plan, recorded before arrest or interview when the suspect is a
    child or at risk of self-harm after contact with police."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="welfare_plans"
    )
    reason = models.CharField(max_length=200)
    plan = models.TextField()
    agreed_at = models.DateTimeField()

    class Meta:
        ordering = ["agreed_at", "id"]

    def __str__(self) -> str:
        return f"welfare plan {self.agreed_at:%Y-%m-%d}"

"""The vocabularies of an investigation."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionKind(models.TextChoices):
    WARRANT_APPLIED = "warrant_applied", _("Warrant applied for")
    WARRANT_GRANTED = "warrant_granted", _("Warrant granted")
    WARRANT_EXECUTED = "warrant_executed", _("Warrant executed")
    ARREST = "arrest", _("Arrest")
    SEARCH = "search", _("Search")
    DEVICES_SEIZED = "devices_seized", _("Devices seized")
    VOLUNTARY_INTERVIEW = "voluntary_interview", _("Voluntary interview")
    SAFEGUARDING_VISIT = "safeguarding_visit", _("Safeguarding visit to the address")
    CHARGE = "charge", _("Charge")
    BAIL_ANSWERED = "bail_answered", _("Answered bail")


# Actions that count as the first positive action against the suspect.
POSITIVE_ACTIONS = {
    ActionKind.ARREST,
    ActionKind.WARRANT_EXECUTED,
    ActionKind.VOLUNTARY_INTERVIEW,
    ActionKind.SAFEGUARDING_VISIT,
}


class ReleaseKind(models.TextChoices):
    PRE_CHARGE_BAIL = "pre_charge_bail", _("Pre-charge bail with conditions")
    RELEASED_UNDER_INVESTIGATION = "released_under_investigation", _("Released under investigation")
    CHARGED_REMANDED = "charged_remanded", _("Charged and remanded")
    CHARGED_BAILED = "charged_bailed", _("Charged and bailed")


class RuiDecision(models.TextChoices):
    """What a review of a release under investigation decided."""

    REMAINS = "remains", _("Remains released under investigation")
    BAIL = "bail", _("To be bailed (record the release on bail)")
    CHARGE = "charge", _("To be charged")
    NO_FURTHER_ACTION = "no_further_action", _("No further action")

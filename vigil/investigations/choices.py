"""The vocabularies of an investigation."""

from django.db import models


class ActionKind(models.TextChoices):
    WARRANT_APPLIED = "warrant_applied", "Warrant applied for"
    WARRANT_GRANTED = "warrant_granted", "Warrant granted"
    WARRANT_EXECUTED = "warrant_executed", "Warrant executed"
    ARREST = "arrest", "Arrest"
    SEARCH = "search", "Search"
    DEVICES_SEIZED = "devices_seized", "Devices seized"
    VOLUNTARY_INTERVIEW = "voluntary_interview", "Voluntary interview"
    SAFEGUARDING_VISIT = "safeguarding_visit", "Safeguarding visit to the address"
    CHARGE = "charge", "Charge"
    BAIL_ANSWERED = "bail_answered", "Answered bail"


# Actions that count as the first positive action against the suspect.
POSITIVE_ACTIONS = {
    ActionKind.ARREST,
    ActionKind.WARRANT_EXECUTED,
    ActionKind.VOLUNTARY_INTERVIEW,
    ActionKind.SAFEGUARDING_VISIT,
}


class ReleaseKind(models.TextChoices):
    PRE_CHARGE_BAIL = "pre_charge_bail", "Pre-charge bail with conditions"
    RELEASED_UNDER_INVESTIGATION = "released_under_investigation", "Released under investigation"
    CHARGED_REMANDED = "charged_remanded", "Charged and remanded"
    CHARGED_BAILED = "charged_bailed", "Charged and bailed"


class RuiDecision(models.TextChoices):
    """What a review of a release under investigation decided."""

    REMAINS = "remains", "Remains released under investigation"
    BAIL = "bail", "To be bailed (record the release on bail)"
    CHARGE = "charge", "To be charged"
    NO_FURTHER_ACTION = "no_further_action", "No further action"

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PersonRole(models.TextChoices):
    SUSPECT = "suspect", _("Suspect")
    VICTIM = "victim", _("Victim")
    HOUSEHOLD_MEMBER = "household_member", _("Household member")
    # Found by research: family who may not live with the suspect (the family tree), and people
    # the suspect is in contact with. Neither is in view as a child unless a tie says so.
    RELATIVE = "relative", _("Relative")
    ASSOCIATE = "associate", _("Associate")
    INTENDED_RECIPIENT = "intended_recipient", _("Intended recipient")
    OTHER = "other", _("Other")


class IdentifierKind(models.TextChoices):
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")
    USERNAME = "username", _("Username")
    ACCOUNT_ID = "account_id", _("Account id at a service")
    IP = "ip", _("IP address")
    DEVICE = "device", _("Device id")
    PROFILE_URL = "profile_url", _("Profile URL")
    OTHER = "other", _("Other identifier")


class IdentifierEvent(models.TextChoices):
    """What the person was doing when an IP address was seen (CyberTipline's event names)."""

    UPLOAD = "upload", _("Upload")
    LOGIN = "login", _("Login")
    REGISTRATION = "registration", _("Registration")
    PURCHASE = "purchase", _("Purchase")
    OTHER = "other", _("Other")


class CheckSystem(models.TextChoices):
    """Police and partner systems a researcher checks a person on."""

    PNC = "pnc", _("Police National Computer (PNC)")
    PND = "pnd", _("Police National Database (PND)")
    LOCAL_INTELLIGENCE = "local_intelligence", _("Local intelligence")
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", _("Children's social care")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    OTHER = "other", _("Other")


class AddressKind(models.TextChoices):
    HOME = "home", pgettext_lazy("address", "Home")
    ESTIMATED = "estimated", _("Estimated location")
    OTHER = "other", _("Other")


class AccessKind(models.TextChoices):
    REGULAR_UNSUPERVISED = "regular_unsupervised", _("Regular unsupervised access")
    REGULAR_SUPERVISED = "regular_supervised", _("Regular supervised access")
    OCCASIONAL = "occasional", _("Occasional access")
    POSITION_OF_TRUST = "position_of_trust", _("Through work or volunteering")
    # A kind of access the source named that Vigil does not know (kept as written).
    OTHER = "other", _("Access of another kind")


class HistoryType(models.TextChoices):
    CONTACT_SEXUAL_OFFENCE_CHILD = (
        "contact_sexual_offence_child",
        _("Contact sexual offence against a child"),
    )
    INDECENT_IMAGES = "indecent_images", _("Indecent images of children")
    OTHER_SEXUAL_OFFENCE = "other_sexual_offence", _("Other sexual offence")
    REGISTERED_SEX_OFFENDER = "registered_sex_offender", _("Registered sex offender")
    SEXUAL_HARM_PREVENTION_ORDER = "sexual_harm_prevention_order", _("Sexual harm prevention order")
    VIOLENCE = "violence", _("Violence")
    DOMESTIC_ABUSE = "domestic_abuse", _("Domestic abuse")
    SUBSTANCE_MISUSE = "substance_misuse", _("Substance misuse")
    OTHER = "other", _("Other")


class HistoryOutcome(models.TextChoices):
    CONVICTION = "conviction", _("Conviction")
    CAUTION = "caution", _("Caution")
    ALLEGATION = "allegation", _("Allegation")
    INVESTIGATION = "investigation", _("Under investigation")
    NFA = "nfa", _("No further action")


class LinkReason(models.TextChoices):
    EMAIL = "email", _("Same email address")
    PHONE = "phone", _("Same phone number")
    USERNAME = "username", _("Same username at the same service")
    ACCOUNT_ID = "account_id", _("Same account at the same service")
    DEVICE = "device", _("Same device")
    NAME_AND_DATE_OF_BIRTH = "name_dob", _("Same name and date of birth")
    ADDRESS = "address", _("Same home address")

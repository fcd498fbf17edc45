from django.db import models


class PersonRole(models.TextChoices):
    SUSPECT = "suspect", "Suspect"
    VICTIM = "victim", "Victim"
    HOUSEHOLD_MEMBER = "household_member", "Household member"
    # Found by research: family who may not live with the suspect (the family tree), and people
    # the suspect is in contact with. Neither is in view as a child unless a tie says so.
    RELATIVE = "relative", "Relative"
    ASSOCIATE = "associate", "Associate"
    INTENDED_RECIPIENT = "intended_recipient", "Intended recipient"
    OTHER = "other", "Other"


class IdentifierKind(models.TextChoices):
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"
    USERNAME = "username", "Username"
    ACCOUNT_ID = "account_id", "Account id at a service"
    IP = "ip", "IP address"
    DEVICE = "device", "Device id"
    PROFILE_URL = "profile_url", "Profile URL"
    OTHER = "other", "Other identifier"


class IdentifierEvent(models.TextChoices):
    """What the person was doing when an IP address was seen (CyberTipline's event names)."""

    UPLOAD = "upload", "Upload"
    LOGIN = "login", "Login"
    REGISTRATION = "registration", "Registration"
    PURCHASE = "purchase", "Purchase"
    OTHER = "other", "Other"


class CheckSystem(models.TextChoices):
    """Police and partner systems a researcher checks a person on."""

    PNC = "pnc", "Police National Computer (PNC)"
    PND = "pnd", "Police National Database (PND)"
    LOCAL_INTELLIGENCE = "local_intelligence", "Local intelligence"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    EDUCATION = "education", "Education"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


class AddressKind(models.TextChoices):
    HOME = "home", "Home"
    ESTIMATED = "estimated", "Estimated location"
    OTHER = "other", "Other"


class AccessKind(models.TextChoices):
    REGULAR_UNSUPERVISED = "regular_unsupervised", "Regular unsupervised access"
    REGULAR_SUPERVISED = "regular_supervised", "Regular supervised access"
    OCCASIONAL = "occasional", "Occasional access"
    POSITION_OF_TRUST = "position_of_trust", "Through work or volunteering"
    # A kind of access the source named that Vigil does not know (kept as written).
    OTHER = "other", "Access of another kind"


class HistoryType(models.TextChoices):
    CONTACT_SEXUAL_OFFENCE_CHILD = (
        "contact_sexual_offence_child",
        "Contact sexual offence against a child",
    )
    INDECENT_IMAGES = "indecent_images", "Indecent images of children"
    OTHER_SEXUAL_OFFENCE = "other_sexual_offence", "Other sexual offence"
    REGISTERED_SEX_OFFENDER = "registered_sex_offender", "Registered sex offender"
    SEXUAL_HARM_PREVENTION_ORDER = "sexual_harm_prevention_order", "Sexual harm prevention order"
    VIOLENCE = "violence", "Violence"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    OTHER = "other", "Other"


class HistoryOutcome(models.TextChoices):
    CONVICTION = "conviction", "Conviction"
    CAUTION = "caution", "Caution"
    ALLEGATION = "allegation", "Allegation"
    INVESTIGATION = "investigation", "Under investigation"
    NFA = "nfa", "No further action"


class LinkReason(models.TextChoices):
    EMAIL = "email", "Same email address"
    PHONE = "phone", "Same phone number"
    USERNAME = "username", "Same username at the same service"
    ACCOUNT_ID = "account_id", "Same account at the same service"
    DEVICE = "device", "Same device"
    NAME_AND_DATE_OF_BIRTH = "name_dob", "Same name and date of birth"
    ADDRESS = "address", "Same home address"

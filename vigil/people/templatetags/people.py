from django import template
from django.utils.translation import gettext_lazy as _

from vigil.core.labels import label_of
from vigil.people.choices import (
    AccessKind,
    HistoryOutcome,
    HistoryType,
    IdentifierEvent,
    IdentifierKind,
    PersonRole,
)

register = template.Library()

# What a search matched on, besides the kinds of identifier.
MATCH_KINDS = {
    "name": _("Name"),
    "postcode": _("Postcode"),
    "reference": _("Reference"),
    "md5": "MD5",
    "sha1": "SHA-1",
}


@register.filter
def identifier_label(kind: str) -> str:
    return label_of(IdentifierKind, kind)


@register.filter
def event_label(event: str) -> str:
    return label_of(IdentifierEvent, event).lower()


@register.filter
def role_label(role: str) -> str:
    return label_of(PersonRole, role)


@register.filter
def roles_label(roles) -> str:
    """Roles in words, the first capitalised: "Suspect, victim"."""
    text = ", ".join(label_of(PersonRole, role).lower() for role in roles)
    return text[:1].upper() + text[1:]


@register.filter
def access_label(kind: str) -> str:
    return label_of(AccessKind, kind)


@register.filter
def history_label(kind: str) -> str:
    return label_of(HistoryType, kind)


@register.filter
def outcome_label(outcome: str) -> str:
    return label_of(HistoryOutcome, outcome).lower()


@register.filter
def match_label(kind: str) -> str:
    return label_of(IdentifierKind, kind, otherwise=MATCH_KINDS.get(kind, kind))

from django import template

from vigil.core.labels import label_of
from vigil.people.choices import IdentifierKind

register = template.Library()


@register.filter
def identifier_label(kind: str) -> str:
    return label_of(IdentifierKind, kind)

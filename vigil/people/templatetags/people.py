from django import template

from vigil.people.choices import IdentifierKind

register = template.Library()


@register.filter
def identifier_label(kind: str) -> str:
    try:
        return IdentifierKind(kind).label
    except ValueError:
        return str(kind).replace("_", " ").capitalize()

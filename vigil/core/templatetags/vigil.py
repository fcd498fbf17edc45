import json

from django import template

register = template.Library()


@register.filter
def known(value, labels="Yes,No,Not known"):
    """A three-valued fact in words: a missing fact is *not known*, never *no*."""
    yes, no, unknown = labels.split(",")
    if value is None:
        return unknown
    return yes if value else no


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def words(value: str) -> str:
    """``contact_sexual_offence_child`` → ``contact sexual offence child``."""
    return str(value).replace("_", " ")


@register.filter
def identifier_label(kind: str) -> str:
    from vigil.people.choices import IdentifierKind

    try:
        return IdentifierKind(kind).label
    except ValueError:
        return words(kind).capitalize()

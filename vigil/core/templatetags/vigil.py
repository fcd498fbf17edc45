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
def get(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.filter
def split(value: str, separator: str = ",") -> list[str]:
    return str(value).split(separator)


@register.filter
def when(value) -> str:
    """An ISO date and time (as the API gives it) in London time, for reading."""
    from datetime import datetime

    from django.utils import timezone

    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return timezone.localtime(moment).strftime("%-d %b %Y %H:%M")


_STATE_LABELS = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "due": "Due",
    "met": "Met",
    "met_late": "Met late",
    "cancelled": "Not needed",
}


register.filter("state_label", lambda state: _STATE_LABELS.get(state, state))


@register.filter
def seconds_words(seconds: int) -> str:
    """How long, in the largest sensible units: "3 days 4 hours", "5 hours"."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    minutes = (rest % 3600) // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


_RELATIONS = {
    "household": "Lives with the suspect",
    "access": "The suspect has access",
    "victim": "Identified victim",
    "workplace": "Through work or volunteering",
    "suspect": "The suspect is a child",
}


register.filter("relation_label", lambda relation: _RELATIONS.get(relation, relation))

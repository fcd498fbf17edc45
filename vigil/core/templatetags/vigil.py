import json
from datetime import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

register = template.Library()


@register.filter
def known(value, labels=""):
    """A three-valued fact in words: a missing fact is *not known*, never *no*."""
    yes, no, unknown = labels.split(",") if labels else (_("Yes"), _("No"), _("Not known"))
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
    """An ISO date and time (as the API gives it) in London time, for reading (the month in the
    reader's language)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dateformat.format(timezone.localtime(moment), "j M Y H:i")


_STATE_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "due_soon": gettext_lazy("Due soon"),
    "due": gettext_lazy("Due"),
    "met": gettext_lazy("Met"),
    "met_late": gettext_lazy("Met late"),
    "cancelled": gettext_lazy("Not needed"),
}


register.filter("state_label", lambda state: _STATE_LABELS.get(state, state))


@register.filter
def seconds_words(seconds: int) -> str:
    """How long, in the largest sensible units: "3 days 4 hours", "5 hours"."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    if days:
        day_words = ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
        if not hours:
            return day_words
        return _("%(days)s %(hours)d h") % {"days": day_words, "hours": hours}
    minutes = (rest % 3600) // 60
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


_RELATIONS = {
    "household": gettext_lazy("Lives with the suspect"),
    "access": gettext_lazy("The suspect has access"),
    "victim": gettext_lazy("Identified victim"),
    "workplace": gettext_lazy("Through work or volunteering"),
    "suspect": gettext_lazy("The suspect is a child"),
}


register.filter("relation_label", lambda relation: _RELATIONS.get(relation, relation))

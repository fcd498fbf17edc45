from django import template

from vigil.referrals.choices import Flag

register = template.Library()


@register.filter
def flag_label(flag: str) -> str:
    try:
        return Flag(flag).label
    except ValueError:
        return str(flag).replace("_", " ").capitalize()

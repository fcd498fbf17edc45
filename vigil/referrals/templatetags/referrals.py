from django import template

from vigil.core.labels import label_of
from vigil.referrals.choices import Flag

register = template.Library()


@register.filter
def flag_label(flag: str) -> str:
    return label_of(Flag, flag)

"""Stored values of a referral's own vocabularies in the reader's words, for the site's pages."""

from django import template

from vigil.core.labels import label_of
from vigil.referrals.choices import Indicator, MaterialKind, ReferralStatus

register = template.Library()


@register.filter
def indicator_label(indicator: str) -> str:
    return label_of(Indicator, indicator)


@register.filter
def material_label(kind: str) -> str:
    return label_of(MaterialKind, kind)


@register.filter
def status_label(status: str) -> str:
    return label_of(ReferralStatus, status)

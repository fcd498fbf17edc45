"""What every page's navigation offers: only the places the signed-in role can use."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .permissions import has_permission
from .roles import Action

# (url name, label, any of these actions opens it)
PLACES = [
    ("clocks:worklist", _("Worklist"), {Action.WORKLIST_VIEW}),
    ("site:referral-list", _("Referrals"), {Action.REFERRAL_VIEW}),
    ("intake:import", _("Import"), {Action.REFERRAL_IMPORT}),
    ("exhibits:queue", _("Devices"), {Action.EXHIBIT_RECORD, Action.BREACHES_VIEW}),
    ("risk:assurance", _("Grading assurance"), {Action.ASSURANCE_VIEW}),
    ("clocks:notifications", _("Notifications"), {Action.WORKLIST_VIEW}),
    (
        "insight:dashboard",
        _("Insight"),
        {Action.INSIGHT_FORCE, Action.INSIGHT_REGION, Action.INSIGHT_ROWS},
    ),
    ("audit:search", _("Audit trail"), {Action.AUDIT_VIEW}),
    ("clocks:mail-failures", _("E-mails not sent"), {Action.MAIL_VIEW}),
    ("intake:unknown-values", _("Unknown words"), {Action.UNKNOWN_VALUES_MAP}),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "can_search": False}
    places = [
        {"url": reverse(name), "label": label, "name": name}
        for name, label, actions in PLACES
        if any(has_permission(user, action) for action in actions)
    ]
    # The place this page belongs to is the one whose address is the longest start of it.
    here = max(
        (place for place in places if request.path.startswith(place["url"])),
        key=lambda place: len(place["url"]),
        default=None,
    )
    for place in places:
        place["current"] = place is here
    return {"navigation": places, "can_search": has_permission(user, Action.REFERRAL_VIEW)}

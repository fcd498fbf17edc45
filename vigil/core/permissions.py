"""The one place where Vigil decides whether an actor may take an action.

A refusal raises ``Refused``; the edge that caught it (the request middleware, the API) writes
it to the audit trail, outside the transaction that it stopped.
"""

from django.core.exceptions import PermissionDenied
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from .actors import is_system
from .roles import ROLE_ACTIONS


class Refused(PermissionDenied):
    """The actor's role does not allow the action."""

    def __init__(self, action: str, message: str = ""):
        # Lazy: the 403 page says it in the reader's language, the audit trail in English.
        super().__init__(message or _refusal_text(str(action)))
        self.action = str(action)


def _refusal(action: str) -> str:
    return _("Your role does not allow this (%(action)s).") % {"action": action}


_refusal_text = lazy(_refusal, str)


def has_permission(actor, action: str) -> bool:
    if actor is None:
        return False
    if is_system(actor):
        return True
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return False
    return action in ROLE_ACTIONS.get(getattr(actor, "role", ""), frozenset())


def require(actor, action: str) -> None:
    """Raise ``Refused`` unless the actor may take the action."""
    if not has_permission(actor, action):
        raise Refused(action)

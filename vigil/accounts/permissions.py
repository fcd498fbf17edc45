"""The one place where Vigil decides whether an actor may take an action."""

from django.core.exceptions import PermissionDenied

from .actors import Actor, SystemActor
from .choices import ROLE_ACTIONS


def has_permission(actor: Actor | None, action: str) -> bool:
    if actor is None:
        return False
    if isinstance(actor, SystemActor):
        return True
    if not actor.is_authenticated or not actor.is_active:
        return False
    return action in ROLE_ACTIONS.get(actor.role, frozenset())


def require(actor: Actor | None, action: str) -> None:
    """Raise PermissionDenied, after recording the refusal, unless the actor may act."""
    if has_permission(actor, action):
        return
    from vigil.audit.services import record_refusal

    record_refusal(actor, action)
    raise PermissionDenied(f"Your role does not allow this ({action}).")

"""Who is acting: a signed-in user, or Vigil itself on the authority of whoever runs it.

Services take an ``actor`` so the same rule and the same audit record apply whichever edge
called them (a page, the API, the command line, a scheduled job).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    """Vigil acting on the authority of whoever runs it on the server (CLI, jobs)."""

    name: str = "system"

    is_authenticated = True
    is_active = True
    # Read by the parts below accounts (the audit trail, permissions), which do not import
    # the user model.
    is_system = True
    pk = None
    force_id = None

    def __str__(self) -> str:
        return self.name


def is_system(actor) -> bool:
    return bool(getattr(actor, "is_system", False))


def actor_name(actor) -> str:
    if actor is None:
        return "anonymous"
    if is_system(actor):
        return actor.name
    return actor.get_username()

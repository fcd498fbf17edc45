"""Who is acting: a signed-in user, or the system itself (the command line, a scheduled job).

Services take an ``actor`` so the same rule and the same audit record apply whichever edge
called them.
"""

from dataclasses import dataclass

from .models import User


@dataclass(frozen=True)
class SystemActor:
    """Vigil acting on the authority of whoever runs it on the server (CLI, jobs)."""

    name: str = "system"

    is_authenticated = True
    # How the audit trail tells Vigil acting apart from a user, without importing this class.
    is_system = True

    def __str__(self) -> str:
        return self.name


Actor = User | SystemActor


def actor_name(actor: Actor) -> str:
    if isinstance(actor, SystemActor):
        return actor.name
    return actor.get_username()

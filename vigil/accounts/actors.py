"""The type of whoever acts: a signed-in user or Vigil itself (``vigil.core.actors``)."""

from vigil.core.actors import SystemActor

from .models import User

Actor = User | SystemActor

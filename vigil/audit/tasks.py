"""The audit trail's background work: sealing what was recorded into the hash chain."""

from vigil.core.background import background

from .services import seal_pending


# Last among the tasks ready together, so it seals what they recorded too.
@background(attempts=3, priority=-10)
def seal_audit_trail() -> dict:
    """Seal every committed, unsealed event into the chain (a second sealer only waits)."""
    return {"audit events sealed": seal_pending()}

"""Where the current action came from (request id and source address), for the audit trail.

Set once at the edge (the request middleware, the CLI) and read by ``record``; services never
have to thread it through their arguments.
"""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    request_id: str
    source_address: str
    channel: str  # web, api, cli


_current: ContextVar[Origin | None] = ContextVar("vigil_audit_origin", default=None)


def current_origin() -> Origin:
    return _current.get() or Origin(request_id=uuid.uuid4().hex, source_address="", channel="")


@contextmanager
def origin(channel: str, source_address: str = "", request_id: str | None = None):
    token = _current.set(
        Origin(
            request_id=request_id or uuid.uuid4().hex,
            source_address=source_address,
            channel=channel,
        )
    )
    try:
        yield _current.get()
    finally:
        _current.reset(token)

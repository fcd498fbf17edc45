"""Unlocking the audit table, for a database administrator's deliberate maintenance only.

The database refuses every UPDATE and DELETE on audit events. Restoring a test database (or a
supervised repair) needs them; this opens the lock for one connection and closes it again. It
never breaks the hash chain's evidence: `vigil audit verify` still finds any altered event.
"""

from contextlib import contextmanager


def unlock(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET vigil.audit_unlock = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM vigil_audit_unlock")
            cursor.execute("INSERT INTO vigil_audit_unlock (unlocked) VALUES (1)")


def lock(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("RESET vigil.audit_unlock")
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM vigil_audit_unlock")


@contextmanager
def unlocked(connection):
    unlock(connection)
    try:
        yield
    finally:
        lock(connection)

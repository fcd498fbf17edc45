"""Unlocking the audit table, for a database administrator's deliberate maintenance only.

The database refuses every UPDATE and DELETE on audit events. Restoring a test database (or a
supervised repair) needs them; this opens the lock for one connection and closes it again. It
never breaks the hash chain's evidence: `vigil audit verify` still finds any altered event.
"""

from contextlib import contextmanager


# PostgreSQL's triggers let a change through when the session's setting says so; SQLite's,
# while a row stands in a table of its own.
def unlock(connection) -> None:
    _execute(
        connection,
        postgresql=["SET vigil.audit_unlock = 'on'"],
        sqlite=[
            "DELETE FROM vigil_audit_unlock",
            "INSERT INTO vigil_audit_unlock (unlocked) VALUES (1)",
        ],
    )


def lock(connection) -> None:
    _execute(
        connection,
        postgresql=["RESET vigil.audit_unlock"],
        sqlite=["DELETE FROM vigil_audit_unlock"],
    )


def _execute(connection, **statements: list[str]) -> None:
    """Runs the statements written for the connection's database."""
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


@contextmanager
def unlocked(connection):
    unlock(connection)
    try:
        yield
    finally:
        lock(connection)

"""The indexes search reads names from: pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite.

PostgreSQL indexes the trigrams of ``people_person.search_name`` (GIN, ``gin_trgm_ops``). SQLite
keeps a contentless FTS5 table with the trigram tokenizer, filled by triggers on
``people_person`` so that every way a person is saved (``bulk_create`` too) keeps it current.
Each word is stored with a space either side, so a name's first and last letters make
trigrams of their own, as pg_trgm's padding does.

On PostgreSQL each force also has a partial index of its own people's names (``ensure_force``),
made when the force is added and after every ``migrate``; a person carries the force holding
their referral (``Person.force``) for it.

``ensure(connection)`` is idempotent: the migration runs it, and so does every ``migrate``
afterwards (SQLite drops a table's triggers when a later migration rebuilds the table).
"""

TABLE = "people_person_search"

# Each trigger stores a person's name as " john  smith " (see ``padded``).
_SQLITE_TRIGGERS = {
    "people_person_search_insert": """
        CREATE TRIGGER IF NOT EXISTS people_person_search_insert
        AFTER INSERT ON people_person BEGIN
            INSERT INTO people_person_search(rowid, name)
            VALUES (new.id, ' ' || replace(new.search_name, ' ', '  ') || ' ');
        END""",
    "people_person_search_delete": """
        CREATE TRIGGER IF NOT EXISTS people_person_search_delete
        AFTER DELETE ON people_person BEGIN
            INSERT INTO people_person_search(people_person_search, rowid, name)
            VALUES ('delete', old.id, ' ' || replace(old.search_name, ' ', '  ') || ' ');
        END""",
    "people_person_search_update": """
        CREATE TRIGGER IF NOT EXISTS people_person_search_update
        AFTER UPDATE OF search_name ON people_person BEGIN
            INSERT INTO people_person_search(people_person_search, rowid, name)
            VALUES ('delete', old.id, ' ' || replace(old.search_name, ' ', '  ') || ' ');
            INSERT INTO people_person_search(rowid, name)
            VALUES (new.id, ' ' || replace(new.search_name, ' ', '  ') || ' ');
        END""",
}
_SQLITE_FILL = [
    "INSERT INTO people_person_search(people_person_search) VALUES ('delete-all')",
    "INSERT INTO people_person_search(rowid, name) "
    "SELECT id, ' ' || replace(search_name, ' ', '  ') || ' ' FROM people_person",
]

_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_search_name_trgm "
    "ON people_person USING gin (search_name gin_trgm_ops)",
]


def padded(text: str) -> str:
    """A folded name as the SQLite table holds it."""
    return " " + text.replace(" ", "  ") + " "


def force_index(force_id: int) -> str:
    return f"person_name_trgm_force_{int(force_id)}"


def ensure_force(connection, force_id: int, *, concurrently: bool = False) -> None:
    """PostgreSQL: the trigram index of one force's names (a partial index, ``WHERE force_id``).

    A force's search reads only its own people's trigrams: at a million people in ten forces
    the index walk of a common name reads a tenth of the postings and the table a tenth of the
    rows (see docs/performance.md). A force without one (added while its index could not be
    built) still searches correctly, through the index of every name, only slower."""
    if connection.vendor != "postgresql" or "force_id" not in _person_columns(connection):
        return
    how = "CONCURRENTLY IF NOT EXISTS" if concurrently else "IF NOT EXISTS"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX {how} {force_index(force_id)} ON people_person "
            f"USING gin (search_name gin_trgm_ops) WHERE force_id = {int(force_id)}"
        )


def _person_columns(connection) -> set[str]:
    with connection.cursor() as cursor:
        return {
            column.name
            for column in connection.introspection.get_table_description(cursor, "people_person")
        }


def ensure(connection) -> None:
    """Creates the name indexes of this database if missing (and fills the table on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in _POSTGRES:
                cursor.execute(statement)
            cursor.execute("SELECT id FROM accounts_force")
            forces = [row[0] for row in cursor.fetchall()]
        for force_id in forces:
            ensure_force(connection, force_id)
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s",
            [f"{TABLE}%"],
        )
        present = {row[0] for row in cursor.fetchall()}
        if present >= {TABLE, *_SQLITE_TRIGGERS}:
            return
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS people_person_search "
            "USING fts5(name, content='', tokenize='trigram')"
        )
        for statement in [*_SQLITE_TRIGGERS.values(), *_SQLITE_FILL]:
            cursor.execute(statement)


def drop(connection) -> None:
    """Undoes ``ensure`` (reversing the migration)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS person_search_name_trgm")
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'people_person' "
                "AND indexname LIKE 'person_name_trgm_force_%%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute("DROP INDEX IF EXISTS " + connection.ops.quote_name(name))
        elif connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute("DROP TRIGGER IF EXISTS " + connection.ops.quote_name(name))
            cursor.execute("DROP TABLE IF EXISTS people_person_search")

"""The indexes search reads names from: pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite.

PostgreSQL indexes the trigrams of ``people_person.search_name`` (GIN, ``gin_trgm_ops``). SQLite
keeps a contentless FTS5 table with the trigram tokenizer, filled by triggers on
``people_person`` so that every way a person is saved (``bulk_create`` too) keeps it current.
Each word is stored with a space either side, so a name's first and last letters make
trigrams of their own, as pg_trgm's padding does.

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


def ensure(connection) -> None:
    """Creates the name index of this database if it is missing (and fills it on SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in _POSTGRES:
                cursor.execute(statement)
            return
        if connection.vendor != "sqlite":
            return
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
        elif connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute("DROP TRIGGER IF EXISTS " + connection.ops.quote_name(name))
            cursor.execute("DROP TABLE IF EXISTS people_person_search")

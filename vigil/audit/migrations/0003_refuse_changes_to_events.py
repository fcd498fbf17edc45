"""The database itself refuses to change or remove an audit event, on PostgreSQL and SQLite."""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION vigil_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- A deliberate, logged maintenance session (see vigil/audit/maintenance.py) may unlock it.
    IF current_setting('vigil.audit_unlock', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused on audit_auditevent', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION vigil_audit_append_only();
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_audit_append_only();
"""
POSTGRESQL_UNDO = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS vigil_audit_append_only();
"""
SQLITE = [
    # A row here unlocks the table for a deliberate maintenance session; normally it is empty.
    "CREATE TABLE IF NOT EXISTS vigil_audit_unlock (unlocked INTEGER NOT NULL)",
    """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM vigil_audit_unlock)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM vigil_audit_unlock)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END;""",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete;",
    "DROP TABLE IF EXISTS vigil_audit_unlock;",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_UNDO, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_UNDO:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_start_the_chain")]

    operations = [migrations.RunPython(install, remove)]

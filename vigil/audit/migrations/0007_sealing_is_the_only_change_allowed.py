"""The database still refuses every change to an audit event but one: its seal, once.

Sealing writes ``previous_hash``, ``hash`` and ``chain_position`` on an event whose ``hash`` is
still empty and leaves every other column exactly as it was. A sealed event can never be
sealed again; everything else stays refused, as before, unless a deliberate maintenance
session unlocks the table (vigil/audit/maintenance.py).
"""

from importlib import import_module

from django.db import migrations

SEAL = ("previous_hash", "hash", "chain_position")

POSTGRESQL = """
CREATE OR REPLACE FUNCTION vigil_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- A deliberate, logged maintenance session (see vigil/audit/maintenance.py) may unlock it.
    IF current_setting('vigil.audit_unlock', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- Every column but the seal's compares as text, so a column added later is covered
        -- without touching this function, and 1 never passes for 1.0 inside before/after.
        IF OLD.hash IS NULL
           AND NEW.hash IS NOT NULL
           AND NEW.previous_hash IS NOT NULL
           AND NEW.chain_position IS NOT NULL
           AND (to_jsonb(OLD) - ARRAY['previous_hash', 'hash', 'chain_position'])::text
               = (to_jsonb(NEW) - ARRAY['previous_hash', 'hash', 'chain_position'])::text
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only: UPDATE refused on audit_auditevent (only an unsealed event may be sealed, once, changing nothing else)';
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused on audit_auditevent', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

# SQLite has no row-to-JSON over every column, so the columns a seal must leave alone are named:
# a migration that adds a column to audit_auditevent must replace this trigger too (a test
# enumerating the model's fields fails until it does).
UNCHANGED_BY_A_SEAL = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "force_code",
    "referral_id",
    "request_id",
    "source_address",
    "channel",
    "before",
    "after",
    "detail",
    "referral_version",
)
_A_SEAL = " AND ".join(
    [
        "OLD.hash IS NULL",
        *(f'NEW."{column}" IS NOT NULL' for column in SEAL),
        *(f'NEW."{column}" IS OLD."{column}"' for column in UNCHANGED_BY_A_SEAL),
    ]
)
SQLITE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete;",
    # Built from the column names above, never from input.
    f"""CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM vigil_audit_unlock) AND NOT ({_A_SEAL})
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused (only an unsealed event may be sealed, once, changing nothing else)'); END;""",  # noqa: S608
    """CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM vigil_audit_unlock)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END;""",
]


def allow_the_seal(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def refuse_every_change_again(apps, schema_editor):
    refuse_changes = import_module("vigil.audit.migrations.0003_refuse_changes_to_events")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(refuse_changes.POSTGRESQL_UNDO, params=None)
    elif vendor == "sqlite":
        for statement in refuse_changes.SQLITE_UNDO[:2]:
            schema_editor.execute(statement)
    refuse_changes.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_events_are_sealed_in_batches")]

    operations = [migrations.RunPython(allow_the_seal, refuse_every_change_again)]

"""Events are recorded without their chain fields and sealed in batches afterwards."""

from importlib import import_module

from django.db import migrations, models


def put_back_the_append_only_triggers(apps, schema_editor):
    # SQLite alters these columns by rebuilding the table, which drops its triggers with it:
    # undoing this migration must not leave the trail unprotected.
    if schema_editor.connection.vendor != "sqlite":
        return
    refuse_changes = import_module("vigil.audit.migrations.0003_refuse_changes_to_events")
    for statement in refuse_changes.SQLITE_UNDO[:2]:
        schema_editor.execute(statement)
    refuse_changes.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_events_name_their_referral")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, put_back_the_append_only_triggers),
        migrations.AddField(
            model_name="auditchainhead",
            name="last_position",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_position",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="referral_version",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("hash__isnull", True)),
                fields=["id"],
                name="audit_awaiting_seal",
            ),
        ),
    ]

"""Every event recorded before sealing in batches was chained in id order under one global lock:
its place in the chain is its id, and the chain head says where the chain ends.

Sealed events are otherwise closed to every change, this one included, so the table is
unlocked (as vigil/audit/maintenance.py does) for this statement alone, inside the migration's
own transaction.
"""

from django.db import migrations
from django.db.models import Max


def number_the_chain_so_far(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    connection = schema_editor.connection
    # Both the unlock and the lock happen inside the migration's transaction: if the update
    # fails, the unlock is rolled back with it.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL vigil.audit_unlock = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute("INSERT INTO vigil_audit_unlock (unlocked) VALUES (1)")
        cursor.execute(
            "UPDATE audit_auditevent SET chain_position = id"
            " WHERE chain_position IS NULL AND hash IS NOT NULL"
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL vigil.audit_unlock = 'off'")
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM vigil_audit_unlock")
    last = AuditEvent.objects.aggregate(last=Max("chain_position"))["last"] or 0
    AuditChainHead.objects.filter(pk=1).update(last_position=last)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_sealing_is_the_only_change_allowed")]

    operations = [migrations.RunPython(number_the_chain_so_far, migrations.RunPython.noop)]

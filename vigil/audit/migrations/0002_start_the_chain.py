from django.db import migrations

GENESIS_HASH = "0" * 64


def start_chain(apps, schema_editor):
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH, "count": 0})


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(start_chain, migrations.RunPython.noop)]

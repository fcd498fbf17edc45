from django.db import migrations
from django.db.models import F


def fill(apps, schema_editor):
    Referral = apps.get_model("intake", "Referral")
    Transfer = apps.get_model("investigations", "Transfer")
    Referral.objects.filter(received_by_force__isnull=True).update(received_by_force=F("force"))
    for transfer in Transfer.objects.order_by("-transferred_at"):
        Referral.objects.filter(pk=transfer.referral_id).update(
            received_by_force_id=transfer.from_force_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0007_demand_stays_with_the_receiving_force"),
        ("investigations", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

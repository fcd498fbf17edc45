"""Each person carries the force holding their referral, so each force's names get an index of
their own (``people.fulltext``): a name search then reads only its force's trigrams."""

import django.db.models.deletion
from django.db import migrations, models


def copy_forces(apps, schema_editor):
    table = schema_editor.connection.ops.quote_name
    schema_editor.execute(
        f"UPDATE {table('people_person')} SET force_id = ("  # noqa: S608 - the tables' own names
        f"SELECT force_id FROM {table('intake_referral')} "
        f"WHERE {table('intake_referral')}.id = {table('people_person')}.referral_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("people", "0007_people_and_postcodes_are_searchable"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="force",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.force",
            ),
        ),
        migrations.RunPython(copy_forces, migrations.RunPython.noop),
    ]

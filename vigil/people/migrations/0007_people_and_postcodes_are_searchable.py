"""Search: a person's folded name (indexed by trigrams) and an address's postcode without
spaces."""

import django.db.models.functions.text
from django.db import migrations, models

from vigil.people import fulltext
from vigil.people.normalise import search_name


def fold_names(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    batch = []
    for person in Person.objects.only("first_name", "last_name").iterator(chunk_size=2000):
        person.search_name = search_name(person.first_name, person.last_name)
        batch.append(person)
        if len(batch) == 2000:
            Person.objects.bulk_update(batch, ["search_name"])
            batch = []
    Person.objects.bulk_update(batch, ["search_name"])


def index_names(apps, schema_editor):
    fulltext.ensure(schema_editor.connection)


def unindex_names(apps, schema_editor):
    fulltext.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_access_of_another_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="address",
            name="postcode_key",
            field=models.GeneratedField(
                db_index=True,
                db_persist=True,
                expression=django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Replace(
                        "postcode", models.Value(" "), models.Value("")
                    )
                ),
                output_field=models.CharField(max_length=16),
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="search_name",
            field=models.CharField(blank=True, default="", editable=False, max_length=250),
        ),
        migrations.RunPython(fold_names, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(index_names, unindex_names),
    ]

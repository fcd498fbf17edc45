from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from . import fulltext


class PeopleConfig(AppConfig):
    name = "vigil.people"
    label = "people"
    verbose_name = "People, identifiers and deconfliction"

    def ready(self):
        post_migrate.connect(_keep_name_index, sender=self)


def _keep_name_index(sender, using, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds the table: put them back."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "people_person" not in tables:
            return
        columns = {
            column.name
            for column in connection.introspection.get_table_description(cursor, "people_person")
        }
    if "search_name" in columns:
        fulltext.ensure(connection)

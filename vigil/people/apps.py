from django.apps import AppConfig
from django.db import connections, transaction
from django.db.models.signals import post_migrate, post_save

from . import fulltext


class PeopleConfig(AppConfig):
    name = "vigil.people"
    label = "people"
    verbose_name = "People, identifiers and deconfliction"

    def ready(self):
        post_migrate.connect(_keep_name_index, sender=self)
        post_save.connect(
            _index_new_force, sender="accounts.Force", dispatch_uid="people.force_index"
        )


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


def _index_new_force(sender, instance, created, using, raw=False, **kwargs):
    """A new force's people get their own name index, built once the force is committed and
    without holding up writers to the people table (``CONCURRENTLY``); until then the force
    searches through the index of every name."""
    if created and not raw:
        connection = connections[using]
        transaction.on_commit(
            lambda: fulltext.ensure_force(connection, instance.pk, concurrently=True), using=using
        )

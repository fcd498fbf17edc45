from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = (
        "Create or migrate Vigil's database (DATABASE_URL, else a SQLite file in VIGIL_DATA_DIR)."
    )

    def handle(self, *args, **options):
        if connection.vendor == "sqlite":
            settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=options["verbosity"] - 1)
        where = settings.DATABASES["default"]["NAME"]
        self.stdout.write(f"Vigil's database is ready ({connection.vendor}: {where}).")

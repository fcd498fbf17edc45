import json

from django.core.management.base import BaseCommand, CommandError

from vigil.accounts.selectors import forces
from vigil.accounts.services import add_force
from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor


class Command(BaseCommand):
    help = "Add or list forces."

    def add_arguments(self, parser):
        add, listing = add_actions(
            parser, add="Add a force (or update its name, region and contact).", list="List forces."
        )
        add.add_argument("code")
        add.add_argument("name")
        add.add_argument("--region", default="")
        add.add_argument(
            "--contact",
            default="",
            help="Whom another force contacts about a child this force holds information on.",
        )
        add_as_of(add)
        listing.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["action"] == "add":
            try:
                force, outcome = add_force(
                    system_actor(),
                    options["code"],
                    options["name"],
                    region=options["region"],
                    contact=options["contact"],
                    as_of=as_of_option(options),
                )
            except ValueError as error:
                raise CommandError(str(error), returncode=2) from None
            self.stdout.write(f"{force.code}: {force.name} ({outcome})")
            return
        rows = list(forces().values("code", "name", "region", "contact"))
        if options["json"]:
            self.stdout.write(json.dumps(rows))
        else:
            for force in rows:
                self.stdout.write(f"{force['code']:<6} {force['name']}  {force['region']}")

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vigil.accounts.selectors import force_named
from vigil.core.commands import add_as_of, as_of_option, system_actor
from vigil.insight import exports, services


class Command(BaseCommand):
    help = "Reports from Vigil's records."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="report", required=True)
        pack = commands.add_parser(
            "inspection", help="The inspection pack: every chart and table, one PDF."
        )
        pack.add_argument("--force", default="", help="A force's code.")
        pack.add_argument("--region", default="", help="Or a region: its forces side by side.")
        pack.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD")
        pack.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD (inclusive)")
        pack.add_argument("--out", required=True, help="The PDF to write.")
        add_as_of(pack)

    def handle(self, *args, **options):
        try:
            period = services.Period(
                date.fromisoformat(options["start"]), date.fromisoformat(options["end"])
            )
        except ValueError as error:
            raise CommandError(f"dates are YYYY-MM-DD: {error}", returncode=2) from None
        if not options["force"] and not options["region"]:
            raise CommandError("give --force CODE or --region NAME", returncode=2)
        if options["force"] and force_named(options["force"]) is None:
            raise CommandError(f"force {options['force']!r} is not known to Vigil", returncode=2)
        actor = system_actor()
        as_of = as_of_option(options)
        scope = services.scope_for(actor, force_code=options["force"], region=options["region"])
        tables = services.dashboard(actor, scope, period, as_of=as_of)
        pdf = exports.inspection_pack(tables, scope, period, as_of)
        Path(options["out"]).write_bytes(pdf)
        services.audit_export(actor, "inspection.pdf", scope, period, as_of)
        self.stdout.write(
            f"Wrote the inspection pack for {scope.label}, {period}, to "
            f"{options['out']} ({len(pdf) // 1024} KB)."
        )

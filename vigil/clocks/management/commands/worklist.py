import json

from django.core.management.base import BaseCommand

from vigil.clocks import services
from vigil.core.commands import add_as_of, as_of_option, system_actor


class Command(BaseCommand):
    help = "Open clocks, most urgent first (overdue, then due soon; highest grade first)."

    def add_arguments(self, parser):
        parser.add_argument("--force", default="", help="One force's clocks (default: all).")
        parser.add_argument("--limit", type=int, default=1000)
        parser.add_argument("--json", action="store_true")
        add_as_of(parser)

    def handle(self, *args, **options):
        as_of = as_of_option(options)
        result = services.worklist(
            system_actor(),
            as_of=as_of,
            scope="force",
            force_code=options["force"].upper(),
            limit=options["limit"],
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"as_of": result["as_of"], "counts": result["counts"], "items": result["items"]}
                )
            )
            return
        counts = result["counts"]
        self.stdout.write(
            f"As of {as_of:%Y-%m-%d %H:%M}: {counts['overdue']} overdue, "
            f"{counts['due_soon']} due soon, {counts['due']} due."
        )
        for item in result["items"]:
            late = ""
            if item["state"] == "overdue":
                late = (
                    f" by {item['overdue_by_seconds'] // 3600}h, level {item['escalation_level']}"
                )
            self.stdout.write(
                f"{item['state']:<9} {item['grade'] or '-':<9} {item['force']:<4} "
                f"{item['source_reference']:<24} {item['clock_text']:<22} "
                f"due {item['due_at']}{late}"
            )

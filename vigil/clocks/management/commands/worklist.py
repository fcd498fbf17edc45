import json

from django.core.management.base import BaseCommand

from vigil.clocks import services
from vigil.core.commands import add_as_of, as_of_option, system_actor
from vigil.risk.choices import Grade


class Command(BaseCommand):
    help = "Open clocks, most urgent first (overdue, then due soon; highest grade first)."

    def add_arguments(self, parser):
        parser.add_argument("--force", default="", help="One force's clocks (default: all).")
        parser.add_argument("--limit", type=int, default=1000)
        parser.add_argument("--grade", default="", choices=["", *Grade.values])
        parser.add_argument("--duty", default="", choices=["", *services.WORKLIST_DUTIES])
        parser.add_argument("--state", default="", choices=["", "overdue", "due_soon", "due"])
        parser.add_argument("--owner", default="", help="A username, or - for nobody yet.")
        parser.add_argument("--team", default="", help="A team's name.")
        parser.add_argument("--sort", default="urgency", choices=list(services.WORKLIST_SORTS))
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true")
        output.add_argument(
            "--csv", action="store_true", help="As a spreadsheet (safe against formulas)."
        )
        add_as_of(parser)

    def handle(self, *args, **options):
        as_of = as_of_option(options)
        chosen = {
            "as_of": as_of,
            "scope": "force",
            "force_code": options["force"].upper(),
            "narrow": services.WorklistFilter(
                **{key: options[key] for key in ("grade", "duty", "state", "owner", "team")}
            ),
            "sort": options["sort"],
        }
        if options["csv"]:
            csv = services.worklist_csv(system_actor(), **chosen)
            self.stdout.write(csv.decode("utf-8-sig"), ending="")
            return
        result = services.worklist(system_actor(), limit=options["limit"], **chosen)
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

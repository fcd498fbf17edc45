import json

from django.core.management.base import BaseCommand

from vigil.core.background import failed_tasks
from vigil.core.commands import add_actions, system_actor


class Command(BaseCommand):
    help = "What became of Vigil's background tasks."

    def add_arguments(self, parser):
        (failed,) = add_actions(
            parser,
            failed="List the background tasks given up after their last attempt, latest first.",
        )
        failed.add_argument(
            "--all",
            action="store_true",
            help="Also list failed attempts that are still to be tried again.",
        )
        failed.add_argument("--limit", type=int, default=200)
        failed.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        items = failed_tasks(
            system_actor(), given_up_only=not options["all"], limit=max(options["limit"], 1)
        )
        if options["json"]:
            self.stdout.write(json.dumps(items, default=lambda moment: moment.isoformat()))
            return
        if not items:
            self.stdout.write("No background task has failed.")
            return
        for item in items:
            state = "given up" if item["given_up"] else "to be tried again"
            arguments = ", ".join(
                [json.dumps(value) for value in item["arguments"]["args"]]
                + [
                    f"{key}={json.dumps(value)}"
                    for key, value in item["arguments"]["kwargs"].items()
                ]
            )
            self.stdout.write(
                f"{item['failed_at']:%Y-%m-%d %H:%M}  {item['name']}({arguments})  "
                f"attempt {item['attempt']} of {item['attempts']}, {state}: {item['error']}  "
                f"[{item['id']}]"
            )

import sys

from django.core.management.base import BaseCommand

from vigil.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("verify", help="Check every link of the hash chain.")

    def handle(self, *args, **options):
        result = verify_chain()
        if result.ok:
            self.stdout.write(f"The audit trail is intact: {result.events_checked} events.")
            return
        where = f"event {result.broken_event_id}" if result.broken_event_id else "the trail"
        self.stderr.write(
            f"The audit trail is broken at {where}: {result.problem} "
            f"({result.events_checked} events before it are intact)."
        )
        sys.exit(1)

import sys
from contextlib import suppress

from django.core.management.base import BaseCommand, CommandError

from vigil.audit.services import AuditChainBroken, seal_pending, verify_chain
from vigil.core.commands import add_actions


class Command(BaseCommand):
    help = "Seal and check the audit trail."

    def add_arguments(self, parser):
        add_actions(
            parser,
            verify="Seal what is pending, then check every link of the hash chain.",
            seal="Seal the events recorded since the last seal (the worker does it).",
        )

    def handle(self, *args, **options):
        if options["action"] == "seal":
            self._seal()
        else:
            self._verify()

    def _seal(self) -> None:
        try:
            sealed = seal_pending()
        except AuditChainBroken as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Sealed {sealed} audit events.")

    def _verify(self) -> None:
        # A missing head stops the seal; the check below reports it as a break.
        with suppress(AuditChainBroken):
            seal_pending()
        result = verify_chain()
        if result.ok:
            self.stdout.write(f"The audit trail is intact: {result.events_checked} events.")
            if result.awaiting_seal:
                self.stdout.write(
                    f"{result.awaiting_seal} events recorded since are awaiting their seal."
                )
            return
        where = f"event {result.broken_event_id}" if result.broken_event_id else "the trail"
        self.stderr.write(
            f"The audit trail is broken at {where}: {result.problem} "
            f"({result.events_checked} events before it are intact)."
        )
        sys.exit(1)

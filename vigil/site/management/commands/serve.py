import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application
from django.db import connection
from waitress import serve


class Command(BaseCommand):
    help = "Serve Vigil over HTTP with waitress (put a TLS proxy in front of it in production)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        embedded = parser.add_mutually_exclusive_group()
        embedded.add_argument(
            "--worker",
            action="store_true",
            help="Run a worker in this process even on PostgreSQL (on SQLite it runs anyway).",
        )
        embedded.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run a worker in this process on SQLite either (run `vigil worker` "
            "separately instead).",
        )

    def handle(self, *args, **options):
        application = get_wsgi_application()
        # One machine with SQLite: the web server works the queue itself. With PostgreSQL,
        # workers run on their own (`vigil worker`, as many as wanted) unless asked.
        single_machine = connection.vendor == "sqlite"
        if options["worker"] or (single_machine and not options["no_worker"]):
            self._start_worker()
        else:
            self.stdout.write(
                "Background work is left to `vigil worker` (run one or more beside this)."
            )
        url = f"http://{options['host']}:{options['port']}/"
        mode = "production" if settings.PRODUCTION else settings.ENVIRONMENT
        self.stdout.write(f"Vigil ({mode}) is serving on {url} – press Ctrl+C to stop.")
        serve(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="vigil",
            clear_untrusted_proxy_headers=True,
        )

    def _start_worker(self) -> None:
        """The embedded deployment's worker, in a thread: it queues the periodic work
        (escalation and the audit trail's seal every minute, the daily re-grade) and runs the
        queue. A separate `vigil worker` may run too: each task is still run once."""

        def loop():
            call_command("worker")

        threading.Thread(target=loop, name="vigil-worker", daemon=True).start()
        self.stdout.write(
            "Background work (escalation sweep, audit seal, daily re-grade and the tasks "
            "started from pages) runs in this process."
        )

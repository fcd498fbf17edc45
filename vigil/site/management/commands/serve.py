import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application
from waitress import serve


class Command(BaseCommand):
    help = "Serve Vigil over HTTP with waitress (put a TLS proxy in front of it in production)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the escalation sweep, the audit trail's seal and the daily "
            "re-grade in this process (run `vigil worker` separately instead).",
        )

    def handle(self, *args, **options):
        application = get_wsgi_application()
        if not options["no_worker"]:
            self._start_worker()
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
        """The embedded deployment's background work, in a thread: escalation and the audit
        trail's seal every minute, and the daily re-grade. A separate `vigil worker` may run
        too; locks keep them apart."""

        def loop():
            call_command("worker", interval=60)

        threading.Thread(target=loop, name="vigil-worker", daemon=True).start()
        self.stdout.write(
            "Background work (escalation sweep, audit seal, daily re-grade) runs in this process."
        )

import logging
import signal
import threading
import time

from django import db
from django.core.management.base import BaseCommand
from django.utils import timezone

from vigil.audit.services import seal_pending
from vigil.clocks import services
from vigil.core.commands import system_actor
from vigil.risk.services import regrade_all

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run Vigil's background work without any broker: the escalation sweep and the audit "
        "trail's seal every minute, and the daily re-grade (ages move on) once a day. "
        "Stop with Ctrl+C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60, help="Seconds between sweeps.")
        parser.add_argument("--once", action="store_true", help="Run once and stop.")

    def handle(self, *args, **options):
        stopping = {"now": False}
        # Only the main thread may set signal handlers; `vigil serve` runs this in a thread and
        # stops it with the process.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
        while not stopping["now"]:
            if options["once"]:
                self._tick()
                break
            try:
                self._tick()
            except Exception:
                # A failed minute (the database briefly unavailable, say) must not end the
                # escalations for good: log it loudly and try again next minute.
                log.exception("background work failed; trying again in %s s", options["interval"])
            try:
                # A connection the database dropped is closed here, so the next minute
                # connects afresh once the database is back.
                db.close_old_connections()
            except Exception:
                log.exception("could not close a database connection; trying again later")
            try:
                time.sleep(options["interval"])
            except KeyboardInterrupt:
                break

    def _tick(self) -> None:
        now = timezone.now()
        actor = system_actor()
        today = timezone.localdate(now)
        ran_today = services.job_done_since("daily re-grade", today)
        if not ran_today:
            try:
                counts = services.run_job(
                    "daily re-grade",
                    as_of=now,
                    work=lambda: regrade_all(actor=actor, as_of=now),
                )
                self.stdout.write(f"{now:%Y-%m-%d %H:%M} re-graded: {dict(counts)}")
            except services.JobBusy:
                pass
        try:
            counts = services.run_job(
                "escalation sweep", as_of=now, work=lambda: services.sweep(actor=actor, as_of=now)
            )
            if any(counts.values()):
                self.stdout.write(f"{now:%Y-%m-%d %H:%M} escalation: {dict(counts)}")
        except services.JobBusy:
            self.stdout.write("another worker is sweeping; skipping this minute")
        # Last, so it seals this minute's escalations too; another worker sealing at the same
        # time only makes this one wait.
        sealed = seal_pending()
        if sealed:
            self.stdout.write(f"{now:%Y-%m-%d %H:%M} audit events sealed: {sealed}")

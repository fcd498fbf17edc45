import logging
import os
import signal
import socket
import threading
import time

from django import db
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.crypto import get_random_string

from vigil.clocks.tasks import queue_periodic_work
from vigil.core.background import describe_outcome, run_ready_tasks

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run Vigil's background work from its task queue (a table in the database, no broker): "
        "queue the periodic work when its time comes (the escalation sweep and the audit "
        "trail's seal every minute, the daily re-grade), and run every queued task, those "
        "started from a page or the API too. Any number may run, on any number of machines: "
        "each periodic task is queued once and each task runs once. Stop with Ctrl+C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=2,
            help="Seconds between looks at the queue when it is empty (default 2).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Queue what is due, run every task that is ready, and stop.",
        )

    def handle(self, *args, **options):
        self._seen: dict[str, str] = {}
        self._worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"
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
                # A failed look (the database briefly unavailable, say) must not end the
                # escalations for good: log it loudly and try again.
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
        for name in queue_periodic_work(now, seen=self._seen):
            log.info("queued %s", name)
        run_ready_tasks(worker_id=self._worker_id, report=self._report)

    def _report(self, row) -> None:
        line = describe_outcome(row)
        if line:
            self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M} {line}")

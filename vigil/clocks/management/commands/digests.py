from django.core.management.base import BaseCommand

from vigil.clocks import services
from vigil.core.commands import add_as_of, as_of_option


class Command(BaseCommand):
    help = (
        "Send the daily e-mail digests now: one e-mail to each person who asked for one, "
        "listing the notifications held for it (workers send them at 7 every morning)."
    )

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, **options):
        as_of = as_of_option(options)
        counts = services.run_job(
            "e-mail digests", as_of=as_of, work=lambda: services.send_digests(as_of)
        )
        self.stdout.write(
            f"{counts.get('digests_emailed', 0)} digests sent, listing "
            f"{counts.get('digest_notifications', 0)} notifications; "
            f"{counts.get('digests_email_failed', 0)} failed (tried again one by one), "
            f"{counts.get('digests_email_no_address', 0)} to people with no address."
        )

from django.core.management.base import BaseCommand, CommandError

from vigil.clocks import services
from vigil.core.commands import add_as_of, as_of_option, system_actor


class Command(BaseCommand):
    help = (
        "Escalate every overdue clock to the level it has reached and send each notification "
        "once (running it again sends nothing new). A level that reaches nobody goes further up; "
        "e-mails that failed are tried again after a growing wait."
    )

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, **options):
        as_of = as_of_option(options)
        try:
            counts = services.run_job(
                "escalation sweep",
                as_of=as_of,
                work=lambda: services.sweep(actor=system_actor(), as_of=as_of),
            )
        except services.JobBusy as error:
            raise CommandError(str(error)) from None
        line = (
            f"{counts['escalated']} clocks escalated, {counts['notifications']} new "
            f"notifications, {counts['emailed']} e-mails sent (as of {as_of:%Y-%m-%d %H:%M})."
        )
        if counts["unreached_levels"]:
            line += (
                f" {counts['unreached_levels']} levels reached nobody and went further up, "
                f"{counts['reached_nobody']} of them reaching nobody at all (see the breaches)."
            )
        not_sent = sum(
            counts[key]
            for key in ("email_failed", "email_given_up", "email_no_address", "email_postponed")
        )
        if not_sent:
            line += f" {not_sent} e-mails not sent (see /worklist/notifications/mail/)."
        self.stdout.write(line)

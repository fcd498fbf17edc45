import json

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.http import Http404

from vigil.accounts.selectors import user_named
from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor
from vigil.investigations import retention
from vigil.referrals.changes import RecordError
from vigil.referrals.services import find_referral


class Command(BaseCommand):
    help = "Referrals past their review date, and deleting their personal data on approval."

    def add_arguments(self, parser):
        report, delete = add_actions(
            parser,
            report="Closed referrals past their review date.",
            delete="Delete a referral's personal data (it stays counted and audited).",
        )
        report.add_argument("--json", action="store_true")
        add_as_of(report)
        delete.add_argument("referral", metavar="ID_OR_REFERENCE")
        delete.add_argument(
            "--approved-by",
            required=True,
            help="The username of the person approving (a unit head).",
        )
        delete.add_argument("--reason", required=True)
        add_as_of(delete)

    @no_translations
    def handle(self, *args, **options):
        as_of = as_of_option(options)
        if options["action"] == "report":
            rows = retention.report(system_actor(), as_of=as_of)
            if options["json"]:
                self.stdout.write(json.dumps({"as_of": as_of.isoformat(), "due": rows}))
                return
            self.stdout.write(f"{len(rows)} referral(s) past review as of {as_of:%Y-%m-%d}.")
            for row in rows:
                self.stdout.write(
                    f"{row['referral_id']:>8} {row['force']:<4} "
                    f"{row['source_reference']:<24} outcome {row['outcome']:<4} "
                    f"{row['group']}, review {row['review_at'][:10]}"
                )
            return
        approver = user_named(options["approved_by"])
        if approver is None:
            raise CommandError(f"no active user called {options['approved_by']!r}", returncode=2)
        try:
            referral = find_referral(system_actor(), options["referral"])
            retention.delete_personal_data(
                approver, referral, reason=options["reason"], as_of=as_of
            )
        except (Http404, RecordError) as error:
            raise CommandError(getattr(error, "message", str(error)), returncode=1) from None
        except PermissionDenied as error:
            raise CommandError(str(error), returncode=1) from None
        self.stdout.write(
            f"Personal data of {referral.source_reference} deleted, approved by "
            f"{approver.username}."
        )

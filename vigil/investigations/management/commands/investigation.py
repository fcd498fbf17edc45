import json

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.http import Http404

from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor
from vigil.investigations import services
from vigil.referrals.changes import Conflict, RecordError
from vigil.referrals.services import find_referral


class Command(BaseCommand):
    help = (
        "Referrals about the same suspect joined into one investigation: show one's, join "
        "several (one owner, one set of duties, clocks from the earliest receipt), or take one out."
    )

    def add_arguments(self, parser):
        show, join, leave = add_actions(
            parser,
            show="The investigation a referral is joined into, and what it could be joined with.",
            join="Join referrals into one investigation.",
            leave="Take a referral out of the investigation it was joined into.",
        )
        show.add_argument("reference", metavar="REFERENCE")
        join.add_argument("references", metavar="REFERENCE", nargs="+")
        leave.add_argument("reference", metavar="REFERENCE")
        for parser_ in (join, leave):
            parser_.add_argument("--reason", required=True, help="Why, in words.")
            add_as_of(parser_)
        for parser_ in (show, join, leave):
            parser_.add_argument("--json", action="store_true", help="Print as JSON.")

    @no_translations
    def handle(self, *args, **options):
        actor = system_actor()
        try:
            if options["action"] == "join":
                ids = [find_referral(actor, ref).pk for ref in options["references"]]
                investigation = services.join_investigation(
                    actor, ids, reason=options["reason"], as_of=as_of_option(options)
                )
                referral = find_referral(actor, investigation.lead_id)
            else:
                referral = find_referral(actor, options["reference"])
                if options["action"] == "leave":
                    services.leave_investigation(
                        actor, referral, reason=options["reason"], as_of=as_of_option(options)
                    )
                    referral.refresh_from_db()
            shown = {
                "investigation": services.investigation_of(actor, referral),
                "suggestions": services.join_suggestions(actor, referral),
            }
        except (RecordError, Conflict) as error:
            message = error.message if isinstance(error, Conflict) else " ".join(error.messages)
            raise CommandError(message, returncode=1) from None
        except (PermissionDenied, Http404) as error:
            raise CommandError(str(error) or "not found", returncode=1) from None
        if options["json"]:
            self.stdout.write(json.dumps(shown))
            return
        self._show(referral, shown)

    def _show(self, referral, shown) -> None:
        joined = shown["investigation"]
        if joined is None:
            self.stdout.write(f"{referral.source_reference} is not joined into an investigation.")
        else:
            self.stdout.write(f"Investigation led by {joined['lead']} ({joined['reason']}):")
            for item in joined["referrals"]:
                self.stdout.write(
                    f"  {item['source_reference']}  received {item['received_at']}  "
                    f"{item['grade'] or '-'}"
                )
        for item in shown["suggestions"]:
            self.stdout.write(f"Could be joined with {item['source_reference']}.")

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from vigil.core.asof import AsOfError, parse_as_of
from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor
from vigil.exhibits.choices import ExhibitKind
from vigil.exhibits.services import add_exhibit


class Command(BaseCommand):
    help = "Record devices seized or produced in a referral."

    def add_arguments(self, parser):
        (add,) = add_actions(parser, add="Record a device seized or produced in a referral.")
        add.add_argument("reference", help="The referral's reference or id.")
        add.add_argument("--exhibit", required=True, help="The exhibit reference.")
        add.add_argument("--kind", required=True, choices=ExhibitKind.values)
        add.add_argument("--seized-at", default=None, help="When it was seized (date or time).")
        add.add_argument("--where", default="", help="Where it was seized.")
        add.add_argument("--held-by", default="", help="Who holds it now.")
        add_as_of(add)

    def handle(self, *args, **options):
        seized_at = None
        if options["seized_at"]:
            try:
                seized_at = parse_as_of(options["seized_at"])
            except AsOfError as error:
                raise CommandError(f"--seized-at: {error}", returncode=2) from None
        try:
            exhibit = add_exhibit(
                system_actor(),
                options["reference"],
                options["exhibit"],
                kind=options["kind"],
                seized_at=seized_at,
                seized_where=options["where"],
                held_by=options["held_by"],
                as_of=as_of_option(options),
            )
        except (Http404, PermissionDenied) as error:
            raise CommandError(str(error) or "not found", returncode=1) from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=1) from None
        self.stdout.write(
            f"{exhibit.referral.source_reference}: exhibit {exhibit.reference} ({exhibit.kind})"
        )

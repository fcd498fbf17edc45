import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from vigil.core.asof import AsOfError, parse_as_of
from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor
from vigil.exhibits.choices import ExaminationPath, ExhibitKind
from vigil.exhibits.queue import device_queue, move_exhibit
from vigil.exhibits.services import add_exhibit, find_exhibit
from vigil.referrals.changes import Conflict


class Command(BaseCommand):
    help = "Record devices seized or produced in a referral, move them along their examination "
    "path, and list the queue of devices waiting."

    def add_arguments(self, parser):
        add, move, listing = add_actions(
            parser,
            add="Record a device seized or produced in a referral.",
            move="Move an exhibit along its examination path.",
            list="The devices waiting for examination, most urgent first.",
        )
        add.add_argument("reference", help="The referral's reference or id.")
        add.add_argument("--exhibit", required=True, help="The exhibit reference.")
        add.add_argument("--kind", required=True, choices=ExhibitKind.values)
        add.add_argument("--seized-at", default=None, help="When it was seized (date or time).")
        add.add_argument("--where", default="", help="Where it was seized.")
        add.add_argument("--held-by", default="", help="Who holds it now.")
        add_as_of(add)
        move.add_argument("exhibit", help="The exhibit reference (or #ID).")
        move.add_argument(
            "state",
            choices=[value for value in ExaminationPath.values if value != "waiting"],
            help="Where it goes on its examination path.",
        )
        move.add_argument("--at", default=None, help="When it moved (default: now).")
        add_as_of(move)
        listing.add_argument("--json", action="store_true", help="Print the queue as JSON.")
        add_as_of(listing)

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except (Http404, PermissionDenied) as error:
            raise CommandError(str(error) or "not found", returncode=1) from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=1) from None
        except Conflict as error:
            raise CommandError(error.message, returncode=1) from None

    def _add(self, options):
        exhibit = add_exhibit(
            system_actor(),
            options["reference"],
            options["exhibit"],
            kind=options["kind"],
            seized_at=_when(options["seized_at"], "--seized-at"),
            seized_where=options["where"],
            held_by=options["held_by"],
            as_of=as_of_option(options),
        )
        self.stdout.write(
            f"{exhibit.referral.source_reference}: exhibit {exhibit.reference} ({exhibit.kind})"
        )

    def _move(self, options):
        actor = system_actor()
        as_of = as_of_option(options)
        exhibit = find_exhibit(actor, options["exhibit"])
        before = exhibit.path
        move_exhibit(
            actor,
            exhibit,
            to=options["state"],
            moved_at=_when(options["at"], "--at"),
            as_of=as_of,
        )
        self.stdout.write(
            f"{exhibit.referral.source_reference}: exhibit {exhibit.reference} "
            f"{before} -> {options['state']}"
        )

    def _list(self, options):
        queue = device_queue(system_actor(), as_of=as_of_option(options))
        if options["json"]:
            self.stdout.write(json.dumps(queue))
            return
        if not queue:
            self.stdout.write("No device is waiting.")
            return
        for item in queue:
            clock = item["clock"]
            due = (
                f"due {clock['due_at'][:16]} ({clock['state'].replace('_', ' ')}"
                + (f", level {clock['escalation_level']}" if clock["escalation_level"] else "")
                + ")"
                if clock
                else "no clock"
            )
            self.stdout.write(
                f"{item['reference']:<16} {item['referral']:<20} {item['force']:<6} "
                f"{(item['grade'] or 'ungraded'):<10} {item['kind']:<9} "
                f"waiting {item['days_waiting']:g} days, {due}"
            )


def _when(text, flag: str):
    if not text:
        return None
    try:
        return parse_as_of(text)
    except AsOfError as error:
        raise CommandError(f"{flag}: {error}", returncode=2) from None

import json

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, no_translations

from vigil.core.commands import add_as_of, as_of_option, system_actor
from vigil.intake import unknown_values
from vigil.referrals.changes import RecordError


def _row(row) -> dict:
    return {
        "field": row.field,
        "value": row.value,
        "times_seen": row.times_seen,
        "first_seen_at": row.first_seen_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat(),
        "mapped_to": row.mapped_to,
        "mapped_by": row.mapped_by_name,
        "mapped_at": row.mapped_at.isoformat() if row.mapped_at else None,
    }


class Command(BaseCommand):
    help = (
        "Words documents used that Vigil did not know (read as 'other' meanwhile): list them, "
        "or say what one means (`map FIELD VALUE MAPPED_TO`), which every open referral that "
        "used it, and every document from now on, then reads."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print as JSON.")
        commands = parser.add_subparsers(dest="action")
        mapping = commands.add_parser("map", help="Say what a word means.")
        mapping.add_argument("field", metavar="FIELD", help=", ".join(unknown_values.FIELDS))
        mapping.add_argument("value", metavar="VALUE", help="The word, exactly as written.")
        mapping.add_argument("mapped_to", metavar="MAPPED_TO", help="A word Vigil knows.")
        mapping.add_argument("--json", action="store_true", help="Print the result as JSON.")
        add_as_of(mapping)

    @no_translations
    def handle(self, *args, **options):
        actor = system_actor()
        try:
            if options.get("action") == "map":
                mapped = unknown_values.map_unknown_value(
                    actor,
                    options["field"],
                    options["value"],
                    options["mapped_to"],
                    as_of=as_of_option(options),
                )
                self._mapped(mapped, options)
                return
            rows = unknown_values.unknown_values(actor)
        except RecordError as error:
            raise CommandError(" ".join(error.messages), returncode=1) from None
        except PermissionDenied as error:
            raise CommandError(str(error), returncode=1) from None
        if options["json"]:
            self.stdout.write(json.dumps({"items": [_row(row) for row in rows]}))
            return
        if not rows:
            self.stdout.write("No unknown words.")
        for row in rows:
            meaning = f"read as {row.mapped_to}" if row.mapped_to else "not yet mapped"
            self.stdout.write(
                f"{row.field}: {row.value!r} seen {row.times_seen} time(s); {meaning}"
            )

    def _mapped(self, mapped, options) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(mapped.as_dict()))
            return
        closed = f"; {mapped.closed} closed referral(s) left as they were" if mapped.closed else ""
        self.stdout.write(
            f"{mapped.field} {mapped.value!r} is now read as {mapped.mapped_to!r}: "
            f"{mapped.referrals} referral(s) re-read and re-graded{closed}."
        )

import json

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.http import Http404

from vigil.core.commands import (
    add_actions,
    add_as_of,
    as_of_option,
    read_json_object,
    system_actor,
)
from vigil.intake.research import add_research
from vigil.referrals.recordings import REFUSALS, answer, refusal_text
from vigil.referrals.services import find_referral


class Command(BaseCommand):
    help = (
        "Record research on a referral: `vigil research add REFERENCE FILE [--as-of WHEN]`, "
        'FILE a JSON object {"source", "learned_at", "subjects", "access", "checks"} '
        "(docs/investigation.md); - reads it from standard input."
    )

    def add_arguments(self, parser):
        (add,) = add_actions(parser, add="Add a research record to a referral")
        add.add_argument("referral", metavar="REFERENCE", help="source reference or id")
        add.add_argument("file", metavar="FILE", help="the research record (JSON); - for stdin")
        add.add_argument("--json", action="store_true", help="Print the answer as JSON.")
        add_as_of(add)

    @no_translations
    def handle(self, *args, **options):
        as_of = as_of_option(options)
        actor = system_actor()
        record = read_json_object(options["file"])
        if "expected_version" in record:
            raise CommandError("$.expected_version: not a field of a research record", returncode=2)
        try:
            referral = find_referral(actor, options["referral"])
            research, change = add_research.perform(actor, referral, as_of=as_of, **record)
        except Http404 as error:
            raise CommandError(str(error), returncode=1) from None
        except (*REFUSALS, PermissionDenied) as error:
            raise CommandError(f"not recorded: {refusal_text(error)}", returncode=1) from None
        if options["json"]:
            self.stdout.write(json.dumps(answer(research, change), ensure_ascii=False))
            return
        summary = research.summary
        parts = [
            f"{len(summary['people_added'])} people added",
            f"{len(summary['people_changed'])} changed",
            *(
                f"{summary[name]} {name.replace('_', ' ')}"
                for name in ("identifiers", "addresses", "history", "checks", "links")
                if summary.get(name)
            ),
        ]
        self.stdout.write(
            f"Research {research.pk} recorded on {change.referral.source_reference}: "
            f"{', '.join(parts)}. Grade {change.referral.grade or 'not set'}"
            f"{' (provisional)' if change.referral.grade_provisional else ''}; "
            f"version {change.referral.version}."
        )

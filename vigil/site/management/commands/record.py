import json
from typing import get_args, get_origin

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from vigil.core.commands import add_as_of, as_of_option, system_actor
from vigil.exhibits import queue as exhibits
from vigil.intake import requests as data_requests
from vigil.intake import research
from vigil.investigations import services as investigations
from vigil.people import services as people
from vigil.referrals import services as referrals
from vigil.referrals.recordings import REFUSALS, answer, refusal_text
from vigil.referrals.services import find_referral
from vigil.risk import services as risk
from vigil.safeguarding import services as safeguarding

RECORDINGS = {
    entry.name: entry
    for module in (
        referrals,
        people,
        research,
        risk,
        safeguarding,
        investigations,
        data_requests,
        exhibits,
    )
    for entry in module.RECORDINGS
}


def _is_list(annotation) -> bool:
    return get_origin(annotation) is list or any(
        get_origin(arg) is list for arg in get_args(annotation)
    )


class Command(BaseCommand):
    help = (
        "Record something about a referral, as the page and the API do: "
        "`vigil record NAME REFERENCE --field value …` (`vigil record NAME --help` lists them)."
    )

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="recording", required=True, metavar="NAME")
        for name, entry in sorted(RECORDINGS.items()):
            sub = kinds.add_parser(name, help=entry.summary)
            if entry.item is not None:
                sub.add_argument(
                    "item", type=int, metavar="ID", help=f"the {entry.item._meta.verbose_name}"
                )
            else:
                sub.add_argument("referral", metavar="REFERENCE")
            for arg in entry.path_args:
                sub.add_argument(arg, metavar=arg.upper())
            for field_name, spec in entry.schema.model_fields.items():
                flag = "--" + field_name.replace("_", "-")
                listed = _is_list(spec.annotation)
                sub.add_argument(
                    flag,
                    dest=f"field_{field_name}",
                    nargs="+" if listed else None,
                    required=spec.is_required(),
                    help=spec.description or None,
                )
            sub.add_argument("--json", action="store_true", help="Print the answer as JSON.")
            add_as_of(sub)

    def handle(self, *args, **options):
        entry = RECORDINGS[options["recording"]]
        as_of = as_of_option(options)
        actor = system_actor()
        data = {
            name: self._value(value)
            for key, value in options.items()
            if key.startswith("field_") and value is not None
            for name in [key.removeprefix("field_")]
        }
        try:
            parsed = entry.schema.model_validate(data).dict()
            if entry.item is not None:
                target = entry.item.objects.restrict(actor).filter(pk=options["item"]).first()
                if target is None:
                    raise Http404(f"no {entry.item._meta.verbose_name} {options['item']}")
            else:
                target = find_referral(actor, options["referral"])
            made, change = entry.perform(
                actor,
                target,
                *[options[name] for name in entry.path_args],
                as_of=as_of,
                expected_version=parsed.get("expected_version"),
                **entry.arguments_of(parsed),
            )
        except Http404 as error:
            raise CommandError(str(error), returncode=1) from None
        except (*REFUSALS, PermissionDenied) as error:
            raise CommandError(f"not recorded: {refusal_text(error)}", returncode=1) from None
        result = answer(made, change)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(
                f"{entry.done} {change.referral.source_reference} is at version "
                f"{result['version']}."
            )

    @staticmethod
    def _value(value):
        # A JSON object or list may be given for the fields that take one (details, changes).
        if isinstance(value, str) and value[:1] in "{[":
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

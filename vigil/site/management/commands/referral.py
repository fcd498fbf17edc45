import json

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor
from vigil.referrals.changes import Conflict, RecordError
from vigil.referrals.services import find_referral, open_referral, restrict_referral
from vigil.site.services import referral_detail


class Command(BaseCommand):
    help = "Show a referral, or restrict it to named people."

    def add_arguments(self, parser):
        show, limit = add_actions(
            parser,
            show="Show one referral by id or source reference.",
            restrict="Restrict a referral to named people (--to), "
            "or lift the restriction (--lift).",
        )
        show.add_argument("referral", metavar="ID_OR_REFERENCE")
        show.add_argument("--json", action="store_true")
        add_as_of(show)
        limit.add_argument("referral", metavar="REFERENCE")
        who = limit.add_mutually_exclusive_group(required=True)
        who.add_argument("--to", nargs="+", metavar="USERNAME", help="The people who may see it.")
        who.add_argument("--lift", action="store_true", help="Everyone in the force sees it again.")
        add_as_of(limit)

    def handle(self, *args, **options):
        as_of = as_of_option(options)
        actor = system_actor()
        if options["action"] == "restrict":
            self._restrict(actor, options, as_of)
            return
        try:
            referral = open_referral(actor, options["referral"], as_of=as_of)
        except Http404 as error:
            raise CommandError(str(error), returncode=1) from None
        detail = referral_detail(referral, actor, as_of=as_of)
        if options["json"]:
            self.stdout.write(json.dumps(detail, ensure_ascii=False))
            return
        self._print(detail)

    def _restrict(self, actor, options, as_of) -> None:
        try:
            referral = find_referral(actor, options["referral"])
            restrict_referral(
                actor,
                referral,
                restricted=not options["lift"],
                usernames=options["to"] or [],
                as_of=as_of,
            )
        except Http404 as error:
            raise CommandError(str(error), returncode=1) from None
        except (RecordError, Conflict) as error:
            raise CommandError(getattr(error, "message", str(error)), returncode=1) from None
        if options["lift"]:
            self.stdout.write(f"{referral.source_reference} is no longer restricted.")
        else:
            named = ", ".join(referral.named_people.values_list("user__username", flat=True))
            self.stdout.write(f"{referral.source_reference} is restricted to {named}.")

    def _print(self, detail: dict) -> None:
        write = self.stdout.write
        write(f"Referral {detail['id']}: {detail['source']} {detail['source_reference']}")
        write(f"  force {detail['force']}, received {detail['received_at']}, {detail['status']}")
        incident = detail["incident"]
        write(
            f"  incident: {incident['type'] or 'not given'}"
            f"{' (escalated)' if incident['escalated'] else ''}"
        )
        if detail["summary"]:
            write(f"  summary: {detail['summary']}")
        risk = detail["risk"]
        if risk is None:
            write("  grade: none yet")
        else:
            write(
                f"  grade: {risk['grade'].replace('_', ' ')}"
                f"{' (provisional)' if risk['provisional'] else ''}, assessed "
                f"{risk['assessed_at']} under {risk['policy']}: {risk['sentence']}"
            )
        for person in detail["subjects"]:
            name = f"{person['first_name']} {person['last_name']}".strip() or "(not named)"
            age = person["age_today"]
            write(
                f"  {person['role']}: {name}"
                f"{f', aged {age}' if age is not None else ''} [{person['ref']}]"
            )
            for identifier in person["identifiers"]:
                write(f"      {identifier['type']}: {identifier['value']}")
        for item in detail["material"]:
            category = item["category"] or "-"
            write(f"  material: {item['count']} × {item['kind']} category {category}")
        for link in detail["linked_referrals"]:
            write(f"  linked: {_linked(link)}")
        for document in detail["documents"]:
            write(f"  document: {document['name']} sha256 {document['sha256']}")
        for item in detail["unmapped"]:
            write(f"  not mapped: {item}")


def _linked(link: dict) -> str:
    return (
        f"{link['force']} {link['source_reference']} – {link['reason_text']}: {link['matched_on']}"
    )

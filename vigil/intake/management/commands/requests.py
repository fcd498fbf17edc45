import json
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.http import Http404
from django.utils import timezone

from vigil.core.commands import (
    add_actions,
    add_as_of,
    as_of_option,
    read_json_object,
    system_actor,
)
from vigil.intake import requests
from vigil.referrals.recordings import REFUSALS, refusal_text
from vigil.referrals.services import find_referral


def _values(choices) -> str:
    return ", ".join(value for value, _ in choices)


class Command(BaseCommand):
    help = (
        "Requests to providers for what they hold: add one, record it sent, acknowledged, "
        "returned or refused, and list a referral's."
    )

    def add_arguments(self, parser):
        add, sent, acknowledged, returned, refused, listing = add_actions(
            parser,
            add="Record a request to a provider; prints its id and when its clock is due.",
            sent="Record when a request went out.",
            acknowledged="Record that the provider acknowledged a request.",
            returned="Record that the provider returned what was asked (meets its clock).",
            refused="Record that the provider refused a request (meets its clock).",
            list="A referral's requests, each with its state and clock.",
        )
        add.add_argument("referral", metavar="REFERENCE")
        add.add_argument("--to", required=True, metavar="PROVIDER", help="Whom it was asked of.")
        add.add_argument(
            "--basis", required=True, help=f"The legal basis: {_values(requests.BASES)}."
        )
        add.add_argument("--asked", required=True, metavar="TEXT", help="What was asked for.")
        add.add_argument(
            "--route",
            default="internet_company_nca",
            help=f"Through whom: {_values(requests.ROUTES)} (default internet_company_nca).",
        )
        add.add_argument("--sent-at", metavar="WHEN", help="When it went out (default: not yet).")
        for sub, at in (
            (sent, "When it went out"),
            (acknowledged, "When it was acknowledged"),
            (returned, "When it came back"),
            (refused, "When it was refused"),
        ):
            sub.add_argument("request", type=int, metavar="ID", help="The request's id.")
            sub.add_argument("--at", metavar="WHEN", help=f"{at} (default: now).")
        returned.add_argument("--result", default="", metavar="TEXT", help="What came back.")
        returned.add_argument(
            "--research",
            metavar="FILE",
            help="What came back as a research record (as for `vigil research add`): recorded "
            "on the referral and matched again against every force's referrals.",
        )
        refused.add_argument("--reason", required=True, metavar="TEXT", help="Why it was refused.")
        listing.add_argument("referral", metavar="REFERENCE")
        for sub in (add, sent, acknowledged, returned, refused, listing):
            sub.add_argument("--json", action="store_true", help="Print the request(s) as JSON.")
            add_as_of(sub)

    @no_translations
    def handle(self, *args, **options):
        as_of = as_of_option(options)
        actor = system_actor()
        action = options["action"]
        try:
            if action == "list":
                referral = find_referral(actor, options["referral"])
                self._list(requests.requests_detail(referral, as_of=as_of), options)
                return
            if action == "add":
                entry, target = requests.add_request, find_referral(actor, options["referral"])
                data = {
                    "provider": options["to"],
                    "basis": options["basis"],
                    "asked": options["asked"],
                    "route": options["route"],
                    "sent_at": options["sent_at"],
                }
            else:
                entry = {
                    "sent": requests.record_sent,
                    "acknowledged": requests.record_acknowledged,
                    "returned": requests.record_returned,
                    "refused": requests.record_refused,
                }[action]
                target = requests.find_request(actor, options["request"])
                data = {f"{action}_at": options["at"]}
                if action == "returned":
                    data["result"] = options["result"]
                    if options["research"]:
                        data["research"] = read_json_object(options["research"])
                if action == "refused":
                    data["reason"] = options["reason"]
            parsed = entry.schema.model_validate(
                {key: value for key, value in data.items() if value is not None}
            ).dict()
            made = entry(actor, target, as_of=as_of, **entry.arguments_of(parsed))
        except Http404 as error:
            raise CommandError(str(error), returncode=1) from None
        except (*REFUSALS, PermissionDenied) as error:
            raise CommandError(f"not recorded: {refusal_text(error)}", returncode=1) from None
        shown = next(
            item
            for item in requests.requests_detail(made.referral, as_of=as_of)
            if item["id"] == made.pk
        )
        if options["json"]:
            self.stdout.write(json.dumps(shown, ensure_ascii=False))
            return
        self.stdout.write(f"{entry.done} {self._line(shown)}")

    def _list(self, rows: list[dict], options) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write("No data requests.")
        for row in rows:
            self.stdout.write(self._line(row))

    @staticmethod
    def _line(row: dict) -> str:
        clock = row["clock"]
        due = "no clock"
        if clock is not None:
            moment = timezone.localtime(datetime.fromisoformat(clock["due_at"]))
            due = f"due {moment:%Y-%m-%d %H:%M} ({clock['state'].replace('_', ' ')})"
        return (
            f"Request {row['id']} to {row['provider']} ({row['basis']}): "
            f"{row['state_text'].lower()}; {due}"
        )

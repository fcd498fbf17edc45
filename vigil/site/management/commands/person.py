import json

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from vigil.accounts.selectors import user_named
from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor
from vigil.site.services import person_detail


class Command(BaseCommand):
    help = "Show one person across every referral deconfliction links them in."

    def add_arguments(self, parser):
        (show,) = add_actions(
            parser,
            show="Show one person by id: their referrals and grades, identifiers, addresses "
            "over time, households, children in view and open clocks.",
        )
        show.add_argument("person", metavar="ID", type=int)
        show.add_argument(
            "--as",
            dest="as_user",
            default="",
            help="Show as this user, with only what they may see (default: every force).",
        )
        show.add_argument("--json", action="store_true")
        add_as_of(show)

    def handle(self, *args, **options):
        as_of = as_of_option(options)
        actor = system_actor()
        if options["as_user"]:
            actor = user_named(options["as_user"])
            if actor is None:
                raise CommandError(f"no active user {options['as_user']!r}", returncode=2)
        try:
            detail = person_detail(actor, options["person"], as_of=as_of)
        except Http404 as error:
            raise CommandError(str(error), returncode=1) from None
        if options["json"]:
            self.stdout.write(json.dumps(detail, ensure_ascii=False))
            return
        self._print(detail)

    def _print(self, detail: dict) -> None:
        write = self.stdout.write
        references = {item["id"]: item["source_reference"] for item in detail["referrals"]}
        age = detail["age_today"]
        child = " (a child)" if detail["is_child"] else ""
        write(f"Person {detail['id']}: {detail['name']}{child}")
        write(
            f"  {', '.join(role.replace('_', ' ') for role in detail['roles'])}; born "
            f"{', '.join(detail['dates_of_birth']) or 'not known'}; aged "
            f"{'at least ' if detail['age_is_estimated'] and age is not None else ''}"
            f"{age if age is not None else 'not known'} on {detail['as_of'][:10]}"
        )
        if detail["truncated"]:
            write("  (linked to more records than are shown)")
        write("Referrals:")
        for item in detail["referrals"]:
            grade = item["grade"].replace("_", " ") or "not graded"
            reasons = "; ".join(item["linked_because"])
            write(
                f"  {item['source_reference']} ({item['force']}, {item['status']}): {grade}"
                f"{' (provisional)' if item['grade_provisional'] else ''}, "
                f"as {', '.join(role.replace('_', ' ') for role in item['roles'])}"
                f"{f' – {reasons}' if reasons else ''}"
            )
        for title, lines in (
            ("Identifiers", [_identifier(item, references) for item in detail["identifiers"]]),
            ("Addresses", [_address(item, references) for item in detail["addresses"]]),
            ("Households", _households(detail["households"], references)),
            ("Children in view", [_child(item) for item in detail["children_in_view"]]),
            ("Reached by", [_reached(item) for item in detail["reached_by"]]),
            ("Open clocks", [_clock(item) for item in detail["clocks"]]),
        ):
            write(f"{title}:")
            for line in lines or ["none"]:
                write(f"  {line}")


def _from(ids: list[int], references: dict) -> str:
    return ", ".join(references.get(pk, str(pk)) for pk in ids)


def _identifier(item: dict, references: dict) -> str:
    service = f" at {item['service']}" if item["service"] else ""
    return f"{item['kind']}: {item['value']}{service} [{_from(item['referral_ids'], references)}]"


def _address(item: dict, references: dict) -> str:
    span = f" from {item['lived_from']}" if item["lived_from"] else ""
    span += f" until {item['lived_until']}" if item["lived_until"] else ""
    return f"{item['text'] or 'not given'}{span} [{_from(item['referral_ids'], references)}]"


def _households(households: list[dict], references: dict) -> list[str]:
    return [
        f"{references.get(item['referral_id'])}: "
        + ", ".join(
            f"{member['name']} ({member['role'].replace('_', ' ')}"
            f"{', aged ' + str(member['age_today']) if member['age_today'] is not None else ''})"
            for member in item["members"]
        )
        for item in households
    ]


def _child(item: dict) -> str:
    age = item["age"] if item["age"] is not None else "age not known"
    return f"{item['name']}, {age}: {', '.join(item['relations'])} [{item['source_reference']}]"


def _reached(item: dict) -> str:
    return (
        f"{item['name']} (person {item['person_id']}): {', '.join(item['relations'])} "
        f"[{item['source_reference']}]"
    )


def _clock(item: dict) -> str:
    return f"{item['source_reference']}: {item['text']}, due {item['due_at']} ({item['state']})"

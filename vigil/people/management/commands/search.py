import json

from django.core.management.base import BaseCommand, CommandError

from vigil.accounts.selectors import user_named
from vigil.core.commands import add_as_of, as_of_option, system_actor
from vigil.people import search as searching


class Command(BaseCommand):
    help = (
        "Referrals a query finds: a name (misspelt, transposed or accented), e-mail, phone, "
        "username, IP address, postcode, reference or CyberTip report number, MD5 or SHA-1."
    )

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="+", help="What to look for (words are joined).")
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            help="Search as this user, seeing only what they may see (default: every force).",
        )
        parser.add_argument("--limit", type=int, default=searching.LIMIT)
        parser.add_argument("--json", action="store_true")
        add_as_of(parser)

    def handle(self, *args, **options):
        actor = system_actor()
        if options["as_user"]:
            actor = user_named(options["as_user"])
            if actor is None:
                raise CommandError(f"no active user {options['as_user']!r}", returncode=2)
        items = searching.search(
            actor, " ".join(options["query"]), as_of=as_of_option(options), limit=options["limit"]
        )
        if options["json"]:
            self.stdout.write(json.dumps({"items": items}))
            return
        if not items:
            self.stdout.write("Nothing found.")
            return
        for item in items:
            self.stdout.write(
                f"{item['score']:5.2f} {item['kind']:<9} {item['force']:<4} "
                f"{item['source_reference']:<24} {item['person'] or '-':<28} {item['matched_on']}"
            )

from django.core.management.base import BaseCommand, CommandError

from vigil.accounts.selectors import token_with_prefix, user_named
from vigil.accounts.services import issue_token, withdraw_token
from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor


class Command(BaseCommand):
    help = "Create, list and revoke users' API tokens."

    def add_arguments(self, parser):
        create, listing, revoke = add_actions(
            parser,
            create="Create a token; it is shown once.",
            list="List a user's tokens.",
            revoke="Revoke a token by its prefix.",
        )
        create.add_argument("username")
        create.add_argument("--name", default="api")
        add_as_of(create)
        listing.add_argument("username")
        revoke.add_argument("prefix")
        add_as_of(revoke)

    def handle(self, *args, **options):
        action = options["action"]
        if action == "revoke":
            token = token_with_prefix(options["prefix"])
            if token is None:
                raise CommandError(f"no token starts {options['prefix']!r}", returncode=2)
            withdraw_token(system_actor(), token, as_of=as_of_option(options))
            self.stdout.write(f"Revoked {token.prefix}… ({token.user.username}, {token.name}).")
            return
        user = user_named(options["username"], active_only=False)
        if user is None:
            raise CommandError(f"no user called {options['username']!r}", returncode=2)
        if action == "list":
            for token in user.api_tokens.order_by("created_at"):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                self.stdout.write(f"{token.prefix}…  {token.name:<20} {state}")
            return
        _, key = issue_token(system_actor(), user, options["name"], as_of=as_of_option(options))
        self.stdout.write(key)

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.accounts.selectors import users
from vigil.accounts.services import add_user, set_active
from vigil.core.commands import add_actions, add_as_of, as_of_option, system_actor
from vigil.core.roles import Role


class Command(BaseCommand):
    help = "Add, list, switch on or switch off users."

    def add_arguments(self, parser):
        add, _, activate, deactivate = add_actions(
            parser,
            add="Add a user. The password is asked for.",
            list="List users.",
            activate="Switch a user on: they may sign in again (single sign-on too).",
            deactivate="Switch a user off: they may not sign in, by any means.",
        )
        for switch in (activate, deactivate):
            switch.add_argument("username")
            add_as_of(switch)
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--force", default="", help="Force code (every role but oversight).")
        add.add_argument("--region", default="", help="Region (regional oversight).")
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        add.add_argument("--email", default="")
        add.add_argument(
            "--password-stdin", action="store_true", help="Read the password from stdin."
        )
        add_as_of(add)

    def handle(self, *args, **options):
        if options["action"] == "list":
            for user in users():
                where = user.force.code if user.force else f"region {user.region}"
                state = "" if user.is_active else "  (switched off)"
                self.stdout.write(
                    f"{user.username:<24} {user.get_role_display():<22} {where}{state}"
                )
            return
        if options["action"] in {"activate", "deactivate"}:
            active = options["action"] == "activate"
            try:
                user, changed = set_active(
                    system_actor(), options["username"], active, as_of=as_of_option(options)
                )
            except ValueError as error:
                raise CommandError(str(error), returncode=2) from None
            state = "on" if active else "off"
            self.stdout.write(
                f"{user.username} switched {state}" if changed else f"{user.username} was {state}"
            )
            return
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("the passwords differ", returncode=2)
        try:
            user = add_user(
                system_actor(),
                options["username"],
                role=options["role"],
                password=password,
                force_code=options["force"],
                region=options["region"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                as_of=as_of_option(options),
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=2) from None
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(f"Added {user.username} ({user.get_role_display()}).")

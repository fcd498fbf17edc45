"""What every ``vigil`` command shares: who is acting, and as of when."""

import getpass
import sys

from django.core.management.base import CommandError

from vigil.core.actors import SystemActor
from vigil.core.asof import AsOfError, parse_as_of


def system_actor() -> SystemActor:
    return SystemActor(f"cli:{getpass.getuser()}")


def add_actions(parser, **actions: str) -> list:
    """One sub-command for each of a command's actions (``vigil forces add``, ``vigil forces
    list``), each with its help; ``options["action"]`` names the one asked for. Returns their
    parsers in the order given, for the arguments of each."""
    commands = parser.add_subparsers(dest="action", required=True)
    return [commands.add_parser(name, help=text) for name, text in actions.items()]


def add_as_of(parser) -> None:
    parser.add_argument(
        "--as-of",
        default=None,
        help="Act and report as of this date or time (default: now). "
        "YYYY-MM-DD means the end of that day, London time.",
    )


def as_of_option(options):
    try:
        return parse_as_of(options.get("as_of"))
    except AsOfError as error:
        raise CommandError(str(error), returncode=2) from None


def on_terminal() -> bool:
    return sys.stderr.isatty()

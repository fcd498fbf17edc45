"""What every ``vigil`` command shares: who is acting, and as of when."""

import getpass
import json
import sys
from pathlib import Path

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


def read_json_object(name: str) -> dict:
    """A JSON object from a file (``-``: standard input), or a ``CommandError`` saying where it
    is not one."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"cannot read {name}: {error.strerror}", returncode=2) from None
    except UnicodeDecodeError:
        raise CommandError(f"{name} is not UTF-8 text", returncode=2) from None
    try:
        found = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{name} is not valid JSON: {error.msg.lower()} at line {error.lineno}, "
            f"column {error.colno}",
            returncode=2,
        ) from None
    if not isinstance(found, dict):
        raise CommandError(f"$: {name} must hold a JSON object", returncode=2)
    return found

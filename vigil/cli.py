"""The ``vigil`` command: Django's management commands, run as the person at the terminal.

Every command runs with its audit origin set to the command line, so the trail says who ran
what from where.
"""

import getpass
import os
import socket
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    from django.core.management import execute_from_command_line

    # Imported once the settings module is named: the audit trail's modules read settings.
    from vigil.audit.context import origin

    with origin("cli", source_address=f"{getpass.getuser()}@{socket.gethostname()}"):
        execute_from_command_line(["vigil", *sys.argv[1:]])


if __name__ == "__main__":
    main()

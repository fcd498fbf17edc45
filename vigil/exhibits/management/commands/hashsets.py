import json

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from vigil.core.commands import add_actions, add_as_of, as_of_option, on_terminal, system_actor
from vigil.exhibits.hashsets import HashSetError
from vigil.exhibits.services import hash_set_list, import_hashset


class Command(BaseCommand):
    help = "Import and list the known-image hash sets triage matches against."

    def add_arguments(self, parser):
        importing, listing = add_actions(
            parser,
            **{
                "import": "Import a hash set file as the new version of a named set.",
                "list": "List the hash sets with their source and size.",
            },
        )
        importing.add_argument("file")
        importing.add_argument("--name", required=True)
        importing.add_argument(
            "--format",
            choices=["vics", "csv"],
            default=None,
            help="vics (Project VIC / CAID JSON) or csv (md5,sha1,pdq,category); "
            "default: vics for a .json file, csv otherwise.",
        )
        add_as_of(importing)
        listing.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        actor = system_actor()
        if options["action"] == "list":
            rows = hash_set_list(actor)
            if options["json"]:
                self.stdout.write(json.dumps(rows))
                return
            for row in rows:
                self.stdout.write(
                    f"{row['name']:<20} v{row['version']:<4} {row['size']:>12,} hashes  "
                    f"{row['format']} {row['format_version']}  {row['source']}"
                )
            return
        try:
            with tqdm(desc="Importing hashes", unit=" hashes", disable=not on_terminal()) as bar:
                version = import_hashset(
                    actor,
                    options["file"],
                    name=options["name"],
                    format=options["format"],
                    as_of=as_of_option(options),
                    progress=bar.update,
                )
        except OSError as error:
            raise CommandError(
                f"cannot read {options['file']}: {error.strerror}", returncode=2
            ) from None
        except HashSetError as error:
            raise CommandError(str(error), returncode=2) from None
        except PermissionDenied as error:
            raise CommandError(str(error), returncode=1) from None
        self.stdout.write(
            f"{version.hash_set.name}: version {version.number}, {version.size:,} hashes "
            f"({version.format} {version.format_version}) from {version.source}"
        )

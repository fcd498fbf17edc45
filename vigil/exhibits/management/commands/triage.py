import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone
from tqdm import tqdm

from vigil.core.commands import add_as_of, as_of_option, on_terminal, system_actor
from vigil.exhibits.hashsets import HashSetError
from vigil.exhibits.services import files_to_read, finish_triage, read_files, start_triage


class Command(BaseCommand):
    help = (
        "Triage an exhibit against the known-image hash sets, from a mounted device or folder or "
        "a hash list (hashdeep, md5deep, or a path,md5,sha1 CSV). A stopped run resumes."
    )

    def add_arguments(self, parser):
        parser.add_argument("exhibit", help="The exhibit's reference (or #ID).")
        parser.add_argument("path", help="A folder (a mounted device) or a hash list file.")
        parser.add_argument("--json", action="store_true", help="Print the answer as JSON.")
        add_as_of(parser)

    def handle(self, *args, **options):
        actor = system_actor()
        as_of = as_of_option(options)
        try:
            run = start_triage(actor, options["exhibit"], options["path"], as_of=as_of)
            total = files_to_read(run) if on_terminal() else 0
            with tqdm(
                total=total or None, desc="Hashing files", unit=" files", disable=not on_terminal()
            ) as bar:
                read_files(run, bar.update)
            # The answer is recorded as of when it was reached, unless told otherwise.
            finished = as_of if options.get("as_of") else timezone.now()
            result = finish_triage(actor, run, as_of=finished)
        except (Http404, PermissionDenied) as error:
            raise CommandError(str(error) or "not found", returncode=1) from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=1) from None
        except HashSetError as error:
            raise CommandError(str(error), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        counts = result["categories"]
        self.stdout.write(
            f"{result['files']:,} files, {result['images']:,} images: "
            f"{result['exact']:,} exact and {result['near']:,} near matches "
            f"(A {counts['A']}, B {counts['B']}, C {counts['C']}, other {counts['other']}); "
            f"{result['unknown_images']:,} images unknown"
        )

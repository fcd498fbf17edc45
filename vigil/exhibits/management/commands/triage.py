import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone
from tqdm import tqdm

from vigil.core.commands import add_as_of, as_of_option, on_terminal, system_actor
from vigil.exhibits.hashsets import HashSetError
from vigil.exhibits.services import (
    files_to_read,
    finish_triage,
    read_files,
    start_triage,
    triage_summary,
    victim_identification,
)


class Command(BaseCommand):
    help = (
        "Triage an exhibit against the known-image hash sets, from a mounted device or folder or "
        "a hash list (hashdeep, md5deep, or a path,md5,sha1 CSV). A stopped run resumes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "exhibit", help="The exhibit's reference (or #ID); or `show` followed by one."
        )
        parser.add_argument(
            "path",
            nargs="?",
            help="A folder (a mounted device) or a hash list file; after `show`, the exhibit.",
        )
        parser.add_argument("--json", action="store_true", help="Print the answer as JSON.")
        parser.add_argument(
            "--victim-identification",
            action="store_true",
            help="With `show`: list the files matching a set entry with a victim-identified or "
            "series field.",
        )
        add_as_of(parser)

    def handle(self, *args, **options):
        if options["exhibit"] == "show":
            return self.show(options)
        if options["victim_identification"]:
            raise CommandError("--victim-identification goes with `vigil triage show EXHIBIT`")
        if not options["path"]:
            raise CommandError("give the exhibit and the PATH to triage", returncode=2)
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

    def show(self, options):
        """``vigil triage show EXHIBIT [--victim-identification] [--json]``"""
        if not options["path"]:
            raise CommandError("give the exhibit to show: vigil triage show EXHIBIT", returncode=2)
        actor = system_actor()
        try:
            if options["victim_identification"]:
                rows = victim_identification(actor, options["path"])
            else:
                summary = triage_summary(actor, options["path"])
        except (Http404, PermissionDenied) as error:
            raise CommandError(str(error) or "not found", returncode=1) from None
        if options["victim_identification"]:
            if options["json"]:
                self.stdout.write(json.dumps(rows))
                return
            if not rows:
                self.stdout.write("No file matched an entry with a victim or series field.")
                return
            words = {False: "victim not identified", None: "not said", True: "victim identified"}
            for row in rows:
                how = "exact" if row["kind"] != "pdq" else f"near, distance {row['distance']}"
                self.stdout.write(
                    f"{row['path']}: {words[row['victim_identified']]}; "
                    f"series {row['series'] or '(none)'}; category {row['category'] or '-'}; "
                    f"{row['hash_set']} v{row['hash_set_version']} ({how})"
                )
            return
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        answer = summary["triage"]
        self.stdout.write(
            f"Exhibit {summary['exhibit']} ({summary['kind']}) of {summary['referral']}: "
            f"{summary['path'].replace('_', ' ')}"
        )
        if answer is None:
            self.stdout.write("Not triaged yet.")
            return
        counts = answer["categories"]
        self.stdout.write(
            f"Last triage (run {summary['run']['id']}, {summary['run']['finished_at']}): "
            f"{answer['files']:,} files, {answer['images']:,} images; {answer['exact']:,} exact "
            f"and {answer['near']:,} near matches (A {counts['A']}, B {counts['B']}, "
            f"C {counts['C']}, other {counts['other']})"
        )
        self.stdout.write(
            f"Unknown images for the examiner: {summary['unknown_images']:,}; "
            f"listed for victim identification: {summary['victim_identification']:,}"
        )

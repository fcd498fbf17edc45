import json
import sys

from django.core.management.base import BaseCommand, CommandError, no_translations
from tqdm import tqdm

from vigil.core.asof import AsOfError, parse_as_of
from vigil.core.commands import add_as_of, as_of_option, on_terminal, system_actor
from vigil.intake.services import ImportOptions, import_paths
from vigil.intake.sources import FORMATS, estimate_count


class Command(BaseCommand):
    help = (
        "Import referrals from JSON (.json, .jsonl), CyberTipline XML, CyberTipline folders "
        "or zips. Exit 0 when nothing was rejected, 1 when something was, 2 on a usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", choices=FORMATS, default="auto")
        parser.add_argument(
            "--force", default="", help="Owning force for documents that do not name one."
        )
        parser.add_argument(
            "--source-reference",
            default="",
            help="Reference for a single CyberTipline package (else its reportId, else its name).",
        )
        parser.add_argument(
            "--received-at",
            default="",
            help="When the force received CyberTipline packages (default: now).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Referrals stored per transaction, each whole or not at all (default 500; "
            "1: one transaction per referral).",
        )
        add_as_of(parser)

    @no_translations
    def handle(self, *args, **options):
        as_of = as_of_option(options)
        if options["source_reference"] and len(options["paths"]) > 1:
            raise CommandError(
                "--source-reference names one referral; give one package", returncode=2
            )
        try:
            received_at = parse_as_of(options["received_at"]) if options["received_at"] else None
        except AsOfError as error:
            raise CommandError(f"--received-at: {error}", returncode=2) from None
        opts = ImportOptions(
            force_code=options["force"],
            source_reference=options["source_reference"],
            received_at=received_at,
            fmt=options["format"],
            batch_size=options["batch_size"],
        )
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more", returncode=2)
        show_progress = on_terminal()
        total = estimate_count(options["paths"]) if show_progress else None
        with tqdm(
            total=total, desc="Importing", unit=" referrals", disable=not show_progress
        ) as bar:
            report = import_paths(
                options["paths"],
                actor=system_actor(),
                as_of=as_of,
                options=opts,
                progress=bar.update,
            )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            for item in report.imported:
                word = "new      " if item.status == "created" else "held     "
                self.stdout.write(
                    f"{word}{item.source}:{item.source_reference}  referral {item.referral_id}"
                    f"  ({item.path})"
                )
            for item in report.rejected:
                where = f" ({item.location})" if item.location else ""
                self.stdout.write(f"REJECTED {item.path}{where}: {item.error}")
            self.stdout.write(
                f"{report.created} new, {report.duplicates} already held, "
                f"{len(report.rejected)} rejected."
            )
        if report.rejected:
            sys.exit(1)

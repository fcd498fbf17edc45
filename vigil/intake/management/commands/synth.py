from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone
from tqdm import tqdm

from vigil.core.commands import on_terminal
from vigil.intake.synth import DEMO_FORCES, Synthesiser, json_bytes


class Command(BaseCommand):
    help = (
        "Write synthetic referrals (never any imagery). The same --seed and --until give the "
        "same files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--format", choices=["json", "cybertip"], default="json")
        parser.add_argument("--out", required=True, help="Folder to write into.")
        parser.add_argument(
            "--forces", default=",".join(DEMO_FORCES), help="Force codes, comma-separated."
        )
        parser.add_argument(
            "--until",
            default=None,
            help=(
                "Latest received date, YYYY-MM-DD, London time (default: today, and then "
                "nothing later than now)."
            ),
        )
        parser.add_argument(
            "--days",
            type=int,
            default=730,
            help="How many days, ending with --until, the referrals span (default 730).",
        )

    @no_translations
    def handle(self, *args, **options):
        if options["count"] < 0:
            raise CommandError("--count cannot be negative", returncode=2)
        if options["days"] < 1:
            raise CommandError("--days must be at least 1", returncode=2)
        as_of = timezone.now()
        today = timezone.localdate(as_of)
        try:
            until = date.fromisoformat(options["until"]) if options["until"] else today
        except ValueError:
            raise CommandError("--until must be a date, YYYY-MM-DD", returncode=2) from None
        if until > today:
            raise CommandError(
                f"--until cannot be in the future (today is {today}): the importer refuses "
                "referrals received later than now",
                returncode=2,
            )
        forces = [code.strip().upper() for code in options["forces"].split(",") if code.strip()]
        synthesiser = Synthesiser(
            options["seed"], until=until, as_of=as_of, forces=forces, span_days=options["days"]
        )
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        count = options["count"]
        with tqdm(total=count, desc="Writing", disable=not on_terminal()) as bar:
            if options["format"] == "json":
                for data in synthesiser.referrals(count):
                    (out / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
                    bar.update()
            else:
                for report_id, files in synthesiser.cybertip_packages(count):
                    folder = out / report_id
                    folder.mkdir(exist_ok=True)
                    for name, content in files.items():
                        (folder / name).write_bytes(content)
                    bar.update()
        self.stdout.write(f"Wrote {count} synthetic {options['format']} referrals to {out}.")

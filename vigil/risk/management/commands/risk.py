import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from vigil.core.asof import AsOfError, parse_as_of
from vigil.core.commands import add_actions, add_as_of, as_of_option, on_terminal, system_actor
from vigil.risk import services


class Command(BaseCommand):
    help = "Re-grade referrals, draw quality-check samples, and report grading assurance."

    def add_arguments(self, parser):
        regrade, sample, report = add_actions(
            parser,
            regrade="Re-run the engine on the open referrals due (someone on them reached an age "
            "the policy asks about, or they were graded under another policy), as the daily "
            "run does; --all for every open referral. Stores a new assessment only where "
            "something changed.",
            sample="Queue assessments for quality checks.",
            assurance="Overrides and disagreement per assessor.",
        )
        which = regrade.add_mutually_exclusive_group()
        which.add_argument("--referral", type=int, help="Only this referral id.")
        which.add_argument(
            "--all",
            action="store_true",
            dest="every_open",
            help="Every open referral, due or not (after a policy change, or to be sure).",
        )
        add_as_of(regrade)
        sample.add_argument("--size", type=int, default=None, help="Per assessor.")
        sample.add_argument("--days", type=int, default=30)
        add_as_of(sample)
        report.add_argument("--since", required=True)
        report.add_argument("--until", default=None)

    def handle(self, *args, **options):
        action = options["action"]
        if action == "regrade":
            as_of = as_of_option(options)
            with tqdm(desc="Re-grading", disable=not on_terminal()) as bar:

                def progress(total):
                    if total is None:
                        bar.update()
                    else:
                        bar.total = total

                if options["referral"] or options["every_open"]:
                    counts = services.regrade_all(
                        actor=system_actor(),
                        as_of=as_of,
                        referral_ids=[options["referral"]] if options["referral"] else None,
                        progress=progress,
                    )
                else:
                    counts = services.regrade_due(
                        actor=system_actor(), as_of=as_of, progress=progress
                    )
            self.stdout.write(
                f"{counts['re-graded']} re-graded, {counts['unchanged']} unchanged "
                f"(as of {as_of:%Y-%m-%d %H:%M})."
            )
        elif action == "sample":
            queued = services.queue_quality_sample(
                system_actor(),
                as_of=as_of_option(options),
                size=options["size"],
                days=options["days"],
            )
            self.stdout.write(f"{len(queued)} assessments queued for checking.")
        else:
            try:
                since = parse_as_of(options["since"])
                until = parse_as_of(options["until"]) if options["until"] else timezone.now()
            except AsOfError as error:
                raise CommandError(str(error), returncode=2) from None
            self.stdout.write(
                json.dumps(services.assurance(system_actor(), since=since, until=until))
            )

import json
import random
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from PIL import Image, ImageDraw
from tqdm import tqdm

from vigil.accounts.selectors import user_named
from vigil.accounts.services import add_force, add_user
from vigil.core.actors import SystemActor
from vigil.core.commands import on_terminal
from vigil.core.roles import Role
from vigil.exhibits.hashing import file_digests
from vigil.exhibits.services import add_exhibit, import_hashset, triage
from vigil.intake import cybertip, native_json
from vigil.intake.services import store_referral
from vigil.intake.synth import Synthesiser, json_bytes
from vigil.investigations.services import allocate
from vigil.referrals.drafts import IntakeError, SourceDocument
from vigil.referrals.services import referrals_for

DEMO_PASSWORD = "vigil-demo-only"  # noqa: S105 - printed for the demo; refused in production
DEMO_ACTOR = SystemActor("demo")
FORCES = [
    ("XF", "Exampleshire Police", "Example North"),
    ("YF", "Sampleton Constabulary", "Example North"),
    ("ZF", "Testford Police", "Example South"),
    ("WF", "Demoland Police", "Example South"),
]


class Command(BaseCommand):
    help = (
        "Set up demo forces, one user per role and 500 synthetic referrals (never in production)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, default=500)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("vigil demo never runs in production: it makes known passwords.")
        call_command("init", verbosity=0)
        now = timezone.now()
        for code, name, region in FORCES:
            add_force(DEMO_ACTOR, code, name, region=region, as_of=now)
        users = self._users(now)
        if referrals_for(DEMO_ACTOR).filter(imported_by_name=DEMO_ACTOR.name).exists():
            self.stdout.write("Demo referrals are already loaded.")
        else:
            self._referrals(options["referrals"], options["seed"], now)
            self._allocate_some(now)
            self._exhibits(now)
        # Escalate what the demo data has left overdue, so worklists and notifications show it.
        call_command("escalate", verbosity=0, stdout=self.stdout)
        self._print_logins(users)

    def _users(self, now) -> list:
        users = []
        for role in Role:
            username = role.value
            user = user_named(username, active_only=False)
            if user is None:
                user = add_user(
                    DEMO_ACTOR,
                    username,
                    role=role.value,
                    password=DEMO_PASSWORD,
                    force_code="" if role == Role.REGIONAL_OVERSIGHT else "XF",
                    region="Example North",
                    first_name="Demo",
                    last_name=role.label,
                    email=f"{username}@demo.vigil.invalid",
                    team="Online Child Abuse Team 1"
                    if role in {Role.INVESTIGATOR, Role.SAFEGUARDING_OFFICER, Role.SUPERVISOR}
                    else "",
                    as_of=now,
                    check_password=False,
                )
            users.append(user)
        if user_named("investigator_yf", active_only=False) is None:
            users.append(
                add_user(
                    DEMO_ACTOR,
                    "investigator_yf",
                    role=Role.INVESTIGATOR,
                    password=DEMO_PASSWORD,
                    force_code="YF",
                    first_name="Demo",
                    last_name="Investigator (Sampleton)",
                    as_of=now,
                    check_password=False,
                )
            )
        return users

    def _referrals(self, count: int, seed: int, now) -> None:
        synthesiser = Synthesiser(
            seed,
            until=timezone.localdate(now),
            as_of=now,
            forces=[code for code, *_ in FORCES],
        )
        packages = count // 6
        stored = 0
        with tqdm(total=count, desc="Loading demo referrals", disable=not on_terminal()) as bar:
            for data in synthesiser.referrals(count - packages):
                content = json_bytes(data)
                draft = native_json.read_referral(
                    f"{data['source_reference']}.json", content, as_of=now
                )
                stored += self._store(draft, now)
                bar.update()
            for index, (report_id, files) in enumerate(
                synthesiser.cybertip_packages(packages), start=1
            ):
                documents = [
                    SourceDocument(name, cybertip.MEDIA_TYPE, content)
                    for name, content in files.items()
                ]
                received = now - timedelta(days=(index * 7) % 700, hours=index % 9)
                draft = cybertip.read_package(
                    report_id,
                    documents,
                    force_code=FORCES[index % len(FORCES)][0],
                    received_at=received,
                )
                stored += self._store(draft, now)
                bar.update()
        self.stdout.write(f"Loaded {stored} synthetic referrals.")

    def _allocate_some(self, now) -> None:
        """Give half of Exampleshire's open referrals to the demo investigator."""
        supervisor = user_named("supervisor")
        investigator = user_named("investigator")
        referrals = referrals_for(DEMO_ACTOR, force="XF").order_by("received_at")
        for index, referral in enumerate(referrals):
            if index % 2 == 0:
                allocate(supervisor, referral, investigator, as_of=now)

    def _exhibits(self, now) -> None:
        """Two devices seized in the investigator's first referral: a phone triaged against a
        small synthetic hash set (pictures of coloured shapes drawn here, never real material)
        and a memory stick still waiting."""
        referral = (
            referrals_for(DEMO_ACTOR, force="XF")
            .filter(owner=user_named("investigator"))
            .order_by("received_at")
            .first()
        )
        if referral is None:
            return
        seized = now - timedelta(days=2)
        phone = add_exhibit(
            DEMO_ACTOR, referral.pk, "DEMO/PH/1", kind="phone", seized_at=seized, as_of=now
        )
        add_exhibit(
            DEMO_ACTOR, referral.pk, "DEMO/USB/1", kind="storage", seized_at=seized, as_of=now
        )
        with tempfile.TemporaryDirectory(prefix="vigil-demo-") as folder:
            device = Path(folder) / "device"
            (device / "DCIM").mkdir(parents=True)
            media = []
            for seed, entry in enumerate(
                [
                    {"Category": 3, "VictimIdentified": "false", "Series": "Demo series"},
                    {"Category": 3},
                ]
            ):
                path = device / "DCIM" / f"IMG_{seed:04}.png"
                _shapes(seed).save(path)
                _, md5, sha1 = file_digests(path)
                media.append({"MD5": md5.upper(), "SHA1": sha1.upper(), **entry})
            for seed in (7, 8):
                _shapes(seed).save(device / "DCIM" / f"IMG_{seed:04}.png")
            shutil.copy(device / "DCIM" / "IMG_0000.png", device / "copy.png")
            hash_set = Path(folder) / "demo-set.json"
            hash_set.write_text(
                json.dumps(
                    {
                        "@odata.context": "http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/"
                        "$metadata#Media",
                        "value": media,
                    }
                )
            )
            import_hashset(DEMO_ACTOR, hash_set, name="Demo set (synthetic)", as_of=now)
            triage(DEMO_ACTOR, f"#{phone.pk}", device, as_of=now)

    def _store(self, draft, now) -> int:
        try:
            _, status = store_referral(draft, actor=DEMO_ACTOR, as_of=now)
        except IntakeError as error:
            self.stderr.write(f"demo referral {draft.source_reference} refused: {error.message}")
            return 0
        return int(status == "created")

    def _print_logins(self, users: list) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for user in users:
            where = user.force.code if user.force else f"region {user.region}"
            self.stdout.write(f"  {user.username:<22} {user.get_role_display()} ({where})")
        self.stdout.write(
            "Start with intake_officer or investigator to see Exampleshire's referrals. "
            "supervisor, unit_head and administrator set up an authenticator app (a second "
            "factor) the first time they sign in."
        )


def _shapes(seed: int) -> Image.Image:
    """A small picture of coloured rectangles, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 (a demo picture, not a secret)
    image = Image.new("RGB", (160, 120), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(160), rng.randrange(120)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(10, 80), y + rng.randrange(10, 60)), fill=colour)
    return image

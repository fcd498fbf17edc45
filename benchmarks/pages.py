"""Page benchmark: what one request costs the server, page by page, with nobody else asking.

Builds a database as the load benchmark does (``benchmarks.load``'s builder: N referrals in 10
forces, their clocks and outcomes, a suspect on each, investigators and supervisors), on
PostgreSQL when DATABASE_URL is set, else SQLite. On the referral measured it adds what a
worked referral holds (people in the household, children, actions recorded), so the page shows
more than a bare import. Then, in one process with Django's test client (no HTTP server, no
other user), it asks each page ``--repeat`` times and prints the median and the fastest wall
time, the median CPU time of the process (on SQLite the database's work is in it too; on a
shared machine it is steadier than the wall time) and the number of queries of each:
- the worklist, an investigator's own clocks and a supervisor's team's;
- the referral page of a referral on that investigator's worklist;
- recording an action on it (the post alone; the referral page it returns to is the line above).

    python -m benchmarks.pages [--referrals 20000] [--repeat 20] [--profile PAGE]

``--work DIR --reuse`` measures again on the database an earlier run built in DIR (SQLite; on
PostgreSQL, ``--database`` names it). ``--profile PAGE`` prints where that page's time goes
(cProfile: Vigil's functions and Django's template, query and translation work, the 60
costliest by cumulative time, or by ``--sort``). This is what a request costs in
CPU: the load benchmark's requests a second on one core are at most one over it.
"""

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.common import fresh_postgres

PAGES = ["worklist (mine)", "worklist (team)", "referral page", "record action"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20, help="Requests per page (default 20).")
    parser.add_argument("--work", type=Path, help="Folder for the SQLite database (default: new).")
    parser.add_argument(
        "--database", default="vigil_pages_bench", help="PostgreSQL database made afresh."
    )
    parser.add_argument("--reuse", action="store_true", help="Measure the database built before.")
    parser.add_argument("--profile", choices=PAGES, help="Print where this page's time goes.")
    parser.add_argument(
        "--sort", default="cumulative", help="With --profile: pstats order (e.g. tottime)."
    )
    parser.add_argument("--measure", metavar="ACCOUNTS_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args)
        return

    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    work = args.work or Path(tempfile.mkdtemp(prefix="vigil-pages-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["VIGIL_DATA_DIR"] = str(work)
    env["VIGIL_DEBUG"] = "0"  # as in production: no query log, templates cached
    env.setdefault("VIGIL_ENV", "development")
    accounts = work / "accounts.json"
    if database == "postgresql":
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{args.database}"
    print(
        f"Vigil page benchmark, {date.today()}, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {database}"
    )
    if not args.reuse:
        if database == "postgresql":
            env["DATABASE_URL"] = fresh_postgres(os.environ["DATABASE_URL"], args.database)
        begun = time.perf_counter()
        command = [sys.executable, "-m", "benchmarks.load", "--build", str(accounts)]
        command += ["--referrals", str(args.referrals), "--users", "10"]
        subprocess.run(command, env=env, check=True)
        print(f"built {args.referrals} referrals in {time.perf_counter() - begun:.0f} s")
    command = [sys.executable, "-m", "benchmarks.pages", "--measure", str(accounts)]
    command += ["--repeat", str(args.repeat)]
    if args.profile:
        command += ["--profile", args.profile, "--sort", args.sort]
    subprocess.run(command, env=env, check=True)


def _measure(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from vigil.accounts.models import User

    # Signing in, and its second factor, is the load benchmark's; here every page is asked
    # by someone already signed in.
    settings.VIGIL_SECOND_FACTOR_ROLES = []
    built = json.loads(Path(args.measure).read_text())
    investigator = User.objects.get(username=built["investigators"][0]["username"])
    supervisor = User.objects.filter(
        role="supervisor", force_id=investigator.force_id, team=investigator.team
    ).first() or User.objects.get(username=built["supervisors"][0]["username"])
    mine, team = Client(), Client()
    mine.force_login(investigator)
    team.force_login(supervisor)
    referral_id = _worked_referral(investigator)

    def action():
        answer = mine.post(
            f"/investigation/{referral_id}/actions/",
            {"kind": "safeguarding_visit", "notes": "Visited the address (page benchmark)."},
        )
        if answer.status_code != 302:
            sys.exit(f"recording an action answered {answer.status_code}")

    asks = {
        "worklist (mine)": lambda: mine.get("/worklist/"),
        "worklist (team)": lambda: team.get("/worklist/?tab=team"),
        "referral page": lambda: mine.get(f"/referrals/{referral_id}/"),
        "record action": action,
    }
    for _ in range(3):  # actions recorded on it, as on a worked referral
        action()
    for ask in asks.values():  # warm: templates compiled, policy read, connections open
        answer = ask()
        if answer is not None and answer.status_code != 200:
            sys.exit(f"a page answered {answer.status_code}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.repeat):
            asks[args.profile]()
        profile.disable()
        out = io.StringIO()
        # Vigil's own functions, and Django's templates, queries and translations under them.
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(
            r"vigil/|template/|db/models/(query|sql/compiler)|translation", 60
        )
        print(out.getvalue())
        return
    rows = {
        name: asks[name]().content.count(b'data-testid="children-in-view"')
        for name in ("worklist (mine)", "worklist (team)")
    }
    print(
        f"{built['referrals']} referrals; one client, {args.repeat} requests a page; "
        f"worklist rows: {rows['worklist (mine)']} mine, {rows['worklist (team)']} team"
    )
    print(f"  {'page':<18} {'median ms':>9} {'fastest':>8} {'CPU ms':>7} {'queries':>7}")
    figures = {}
    for name, ask in asks.items():
        times, cpu = [], []
        for _ in range(args.repeat):
            begun, begun_cpu = time.perf_counter(), time.process_time()
            ask()
            times.append((time.perf_counter() - begun) * 1000)
            cpu.append((time.process_time() - begun_cpu) * 1000)
        with CaptureQueriesContext(connection) as queries:
            ask()
        figures[name] = {
            "median_ms": round(statistics.median(times), 1),
            "fastest_ms": round(min(times), 1),
            "cpu_ms": round(statistics.median(cpu), 1),
            "queries": len(queries),
        }
        row = figures[name]
        print(
            f"  {name:<18} {row['median_ms']:>9} {row['fastest_ms']:>8} {row['cpu_ms']:>7} "
            f"{row['queries']:>7}"
        )
    print(json.dumps(figures))


def _worked_referral(investigator) -> int:
    """A referral on the investigator's worklist, with a household and children in it."""
    from datetime import date as day

    from vigil.clocks.models import Clock
    from vigil.people.models import Person

    referral_id = (
        Clock.objects.filter(owner=investigator)
        .order_by("-is_open", "id")
        .values_list("referral_id", flat=True)
        .first()
    )
    if not Person.objects.filter(referral_id=referral_id, ref="hm1").exists():
        people = [
            ("hm1", "household_member", "Alex", "Morgan", day(1985, 3, 1)),
            ("hm2", "household_member", "Sam", "Morgan", day(2014, 6, 1)),
            ("hm3", "household_member", "Jo", "Morgan", day(2017, 9, 1)),
            ("r1", "relative", "Chris", "Morgan", None),
        ]
        for ref, role, first, last, born in people:
            Person.objects.create(
                referral_id=referral_id,
                ref=ref,
                role=role,
                first_name=first,
                last_name=last,
                date_of_birth=born,
            )
    return referral_id


if __name__ == "__main__":
    main()

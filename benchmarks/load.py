"""Load benchmark (``make bench``): many people at once on ``vigil serve`` over N referrals.

Builds a fresh database (PostgreSQL when DATABASE_URL is set, else SQLite) holding N referrals
in 10 forces with their clocks and outcomes (``benchmarks.clocks``'s builder, written by COPY on
PostgreSQL) and a suspect on each, named from ``benchmarks.search``'s pools of British names.
Investigators own the referrals; supervisors, each with a team and an authenticator app (the
second factor their role must use), watch over them. Everyone signs in with the same password.

Then it starts ``vigil serve`` (waitress) on the database, without a worker (no page waits on
one), and runs Locust headless with the users asked for, four investigators to one supervisor,
each pausing 1 to 5 seconds between requests, as people reading pages do:
- an investigator signs in through the sign-in form (with its CSRF token), opens their
  worklist, opens the referrals on it, searches by a suspect's name from their force, and
  records an action (a safeguarding visit) through the referral page's form;
- a supervisor signs in with their password and then a one-time code (TOTP), opens the team's
  worklist, the breach view, referral pages and search.
Any answer other than 2xx or 3xx, and any form the page refuses ("Not recorded"), is an error.
It prints requests per second, the median, 95th and 99th percentiles of every request type and
of all together, and the errors; the run fails (exit status 1) on any error.

    python -m benchmarks.load [--referrals N] [--users 100] [--duration 2m] [--threads 8]

N defaults to 1,000,000 on PostgreSQL and 100,000 on SQLite (a single unit's scale: a force
holding a million referrals runs on PostgreSQL). What the users do is in
``benchmarks/locustfile.py``; this module builds, serves, runs Locust and reports.
"""

import argparse
import itertools
import json
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

from benchmarks.common import fresh_postgres

PASSWORD = "vigil-load-bench-only"  # noqa: S105 - a synthetic benchmark database's users
SUPERVISOR_SHARE = 5  # one locust user in five is a supervisor
ACCOUNTS_FILE = "VIGIL_LOAD_ACCOUNTS"
TIMINGS_FILE = "VIGIL_LOAD_TIMINGS"
WAIT = "VIGIL_LOAD_WAIT"
SIGNING_IN = {"sign in", "second factor"}
BATCH = 5000
REQUEST_TYPES = [
    "sign in",
    "second factor",
    "worklist (mine)",
    "worklist (team)",
    "breach view",
    "referral page",
    "search by name",
    "record action",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, help="1,000,000 on PostgreSQL, 100,000 on SQLite")
    parser.add_argument("--users", type=int, default=100, help="Locust users at once.")
    parser.add_argument("--spawn-rate", type=float, default=2, help="Users started a second.")
    parser.add_argument("--duration", default="2m", help="Locust's --run-time, e.g. 90s, 2m.")
    parser.add_argument(
        "--wait",
        default="1-5",
        help="Seconds each user pauses between requests, least-most (default 1-5).",
    )
    parser.add_argument("--threads", type=int, default=8, help="vigil serve --threads.")
    parser.add_argument("--port", type=int, default=0, help="Default: a free port.")
    parser.add_argument(
        "--work",
        type=Path,
        help="Folder for the accounts, logs and SQLite database (default: new).",
    )
    parser.add_argument(
        "--database", default="vigil_load_bench", help="PostgreSQL database made afresh."
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Run on the database and accounts an earlier run built with the same --work and "
        "--database, instead of building them again.",
    )
    parser.add_argument("--build", metavar="ACCOUNTS_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    if args.referrals is None:
        args.referrals = 1_000_000 if database == "postgresql" else 100_000
    if args.build:
        _build_database(args)
        return

    print(
        f"Vigil load benchmark, {date.today()}, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="vigil-load-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["VIGIL_DATA_DIR"] = str(work)
    env["VIGIL_DEBUG"] = "0"
    env.setdefault("VIGIL_ENV", "development")
    accounts = work / "accounts.json"
    if args.reuse:
        if database == "postgresql":
            base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
            env["DATABASE_URL"] = f"{base}/{args.database}"
        built = json.loads(accounts.read_text())
        print(f"{database} {built['version']}: {built['referrals']} referrals built earlier")
    else:
        if database == "postgresql":
            env["DATABASE_URL"] = fresh_postgres(os.environ["DATABASE_URL"], args.database)
        begun = time.perf_counter()
        command = [sys.executable, "-m", "benchmarks.load", "--build", str(accounts)]
        command += ["--referrals", str(args.referrals), "--users", str(args.users)]
        _run_or_exit(command, env, "building the database")
        built = json.loads(accounts.read_text())
        print(
            f"{database} {built['version']}: built {built['referrals']} referrals "
            f"({built['clocks']} clocks, {built['people']} people) in "
            f"{time.perf_counter() - begun:.0f} s"
        )

    port = args.port or _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vigil.cli",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            "--threads",
            str(args.threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "serve.log", "w"),  # noqa: SIM115 - open while the server runs
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/accounts/login/", server)
        figures = _locust(args, env | {ACCOUNTS_FILE: str(accounts), WAIT: args.wait}, port, work)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"{args.users} users ({args.users - args.users // SUPERVISOR_SHARE} investigators, "
        f"{args.users // SUPERVISOR_SHARE} supervisors) for {args.duration}; vigil serve with "
        f"{args.threads} threads, no worker; each user pauses {args.wait} s between requests"
    )
    header = (
        f"  {'request':<22} {'count':>7} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    print(f"whole run, {figures['seconds']:.0f} s (signing in included):")
    print(header)
    for name, row in figures["types"].items():
        print(_line(name, row))
    print(_line("all", figures["all"]))
    print(_line("all but signing in", figures["all_but_signing_in"]))
    steady = figures["steady"]
    if steady:
        print(f"steady state, the last {steady['seconds']:.0f} s (everyone signed in):")
        print(header)
        for name, row in steady["types"].items():
            print(_line(name, row))
        print(_line("all", steady["all"]))
    else:
        print("steady state: not reached (not every user had signed in when the run ended)")
    if figures["errors"]:
        print(f"  errors: {json.dumps(figures['errors'])}")
    missing = [name for name in REQUEST_TYPES if name not in figures["types"]]
    if missing:
        print(f"  not exercised in this run: {', '.join(missing)}")
    print(json.dumps(figures))
    if figures["all"]["errors"]:
        sys.exit(f"{figures['all']['errors']} errors (serve log: {work / 'serve.log'})")


def _line(name: str, row: dict) -> str:
    return (
        f"  {name:<22} {row['count']:>7} {row['errors']:>6} {row['rps']:>7.1f} "
        f"{row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f} {row['p99_ms']:>7.0f} {row['max_ms']:>7.0f}"
    )


def _run_or_exit(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("vigil serve stopped before it answered")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own server
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"vigil serve did not answer {url} within two minutes")


def _locust(args, env: dict, port: int, work: Path) -> dict:
    timings = work / "timings.json"
    command = [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py"))]
    command += ["--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate)]
    command += ["--run-time", args.duration, "--host", f"http://127.0.0.1:{port}"]
    command += ["--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    # Locust exits 1 when a request failed; the figures say which, so they are read either way.
    done = subprocess.run(
        command, env=env | {TIMINGS_FILE: str(timings)}, capture_output=True, text=True
    )
    if not timings.exists():
        sys.exit(f"locust did not run:\n{done.stderr[-4000:]}")
    return summarise(json.loads(timings.read_text()))


def summarise(recorded: dict) -> dict:
    """Requests per second, percentiles and errors per request type and for all requests:
    over the whole run (signing in included: once a session, slow by design, Argon2), and in
    the steady state, from the moment the last user had signed in."""
    errors: dict[tuple, int] = {}
    for name, rows in recorded["requests"].items():
        for row in rows:
            if row[1]:
                errors[name, row[1]] = errors.get((name, row[1]), 0) + 1
    whole = _figures(recorded["requests"], recorded["first"], recorded["last"])
    steady_from = recorded.get("signed_in")
    steady = None
    if steady_from is not None:
        later = {
            name: [row for row in rows if row[2] >= steady_from]
            for name, rows in recorded["requests"].items()
        }
        later = {name: rows for name, rows in later.items() if rows}
        if later:
            steady = _figures(later, steady_from, recorded["last"])
    return {
        **whole,
        "steady": steady,
        "errors": [
            {"name": name, "error": error, "count": count}
            for (name, error), count in sorted(errors.items())
        ],
    }


def _figures(requests: dict, first: float, last: float) -> dict:
    seconds = max(last - first, 1e-9)

    def figures(rows: list) -> dict:
        times = sorted(row[0] for row in rows)
        return {
            "count": len(times),
            "errors": sum(1 for row in rows if row[1]),
            "rps": len(times) / seconds,
            "p50_ms": _percentile(times, 50),
            "p95_ms": _percentile(times, 95),
            "p99_ms": _percentile(times, 99),
            "max_ms": times[-1] if times else 0.0,
        }

    return {
        "seconds": seconds,
        "types": {name: figures(rows) for name, rows in sorted(requests.items())},
        "all": figures([row for rows in requests.values() for row in rows]),
        "all_but_signing_in": figures(
            [row for name, rows in requests.items() if name not in SIGNING_IN for row in rows]
        ),
    }


def _percentile(times: list[float], percent: int) -> float:
    """Nearest-rank percentile of sorted times."""
    if not times:
        return 0.0
    rank = max(1, -(-percent * len(times) // 100))
    return times[rank - 1]


# ---------------------------------------------------------------------------------------------
# The database: referrals, clocks, outcomes, people, and users who can sign in.


def _build_database(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from benchmarks import clocks
    from vigil.accounts.models import User
    from vigil.clocks.models import Clock

    call_command("init", verbosity=0)
    officers, _ = clocks._people()
    supervisors = _supervisors(args.users // SUPERVISOR_SHARE + 1, officers)
    _, clock_count = clocks._build(args.referrals, officers, connection)
    names = _people(args.referrals, officers)
    User.objects.update(password=make_password(PASSWORD))
    keys = {}
    for supervisor in supervisors:
        keys[supervisor.username] = secrets.token_hex(20)
        TOTPDevice.objects.create(
            user=supervisor, name="Authenticator app", confirmed=True, key=keys[supervisor.username]
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        version = cursor.fetchone()[0]

    # Investigators taken a force at a time in turn, so the load spreads over every force;
    # those with the most open clocks first (on a small data set most have none).
    busy = Counter(
        Clock.objects.filter(is_open=True, owner__isnull=False).values_list("owner_id", flat=True)
    )
    ranked = [sorted(group, key=lambda user: -busy[user.pk]) for group in officers]
    investigators = [
        user for group in itertools.zip_longest(*ranked) for user in group if user is not None
    ]
    accounts = {
        "version": version,
        "referrals": args.referrals,
        "clocks": clock_count,
        "people": args.referrals,
        "password": PASSWORD,
        "investigators": [
            {"username": user.username, "names": names[user.force_id]}
            for user in investigators[: args.users]
        ],
        "supervisors": [
            {
                "username": user.username,
                "totp_key": keys[user.username],
                "names": names[user.force_id],
            }
            for user in supervisors
        ],
    }
    Path(args.build).write_text(json.dumps(accounts))


def _supervisors(count: int, officers) -> list:
    """Supervisors of the officers' teams, in every force in turn (each with their own
    authenticator app: a one-time code is accepted once)."""
    from vigil.accounts.models import User

    made = []
    for number in range(count):
        force_officers = officers[number % len(officers)]
        made.append(
            User(
                username=f"load-supervisor-{number}",
                role="supervisor",
                force_id=force_officers[0].force_id,
                team=force_officers[number % len(force_officers)].team,
                email=f"load-supervisor-{number}@bench.example",
            )
        )
    User.objects.bulk_create(made)
    return list(User.objects.filter(username__startswith="load-supervisor-").order_by("id"))


def _people(count: int, officers) -> dict[int, list[str]]:
    """A suspect on every referral, named from the search benchmark's pools; returns some of
    each force's names for the investigators to search for."""
    from benchmarks.search import _name_pools
    from vigil.people.models import Person

    firsts, lasts = _name_pools()
    chooser = random.Random(13)  # noqa: S311 - synthetic benchmark data
    forces = [group[0].force_id for group in officers]
    names: dict[int, list[str]] = {force: [] for force in forces}
    for start in range(1, count + 1, BATCH):
        batch = []
        for referral_id in range(start, min(start + BATCH, count + 1)):
            first, last = chooser.choice(firsts), chooser.choice(lasts)
            batch.append(
                Person(
                    id=referral_id,
                    referral_id=referral_id,
                    ref="s1",
                    role="suspect",
                    first_name=first,
                    last_name=last,
                )
            )
            # The same force as the clocks builder gives the referral.
            held = names[forces[referral_id % len(forces)]]
            if len(held) < 50 and chooser.random() < 0.05:
                held.append(f"{first} {last}")
        Person.objects.bulk_create(batch)
    return names


if __name__ == "__main__":
    main()

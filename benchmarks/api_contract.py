"""The API keeps its word (``make bench`` and, smaller, ``make test``): Schemathesis against a
running ``vigil serve``.

Sets up a fresh SQLite database in a temporary data directory (``vigil init``, ``vigil demo``
with a few synthetic referrals: four forces, one user per role), creates an API token for the
demo supervisor (``vigil tokens create``), starts ``vigil serve`` on a free loopback port and
runs ``schemathesis run`` over every operation of /api/v1/openapi.json with every check (a
schema-valid request may still be refused 422 or 409 by the rules, e.g. a decision on a
referral in the wrong status; benchmarks/schemathesis.toml says so). It reports the cases
generated and the failures, and exits non-zero on any failure or on fewer cases than asked.

    python -m benchmarks.api_contract [--examples N] [--at-least N] [--seed N]

``--examples`` is Schemathesis' cases per operation and phase (default 200: over 10,000 cases
in all); ``--at-least`` the number of cases the run must have generated (default 10,000).
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
USER = "supervisor"


def _environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # its own SQLite file, never a database someone uses
    env.update(VIGIL_DATA_DIR=str(data_dir), VIGIL_ENV="development", VIGIL_LOG_LEVEL="ERROR")
    return env


def _vigil(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(BIN / "vigil"), *args], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"vigil {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(data_dir: Path, *, referrals: int = 12):
    """A seeded ``vigil serve`` on a free port: yields (base URL, API token)."""
    env = _environment(data_dir)
    _vigil("init", env=env)
    _vigil("demo", "--referrals", str(referrals), env=env)
    token = _vigil("tokens", "create", USER, "--name", "schemathesis", env=env).strip()
    token = token.splitlines()[-1].strip()
    port = _free_port()
    log = (data_dir / "serve.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "vigil"), "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=2)  # noqa: S310
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((data_dir / "serve.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def fuzz(
    url: str, token: str, *, examples: int, seed: int | None = None, workdir: Path
) -> tuple[int, str]:
    """Run Schemathesis over every operation with every check; (exit status, its report)."""
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--max-examples",
        str(examples),
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        "none",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    # In ``workdir``: Schemathesis leaves its cache (.schemathesis/) where it runs.
    done = subprocess.run(command, capture_output=True, text=True, timeout=3 * 3600, cwd=workdir)
    return done.returncode, done.stdout + done.stderr


def cases_generated(report: str) -> int:
    found = re.search(r"(\d+) generated", report)
    return int(found.group(1)) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--at-least", type=int, default=10_000)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="vigil-contract-") as where,
        running_server(Path(where)) as (url, token),
    ):
        started = time.monotonic()
        status, report = fuzz(
            url, token, examples=args.examples, seed=args.seed, workdir=Path(where)
        )
        took = time.monotonic() - started
    cases = cases_generated(report)
    print(report)
    print(f"API contract: {cases} cases generated in {took:.0f}s, schemathesis exit {status}")
    if status != 0 or cases < args.at_least:
        print(f"failed: exit {status}, {cases} cases (at least {args.at_least} asked)")
        sys.exit(1)


if __name__ == "__main__":
    main()

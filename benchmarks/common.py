"""What the benchmarks do alike: each measurement runs in a child process of its own, on a
database made afresh for it (SQLite in a new folder, or a PostgreSQL database dropped and made
again), so one database's run starts cold and never shares a process or a cache with another."""

import json
import os
import subprocess
import sys
from pathlib import Path


def databases(only: str | None = None) -> list[str]:
    """SQLite always, PostgreSQL too when ``DATABASE_URL`` names one; or just ``only``."""
    if only:
        return [only]
    return ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])


def fresh_postgres(url: str, name: str) -> str:
    """Drop and make again the database ``name`` on ``url``'s server; its address."""
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def measure_in_child(
    module: str, arguments: list[str], database: str, *, data_dir: str | Path, postgres_name: str
) -> list[dict]:
    """Run ``python -m module ARGUMENTS`` on a fresh ``database``; the JSON lines it printed.

    The child prints its figures as JSON, one object a line; anything else it prints is left
    out. A child that fails ends the benchmark with the end of what it wrote to stderr.
    """
    env = dict(os.environ)
    env["VIGIL_DATA_DIR"] = str(data_dir)
    env["VIGIL_DEBUG"] = "0"  # as in production: no query log
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = fresh_postgres(os.environ["DATABASE_URL"], postgres_name)
    result = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{module} on {database} failed:\n{result.stderr[-4000:]}")
    lines = result.stdout.strip().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]

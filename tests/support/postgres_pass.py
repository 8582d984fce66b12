"""Run the database tests again on PostgreSQL (`make test-postgres`).

Skipped with a notice when PostgreSQL is unreachable, unless REQUIRE_POSTGRES=1, in
which case that is a failure. Browser tests stay in the SQLite pass: the live server
flushes tables with TRUNCATE, which the audit trigger refuses on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.services import TEST_POSTGRES_URL, required


def postgres_reachable(url: str) -> str:
    """'' if a connection succeeds, else the reason."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return ""


def main() -> int:
    problem = postgres_reachable(TEST_POSTGRES_URL)
    if problem:
        if required("POSTGRES"):
            print(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {problem}", file=sys.stderr)
            return 1
        print(f"SKIPPED the PostgreSQL pass: {problem} (set REQUIRE_POSTGRES=1 to fail instead)")
        return 0
    env = dict(os.environ, DATABASE_URL=TEST_POSTGRES_URL)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "not browser",
        "-p",
        "no:cacheprovider",
        *sys.argv[1:],
    ]
    return subprocess.call(command, env=env)  # noqa: S603 - our own interpreter and fixed args


if __name__ == "__main__":
    sys.exit(main())

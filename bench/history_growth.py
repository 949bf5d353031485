"""Does a login cost more as history grows? The growth table, on a SQLite file.

Run (after ``pip install -e '.[bench]'``)::

    .venv/bin/python bench/history_growth.py [--logins 200] [--rounds 4] [--plans]

Two databases of the same host (``web_2fa_t2m2fa``, the default outbox sender, SQLite in WAL
as ``init_app`` sets it):

* ``empty``: the users only;
* ``grown``: the measured user has 20,000 historic rows of his own (challenges used or
  replaced, sent SMS, wrong codes, audit lines, all older than the windows the caps and budgets
  read, so none of them refuses a send or pauses him) and other users have 10^6 more, written
  with driver-level ``executemany`` in one transaction.

The same user logs in on both, rounds interleaved; each figure is the median of the per-login
times of the login POST (password, challenge, SMS into the outbox) and of the verify POST.
``--plans`` prints SQLite's ``EXPLAIN QUERY PLAN`` of every statement of one login on the grown
database: a ``SCAN`` of a history table is a query that walks it.

``--analyze`` runs SQLite's ``ANALYZE`` once the history is written, when no code is live: the
partial index of live codes then has no statistics, and a planner left to itself walks the
user's challenges with the ``(user_id, purpose)`` index instead; the extension names the partial
index in its look-ups of live codes (``services/live_challenges.py``), so the table stays flat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

import web_2fa_t2m2fa as t2

USERS = 5
OWN_ROWS = 20_000
OTHER_ROWS = 1_000_000
OTHER_USERS = 50_000
#: Share of each table in the history (challenges, sent SMS, failures, audit).
SHARES = (0.35, 0.25, 0.15, 0.25)
#: Historic rows end 40 days before the bench's clock starts: past every cap and budget window.
HISTORY_END = datetime(2030, 1, 1, tzinfo=UTC) - timedelta(days=40)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _times(count: int) -> Iterator[str]:
    """``count`` timestamps, a few minutes apart, ending at ``HISTORY_END`` (naive UTC text)."""
    start = HISTORY_END - timedelta(minutes=7 * count)
    for n in range(count):
        yield (start + timedelta(minutes=7 * n)).replace(tzinfo=None).strftime(SQLITE_TIME)


def _rows(tag: str, user_of: Any, digest_of: Any, count: int) -> dict[str, list[tuple[Any, ...]]]:
    counts = [int(count * share) for share in SHARES]
    challenges, sent, failures, audit = [], [], [], []
    for n, at in enumerate(_times(counts[0])):
        ref = f"{tag}{n:030x}"
        used = (at, None) if n % 2 else (None, at)
        challenges.append(
            (
                ref,
                user_of(n),
                "acme",
                "login",
                "primary",
                ref,
                "0" * 64,
                at,
                at,
                1,
                *used,
                1,
                0,
                0,
                0,
            )
        )
    for n, at in enumerate(_times(counts[1])):
        sent.append((user_of(n), f"{tag}{n:030x}", digest_of(n), at))
    for n, at in enumerate(_times(counts[2])):
        failures.append((user_of(n), f"{tag}{n:030x}", at))
    for n, at in enumerate(_times(counts[3])):
        audit.append((at, "acme", user_of(n), "code_sent", "ok", "login", "primary"))
    return {
        "INSERT INTO t2m2fa_challenges (id, user_id, account_id, purpose, destination, login_id, "
        "code_hash, created_at, expires_at, attempts, consumed_at, superseded_at, sent, "
        "send_failed, remember_me, remember_pc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)": challenges,
        "INSERT INTO t2m2fa_sent_sms (user_id, login_id, number_digest, sent_at) "
        "VALUES (?, ?, ?, ?)": sent,
        "INSERT INTO t2m2fa_failures (user_id, challenge_id, failed_at) VALUES (?, ?, ?)": failures,
        "INSERT INTO t2m2fa_audit_events (at, account_id, user_id, event, outcome, reason, "
        "destination) VALUES (?, ?, ?, ?, ?, ?, ?)": audit,
    }


def grow(app: Flask, *, analyze: bool, other_rows: int = OTHER_ROWS) -> tuple[int, float]:
    """Write the history: 20,000 rows for ``tf0``, ``other_rows`` (10^6) for others.

    :returns: rows written and seconds.
    """
    engine: sa.Engine = app.extensions["bench"][0]
    started = time.perf_counter()
    with engine.begin() as conn:
        user = str(
            conn.exec_driver_sql("SELECT id FROM host_users WHERE username = 'tf0'").one()[0]
        )
        digest = conn.exec_driver_sql(
            "SELECT number_digest FROM t2m2fa_phones WHERE user_id = ?", (user,)
        ).one()[0]
        written = 0
        for rows in (
            _rows("ow", lambda _n: user, lambda _n: digest, OWN_ROWS),
            _rows(
                "ot",
                lambda n: f"other{n % OTHER_USERS}",
                lambda n: f"{n % OTHER_USERS:064x}",
                other_rows,
            ),
        ):
            for sql, values in rows.items():
                conn.exec_driver_sql(sql, values)
                written += len(values)
    if analyze:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return written, time.perf_counter() - started


def one_login(app: Flask) -> tuple[float, float]:
    """Seconds of the login POST and of the verify POST of one 2FA login of ``tf0``."""
    client = app.test_client()
    started = time.perf_counter()
    answer = client.post("/login", json={"username": "tf0"})
    login = time.perf_counter() - started
    assert answer.json is not None and answer.json["status"] == "2fa_required", answer.data
    code = t2.last_code(app)
    started = time.perf_counter()
    answer = client.post(t2.VERIFY_URL, json={"code": code})
    verify = time.perf_counter() - started
    assert answer.json is not None and answer.json["status"] == "ok", answer.data
    return login, verify


def measure(apps: dict[str, Flask], logins: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Median login and verify seconds per database, over interleaved rounds."""
    for app in apps.values():
        for _ in range(20):
            one_login(app)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, app in apps.items():
            samples[name].extend(one_login(app) for _ in range(max(1, logins // rounds)))
    return {
        name: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v))
        for name, v in samples.items()
    }


def print_plans(app: Flask) -> None:
    """``EXPLAIN QUERY PLAN`` of each statement one login sends (on the app's own engine: the
    bench's engine only reads the codes)."""
    with app.app_context():
        engine: sa.Engine = app.extensions["test_host"].db.engine
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_rest: Any) -> None:
        seen.append((sql, params))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        one_login(app)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as conn:
        for sql, params in seen:
            if sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "PRAGMA")):
                continue
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            print(" ".join(sql.split())[:110])
            for row in plan:
                print(f"    {row[-1]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--logins", type=int, default=200, help="logins per database")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument(
        "--analyze", action="store_true", help="run ANALYZE on the grown database (see above)"
    )
    parser.add_argument(
        "--other-rows",
        type=int,
        default=OTHER_ROWS,
        help="other users' historic rows (fewer only for a quick smoke run)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        apps = {
            name: t2.create_app(f"sqlite:///{os.path.join(directory, name)}.sqlite3", USERS)
            for name in ("empty", "grown")
        }
        written, seconds = grow(apps["grown"], analyze=args.analyze, other_rows=args.other_rows)
        print(f"grown: {written:,} historic rows written in {seconds:.1f} s")
        if args.plans:
            print_plans(apps["grown"])
        result = measure(apps, args.logins, args.rounds)
        report(result, args.logins, args.rounds, args.other_rows)


def report(
    result: dict[str, tuple[float, float]], logins: int, rounds: int, other_rows: int
) -> None:
    print(
        f"\nPython {sys.version.split()[0]}, SQLite file, {logins} logins per database in "
        f"{rounds} interleaved rounds, medians of per-login times"
    )
    print(f"{'database':<52}{'login POST ms':>14}{'verify POST ms':>16}")
    labels = {
        "empty": "empty (users only)",
        "grown": f"{OWN_ROWS:,} own rows + {other_rows:,} of other users",
    }
    for name, (login, verify) in result.items():
        print(f"{labels[name]:<52}{login * 1e3:>14.2f}{verify * 1e3:>16.2f}")
    ratios = [g / e for g, e in zip(result["grown"], result["empty"], strict=True)]
    verdict = "flat (within 1.2x)" if max(ratios) <= 1.2 else "NOT flat (above 1.2x)"
    print(f"{'ratio grown / empty':<52}{ratios[0]:>13.2f}x{ratios[1]:>15.2f}x  {verdict}")


if __name__ == "__main__":
    main()

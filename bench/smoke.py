"""Every benchmark at its smallest size, as CI runs them: a crash, a hang or a missing figure fails.

Run::

    PYTHONPATH=. .venv/bin/python bench/smoke.py [--only NAME] [--timeout SECONDS]

The figures are not judged here (a 2-core CI machine shared with other jobs says little about
speed); what is checked is that each script still runs from a fresh clone, ends within its time
limit and prints the line that carries its figure. bench/README.md says what each one measures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Smoke:
    """One bench: its smallest arguments and the pattern of the line that carries its figure."""

    script: str
    args: tuple[str, ...]
    figure: str
    timeout: float = 180.0


SMOKES = (
    Smoke("admin_users.py", ("--users", "50"), r"50 users, sort by state: \d+ ms"),
    Smoke("gateway_send.py", ("-n", "20", "--rounds", "1"), r"ratio ours / GsmModem: [\d.]+x"),
    Smoke(
        "history_growth.py",
        ("--logins", "5", "--rounds", "1", "--other-rows", "20000"),
        r"ratio grown / empty\s+[\d.]+x\s+[\d.]+x",
    ),
    Smoke(
        "web_2fa.py",
        ("--logins", "10", "--rounds", "1"),
        r"ratio flask_t2m2fa / Flask-Security: 2FA step [\d.]+x",
    ),
    Smoke(
        "load_test.py",
        ("--logins", "20", "--clients", "2", "--workers", "1"),
        r"SMS: 20 delivered for 20 2FA logins; 0 lost, 0 duplicated",
    ),
    # The gateway benches' smallest size is their --smoke (a few messages, one modem).
    # The worker's own figure, not only the direct baseline printed first.
    Smoke("worker_throughput.py", ("--smoke",), r"^\S+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+%"),
    Smoke("worker_latency.py", ("--smoke",), r"queued via \S+\s+p50\s+[\d.]+ ms\s+p99\s+[\d.]+"),
    Smoke("worker_drain.py", ("--smoke",), r"worker drain via \S+\s+[\d.]+ msg/s"),
)


def run(smoke: Smoke, timeout: float | None) -> tuple[bool, str, float]:
    """Run one bench; (passed, reason, seconds)."""
    command = [sys.executable, str(ROOT / "bench" / smoke.script), *smoke.args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout or smoke.timeout,
            start_new_session=True,  # a hung bench's children go with it
        )
    except subprocess.TimeoutExpired:
        return False, f"no end within {timeout or smoke.timeout:.0f} s", time.monotonic() - started
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        last = output.strip().splitlines()[-1:] or ["(no output)"]
        return False, f"exit status {done.returncode}: {last[0]}", seconds
    figure = re.search(smoke.figure, done.stdout, re.M)
    if figure is None:
        return False, f"no figure line matching {smoke.figure!r}", seconds
    return True, figure.group(0), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", action="append", help="run only this script (repeatable)")
    parser.add_argument("--timeout", type=float, help="seconds per bench (default: its own)")
    args = parser.parse_args(argv)
    chosen = [s for s in SMOKES if not args.only or s.script in args.only]
    failed = 0
    for smoke in chosen:
        passed, reason, seconds = run(smoke, args.timeout)
        failed += not passed
        print(f"{'ok ' if passed else 'FAIL'} {smoke.script:<22} {seconds:6.1f} s  {reason}")
        sys.stdout.flush()
    # Not pytest's "N passed, N failed": CI's test count is the test suite's, not this.
    print(f"bench smoke: {len(chosen) - failed} of {len(chosen)} benches ran and printed a figure")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

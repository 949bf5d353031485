"""Full 2FA logins against a real server: the example app under gunicorn on PostgreSQL.

Run (after ``pip install -e '.[bench,postgres]'``; PostgreSQL at ``T2M2FA_TEST_POSTGRES_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)::

    .venv/bin/python bench/load_test.py [--logins 2000] [--clients 50] [--workers 4]

In a private schema (dropped afterwards) it seeds ``--logins`` users with 2FA and as many
without, then starts, all on 127.0.0.1: ``gunicorn -w 4`` serving ``load_seed:wsgi_app()`` and
the gateway worker (``t2m2fa-gateway run --fake 1``: one loopback modem, no per-SIM caps).
Two runs of ``--logins`` logins from ``--clients`` threads, each login by its own user (the
60 s cool-down and the daily caps are per user): ``password only`` (``/api/login``) and
``2fa`` (``/api/login``, the code read from the loopback modem's inbox, ``/t2m2fa/api/verify``).
It checks every login finished without an error and the inbox holds exactly one SMS per 2FA
login (none lost, none duplicated), then prints logins/s and p50/p99 of each request.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa

import load_seed
from gateway.outbox import new_key_text

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BIN = Path(sys.executable).parent
CODE_WAIT = 60.0


class Codes:
    """The loopback modem's inbox, read by one thread: codes handed out by number."""

    def __init__(self, inbox: Path) -> None:
        self.inbox, self.last = inbox, 0
        self.texts: dict[str, list[str]] = {}
        self.ready = threading.Condition()
        self.stopped = False

    def poll(self) -> None:
        while not self.stopped:
            rows = self._new_rows()
            with self.ready:
                for row_id, number, text in rows:
                    self.texts.setdefault(number.lstrip("+"), []).append(text)
                    self.last = row_id
                self.ready.notify_all()
                self.ready.wait(0.02)

    def _new_rows(self) -> list[tuple[int, str, str]]:
        if not self.inbox.exists():
            return []
        try:
            with closing(sqlite3.connect(self.inbox, timeout=10)) as conn:
                return conn.execute(
                    "SELECT id, to_number, text FROM delivered WHERE id > ? ORDER BY id",
                    (self.last,),
                ).fetchall()
        except sqlite3.OperationalError:  # the modem has not created its table yet
            return []

    def code_for(self, number: str) -> str:
        key = number.lstrip("+")
        with self.ready:
            if not self.ready.wait_for(lambda: key in self.texts, CODE_WAIT):
                raise TimeoutError(f"no SMS for {number[:5]}… within {CODE_WAIT} s")
            found = re.search(r"\b([0-9]{4,8})\b", self.texts[key][0])
        assert found is not None, "no code in the SMS"
        return found.group(1)


Timings = dict[str, list[float]]


def login(base: str, n: int, two_factor: bool, codes: Codes, timings: Timings) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        user = f"tf{n}" if two_factor else f"plain{n}"
        body = {"account": load_seed.ACCOUNT, "username": user, "password": load_seed.PASSWORD}
        answer = _timed(timings["login POST"], lambda: client.post("/api/login", json=body))
        expected = "2fa_required" if two_factor else "ok"
        assert answer.json().get("status") == expected, answer.text
        if two_factor:
            code = codes.code_for(load_seed.phone_of(n))
            answer = _timed(
                timings["verify POST"],
                lambda: client.post("/t2m2fa/api/verify", json={"code": code}),
            )
            assert answer.json().get("status") == "ok", answer.text


def _timed(into: list[float], call: Callable[[], httpx.Response]) -> httpx.Response:
    started = time.perf_counter()
    answer = call()
    into.append(time.perf_counter() - started)
    return answer


def run(
    base: str, users: range, clients: int, two_factor: bool, codes: Codes, *, quiet: bool = False
) -> None:
    timings: Timings = {"login POST": [], "verify POST": []}
    errors: Counter[str] = Counter()

    def one(n: int) -> None:
        try:
            login(base, n, two_factor, codes, timings)
        except Exception as exc:
            errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, users))
    seconds, logins = time.perf_counter() - started, len(users)
    if quiet:
        return
    label = "2fa" if two_factor else "password only"
    print(
        f"{label:<14}{logins:>7}{sum(errors.values()):>7}{seconds:>8.1f}{logins / seconds:>9.1f}",
        end="",
    )
    for name, width in (("login POST", 10), ("verify POST", 11)):
        values = sorted(timings[name])
        if values:
            p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
            print(f"{statistics.median(values) * 1e3:>{width}.1f}{p99 * 1e3:>9.1f}", end="")
    print()
    for error, count in errors.most_common(5):
        print(f"    {count} x {error}")


def check_sms(codes: Codes, logins: int) -> None:
    """Exactly one SMS per 2FA login: none lost, none duplicated."""
    with codes.ready:
        counts = {
            number: len(codes.texts.get(number, []))
            for number in (load_seed.phone_of(n).lstrip("+") for n in range(logins))
        }
    lost = sum(1 for c in counts.values() if c == 0)
    duplicated = sum(c - 1 for c in counts.values() if c > 1)
    print(
        f"SMS: {sum(counts.values())} delivered for {logins} 2FA logins; "
        f"{lost} lost, {duplicated} duplicated"
    )


@contextmanager
def private_schema(server: str) -> Iterator[str]:
    schema = f"bench_load_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited; see its log")
        try:
            httpx.get(f"{base}/", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--logins", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C: the servers stop and the private schema is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = os.environ.get("T2M2FA_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    with tempfile.TemporaryDirectory() as directory, private_schema(server) as url:
        tmp = Path(directory)
        (tmp / "outbox.key").write_text(new_key_text() + "\n")
        env = {
            **os.environ,
            "LOAD_DATABASE_URL": url,
            "LOAD_SECRET_KEY": secrets.token_hex(32),
            "LOAD_KEY_FILE": str(tmp / "outbox.key"),
            "PYTHONPATH": os.pathsep.join(
                (str(Path(__file__).resolve().parent), str(load_seed.ROOT))
            ),
        }
        started = time.perf_counter()
        load_seed.seed(env, args.logins + args.clients)
        print(
            f"seeded {2 * (args.logins + args.clients)} users "
            f"in {time.perf_counter() - started:.1f} s"
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gateway = [
            str(BIN / "t2m2fa-gateway"),
            "run",
            "--database",
            url,
            "--key-file",
            env["LOAD_KEY_FILE"],
            "--fake",
            "1",
            "--fake-state",
            str(tmp / "phone"),
            "--cap-per-minute",
            "0",
            "--cap-per-day",
            "0",
            "--cap-recipients-per-day",
            "0",
        ]
        web = [
            str(BIN / "gunicorn"),
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--backlog",
            "256",
            "load_seed:wsgi_app()",
        ]
        codes = Codes(tmp / "phone" / "inbox.sqlite3")
        poller = threading.Thread(target=codes.poll, daemon=True)
        with process(gateway, env, tmp / "gateway.log"), process(web, env, tmp / "web.log") as g:
            wait_until_serving(base, g)
            poller.start()
            print(
                f"gunicorn {args.workers} workers, PostgreSQL, gateway worker + 1 loopback "
                f"modem; {args.clients} concurrent clients on 127.0.0.1"
            )
            print(
                f"{'run':<14}{'logins':>7}{'errors':>7}{'s':>8}{'logins/s':>9}"
                f"{'login p50':>10}{'p99 ms':>9}{'verify p50':>11}{'p99 ms':>9}"
            )
            warm_up = range(args.logins, args.logins + args.clients)
            for two_factor in (False, True):  # imports, pools and caches of every worker
                run(base, warm_up, args.clients, two_factor, codes, quiet=True)
            run(base, range(args.logins), args.clients, False, codes)
            run(base, range(args.logins), args.clients, True, codes)
            check_sms(codes, args.logins)
            codes.stopped = True
        for name in ("gateway.log", "web.log"):
            errors = [
                line
                for line in (tmp / name).read_text(errors="replace").splitlines()
                if "Traceback" in line or " ERROR" in line
            ]
            print(f"{name}: {len(errors)} error lines")


if __name__ == "__main__":
    main()

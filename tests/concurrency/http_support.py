"""The concurrency suite's view of a running server: its URL, its database, its SMS, its clock.

The servers run in their own processes (see ``serve_demo.py`` and ``gunicorn_host.py``); a test
reaches them over real HTTP only, and reads the database and the SMS afterwards to check what
the answers claimed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from example_app.models import User
from shifted_clock import ShiftedClock

from flask_t2m2fa.models import AuditEvent, Challenge, Failure
from gateway.outbox.schema import outbox_table

ROOT = Path(__file__).resolve().parents[2]
PARALLEL = 64
#: Longer than any server-side wait (pool timeout 30 s, SQLite busy timeout 10 s): a hung
#: request is seen as the server answers it, not as a client timeout.
HTTP_TIMEOUT = 120.0
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
CODE_RE = re.compile(r"\bcode is ([0-9]{4,8})\b")


@dataclass
class Answer:
    """One HTTP answer: its status and its JSON body (or the start of its text)."""

    status: int
    body: Any

    @property
    def state(self) -> str:
        return str(self.body.get("status")) if isinstance(self.body, dict) else "-"


@dataclass
class Server:
    """A running server under test.

    :param sms: ``(to, text)`` of each SMS a reader can see, oldest first.
    """

    name: str
    url: str
    database_url: str
    clock: ShiftedClock
    passwords: dict[str, str]
    sms: Callable[[], list[tuple[str, str]]]
    log: Path
    process: subprocess.Popen[bytes]
    #: A worker sends what is queued (the demo): wait for it before counting what arrives.
    has_worker: bool = False
    engine: sa.Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)

    def client(self, cookies: httpx.Cookies | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, cookies=cookies, timeout=HTTP_TIMEOUT)

    def scalar(self, query: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def user_id(self, username: str) -> str:
        return str(self.scalar(sa.select(User.id).where(User.username == username)))

    def queued(self) -> int:
        """Every SMS the app handed to the outbox so far (sent or not)."""
        return self.scalar(sa.select(sa.func.count()).select_from(outbox_table))

    def audited(self, user_id: str, event: str) -> int:
        table = AuditEvent.__table__
        query = sa.select(sa.func.count()).where(table.c.user_id == user_id, table.c.event == event)
        return self.scalar(query)

    def failures(self, user_id: str) -> int:
        table = Failure.__table__
        return self.scalar(sa.select(sa.func.count()).where(table.c.user_id == user_id))

    def newest_attempts(self, user_id: str) -> int:
        """The wrong codes counted on the user's newest challenge."""
        table = Challenge.__table__
        query = (
            sa.select(table.c.attempts)
            .where(table.c.user_id == user_id)
            .order_by(table.c.created_at.desc())
            .limit(1)
        )
        return self.scalar(query)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until the worker (if any) sent every queued SMS: an SMS of an earlier test that
        arrives late is then never taken for this test's."""
        if not self.has_worker:
            return
        waiting = sa.select(sa.func.count()).where(outbox_table.c.state.in_(["queued", "sending"]))
        deadline = time.monotonic() + timeout
        while self.scalar(waiting):
            assert time.monotonic() < deadline, f"{self.name}'s worker did not send the outbox"
            time.sleep(0.1)

    def wait_code(self, seen: int, timeout: float = 60.0) -> tuple[str, str]:
        """``(to, code)`` of the first code SMS after the ``seen`` first ones."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for to, text in self.sms()[seen:]:
                found = CODE_RE.search(text)
                if found:
                    return to, found.group(1)
            time.sleep(0.1)  # the demo's worker sends from another process
        raise AssertionError(f"no code SMS reached {self.name}'s phones in {timeout} s")

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        self.engine.dispose()
        stop_process(self.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (the demo stops its worker and modem on it; gunicorn stops at once), then kill."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_line(process: subprocess.Popen[bytes], log: Path, pattern: str) -> re.Match[str]:
    """The first match of ``pattern`` in the server's log, once it is written."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace") if log.exists() else "")
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"the server did not start:\n{log.read_text(errors='replace')}")


def all_at_once(
    server: Server,
    call: Callable[[httpx.Client, int], httpx.Response],
    cookies: httpx.Cookies | None = None,
    *,
    count: int = PARALLEL,
) -> list[Answer]:
    """``call(client, index)`` from ``count`` threads, each with its own HTTP client (and a copy
    of ``cookies``), released together by one barrier; their answers."""
    barrier = threading.Barrier(count)
    answers: list[Answer | None] = [None] * count

    def worker(index: int) -> None:
        with server.client(httpx.Cookies(cookies) if cookies else None) as client:
            barrier.wait(timeout=60)
            try:
                response = call(client, index)
            except httpx.HTTPError as exc:
                answers[index] = Answer(0, f"{type(exc).__name__}: {exc}")
                return
            answers[index] = Answer(response.status_code, _body(response))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HTTP_TIMEOUT + 60)
    assert all(answer is not None for answer in answers), "a client thread hung or raised"
    return [answer for answer in answers if answer is not None]


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:200]


def assert_no_server_error(server: Server, answers: list[Answer]) -> None:
    """0 answers 5xx (nor a dropped connection); the server's log tail explains any."""
    statuses = Counter(answer.status for answer in answers)
    bad = [a for a in answers if a.status >= 500 or a.status == 0]
    if bad:
        raise AssertionError(
            f"{len(bad)} of {len(answers)} answers were 5xx or no answer on {server.name}: "
            f"{dict(statuses)}; first: {bad[0].body!r}\n--- server log ---\n{server.log_tail()}"
        )

"""The two servers of the concurrency suite, each started once per module.

* ``demo``: the demo as ``python -m example_app`` ships it (threaded Werkzeug server, SQLite,
  loopback modem and gateway worker); codes are read on the loopback modem's phone.
* ``gunicorn``: the example app under ``gunicorn --worker-class gthread --workers 4 --threads 8``
  on PostgreSQL (a private schema); codes are read in the outbox (no worker sends them).

Both get a :class:`ShiftedClock` so a test moves past a cool-down, or to the next day (fresh
daily budgets), without waiting.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from http_support import ROOT, Server, stop_process, wait_for_line
from shifted_clock import ShiftedClock

from gateway.fake import Inbox

HERE = Path(__file__).resolve().parent


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("EXAMPLE_REDIS_URL", None)  # the servers keep sessions in signed cookies
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("demo")
    clock, log, state = ShiftedClock(base / "clock"), base / "server.log", base / "demo"
    command = [sys.executable, str(HERE / "serve_demo.py"), str(state), str(clock.path)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=_environment()
        )
    try:
        url = wait_for_line(process, log, r"Web app:\s+(http://127\.0\.0\.1:\d+/)").group(1)
        wait_for_line(process, log, "Press Ctrl-C to stop.")
        inbox = Inbox(state.with_name("demo-phone"))
        server = Server(
            name="demo (threaded server, SQLite)",
            url=url,
            database_url=f"sqlite:///{state / 'example.sqlite3'}",
            clock=clock,
            passwords=json.loads((state / "demo-logins.json").read_text()),
            sms=lambda: [(m.to, m.text) for m in inbox.messages()],
            log=log,
            process=process,
            has_worker=True,
        )
        yield server
        server.stop()
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def postgres_schema_url(postgres_server: str) -> Iterator[str]:
    """A private schema for the module's server (see ``postgres_url`` in tests/conftest.py)."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _seed(env: dict[str, str]) -> dict[str, str]:
    """The demo's accounts, users and phones in the server's database; their passwords."""
    from example_app.seed import new_demo_passwords, seed_demo_data
    from gunicorn_host import build

    from example_app import db, init_database

    app = build(env)
    init_database(app)
    passwords = new_demo_passwords()
    with app.app_context():
        seed_demo_data(passwords)
        db.session.remove()
        db.engine.dispose()
    return passwords


@pytest.fixture(scope="module")
def gunicorn_server(
    postgres_schema_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("gunicorn")
    clock, log = ShiftedClock(base / "clock"), base / "server.log"
    env = _environment()
    env.update(
        CONCURRENCY_DATABASE_URL=postgres_schema_url,
        CONCURRENCY_CLOCK_FILE=str(clock.path),
        CONCURRENCY_SECRET_KEY=secrets.token_hex(32),
    )
    passwords = _seed(env)
    workers = ["--worker-class", "gthread", "--workers", "4", "--threads", "8"]
    where = ["--bind", "127.0.0.1:0", "--pythonpath", f"{ROOT},{HERE}"]
    command = [sys.executable, "-m", "gunicorn", *workers, *where, "gunicorn_host:create()"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        port = wait_for_line(process, log, r"Listening at: http://127\.0\.0\.1:(\d+)").group(1)
        from outbox_reader import OutboxReader

        reader = OutboxReader(postgres_schema_url)
        server = Server(
            name="gunicorn gthread 4x8, PostgreSQL",
            url=f"http://127.0.0.1:{port}",
            database_url=postgres_schema_url,
            clock=clock,
            passwords=passwords,
            sms=lambda: [(m.to, m.text) for m in reader.messages],
            log=log,
            process=process,
        )
        _warm_up(server)
        yield server
        reader.close()
        server.stop()
    finally:
        stop_process(process)


def _warm_up(server: Server) -> None:
    """Wait until the workers loaded the app (after their start, which the log announces first),
    so that the first test measures requests, not four app imports."""
    threads = [threading.Thread(target=_get_login_page, args=(server,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _get_login_page(server: Server) -> None:
    with server.client() as client:
        assert client.get("/login").status_code == 200


@pytest.fixture(params=["demo", pytest.param("gunicorn", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest) -> Server:
    """Each test on both servers; every test starts on a new day (fresh daily budgets)."""
    running: Server = request.getfixturevalue(f"{request.param}_server")
    running.clock.advance(days=1, minutes=1)
    return running

"""The demo stack: loopback modem, gateway worker and web app, all on 127.0.0.1.

The loopback modem runs in this process (it is a thread behind a pseudo-terminal); the worker
runs as a child process, exactly as on a server with a real modem, and sends what the web app
queued in the outbox of the shared SQLite database.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.cli import NoAppException
from werkzeug.serving import BaseWSGIServer, make_server

from example_app import create_app, init_database
from example_app.seed import DEMO_USERS, is_seeded, new_demo_passwords, seed_demo_data
from gateway.fake import FakeModem
from gateway.outbox import new_key_text

HOST = "127.0.0.1"
#: The demo's state, relative to the directory it is started from (``var/`` is outside git).
DEFAULT_STATE_DIR = Path("var/demo")
#: Names the demo's state dir for ``flask --app example_app.demo:cli_app`` (the admin CLI).
STATE_DIR_ENV = "DEMO_STATE_DIR"
#: How long the worker may take to stop on SIGTERM before it is killed.
WORKER_STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class DemoPaths:
    """Where the demo keeps its state (all of it outside git, under ``var/`` by default)."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "example.sqlite3"

    @property
    def fake_modem(self) -> Path:
        """The loopback modem's inbox: the simulated handset, which shows codes in clear.

        It stands for the user's phone, not the server, so it lives beside the state directory
        (``var/demo-phone``), never in it: no file of the server's state holds a code.
        """
        return self.root.with_name(f"{self.root.name}-phone")

    @property
    def outbox_key(self) -> Path:
        """The key that encrypts queued messages, shared by the web app and the worker."""
        return self.root / "outbox.key"

    @property
    def logins(self) -> Path:
        return self.root / "demo-logins.json"

    @property
    def secret_key(self) -> Path:
        return self.root / "secret-key"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"

    def reset(self) -> None:
        """Forget the demo's data: database, inbox, logins and key (only the demo's own files)."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        for path in (self.logins, self.secret_key, self.outbox_key):
            path.unlink(missing_ok=True)
        if self.fake_modem.is_dir():
            for child in self.fake_modem.iterdir():
                child.unlink()


@dataclass(frozen=True)
class DemoLogin:
    account: str
    username: str
    password: str
    is_admin: bool


def _private_text(path: Path, make: str) -> str:
    """The content of ``path``, written as ``make`` (readable by the owner only) if missing."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(make)
    return path.read_text()


def demo_app(paths: DemoPaths, **two_factor_options: Any) -> Flask:
    """The web app configured for the demo: SQLite in ``paths``, loopback phone page, plain http.

    :param two_factor_options: passed on to :meth:`TwoFactor.init_app` (tests: a ``clock``).
    """
    paths.root.mkdir(parents=True, exist_ok=True)
    _private_text(paths.outbox_key, new_key_text() + "\n")
    return create_app(
        {
            "T2M2FA_OUTBOX_KEY_FILE": str(paths.outbox_key),
            # The phone numbers are encrypted with a key derived from it: keep it across runs.
            "SECRET_KEY": _private_text(paths.secret_key, secrets.token_hex(32)),
            "SQLALCHEMY_DATABASE_URI": paths.database_url,
            "DEMO_FAKE_MODEM_STATE": str(paths.fake_modem),
            "T2M2FA_REMEMBER_COOKIE_SECURE": False,  # the demo serves plain http on 127.0.0.1
            "T2M2FA_APP_NAME": "Example",
            # Off by default in the extension; on in the demo so that its phone shows a notice.
            "T2M2FA_NOTIFY_NEW_PC": True,
            "T2M2FA_LOGIN_VIEW": "site.login",
        },
        instance_path=str(paths.root),
        **two_factor_options,
    )


def cli_app(state_dir: str | None = None) -> Flask:
    """The demo's web app for ``flask``: ``flask --app example_app.demo:cli_app t2m2fa ...``.

    Administration commands (show, unlock, revoke PCs, audit) then act on the database of the
    demo whose state dir is ``state_dir`` (``--app 'example_app.demo:cli_app("DIR")'``), else
    :data:`STATE_DIR_ENV`, else :data:`DEFAULT_STATE_DIR`: the one the demo banner names.

    :raises NoAppException: that demo has no database with tables yet (nothing is created).
    """
    root = Path(state_dir or os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR).resolve()
    paths = DemoPaths(root)
    if not _has_tables(paths.database):
        raise NoAppException(
            f"no demo database with tables at {paths.database}: start the demo first "
            f"(./dev.sh demo --state-dir DIR), or name its state dir: {STATE_DIR_ENV}=DIR"
        )
    return demo_app(paths)


def _has_tables(database: Path) -> bool:
    """True when ``database`` exists and has the extension's tables (opened read-only)."""
    if not database.is_file():
        return False
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as connection:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return connection.execute(query, ("t2m2fa_user_settings",)).fetchone() is not None


def prepare_data(app: Flask, paths: DemoPaths) -> list[DemoLogin] | None:
    """Create the tables, seed the demo data on first run; the logins, or None if forgotten."""
    init_database(app)
    with app.app_context():
        if not is_seeded():
            passwords = new_demo_passwords()
            paths.logins.unlink(missing_ok=True)
            _private_text(paths.logins, json.dumps(passwords))
            seed_demo_data(passwords)
    if not paths.logins.exists():
        return None
    passwords = json.loads(paths.logins.read_text())
    return [
        DemoLogin(user.account, user.username, passwords[user.username], user.is_admin)
        for user in DEMO_USERS
        if user.username in passwords
    ]


def _gateway_command() -> list[str]:
    script = Path(sys.executable).with_name("t2m2fa-gateway")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from gateway.cli import main; main()"]


def runnable(program: str) -> str:
    """``program`` of this interpreter's environment as a shell runs it from the current
    directory: ``.venv/bin/flask`` (no venv on PATH needed), or an absolute path."""
    path = Path(sys.executable).with_name(program)
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


class DemoStack:
    """Starts and stops the three parts of the demo, in order.

    :param paths: the demo's state.
    :param port: the web port on 127.0.0.1; 0 picks a free one (see :attr:`url`).
    :param metrics_port: the worker serves Prometheus metrics there (127.0.0.1), if given.
    :param two_factor_options: passed on to :meth:`TwoFactor.init_app` (tests: a ``clock``).
    """

    def __init__(
        self,
        paths: DemoPaths,
        port: int,
        metrics_port: int | None = None,
        **two_factor_options: Any,
    ) -> None:
        self.paths = paths
        self.two_factor_options = two_factor_options
        self.port = port
        self.metrics_port = metrics_port
        self.app: Flask | None = None
        self.logins: list[DemoLogin] | None = None
        self.modem_device: str | None = None
        self._modem: FakeModem | None = None
        self._worker: subprocess.Popen[bytes] | None = None
        self._server: BaseWSGIServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{HOST}:{self._server.server_port}/"

    @property
    def worker_pid(self) -> int | None:
        return self._worker.pid if self._worker is not None else None

    def start(self) -> None:
        """Prepare the data, bind the web port, start the loopback modem and the worker."""
        self.paths.root.mkdir(parents=True, exist_ok=True)
        try:
            self.app = demo_app(self.paths, **self.two_factor_options)
            self.logins = prepare_data(self.app, self.paths)
            # Bind first: a taken port fails before anything else was started.
            self._server = make_server(HOST, self.port, self.app, threaded=True)
            self._modem = FakeModem(self.paths.fake_modem)
            self.modem_device = str(self._modem.start())
            self._worker = self._start_worker(self.modem_device)
        except BaseException:
            self.stop()
            raise

    def _start_worker(self, device: str) -> subprocess.Popen[bytes]:
        command = [*_gateway_command(), "run", "--database", self.paths.database_url]
        if self.metrics_port is not None:
            command += ["--metrics-port", str(self.metrics_port)]
        command += ["--key-file", str(self.paths.outbox_key)]
        # Its own process group: Ctrl-C reaches only us, and we stop the worker in order.
        return subprocess.Popen([*command, "--modem", device], process_group=0)  # noqa: S603

    def serve_forever(self) -> None:
        """Serve the web app until Ctrl-C or SIGTERM."""
        assert self._server is not None, "start() first"
        # SIGINT too: a shell starts background jobs with SIGINT ignored.
        stop_signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in stop_signals}
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """Stop whatever was started, web server first and loopback modem last."""
        if self._server is not None:
            self._server.server_close()
            self._server = None
        if self._worker is not None:
            _stop_process(self._worker)
            self._worker = None
        if self._modem is not None:
            self._modem.stop()
            self._modem = None


def _stop_process(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

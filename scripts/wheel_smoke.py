"""A small host's login, end to end, against an installed flask-t2m2fa (CI: the built wheel).

Run with the Python of a virtualenv that has the wheel (and nothing of the checkout) installed,
from an empty directory outside the checkout, as ``scripts/wheel_smoke.sh`` does::

    /tmp/venv/bin/python /path/to/scripts/wheel_smoke.py /path/to/checkout

It proves that the wheel carries what a host needs: the migrations (``flask t2m2fa upgrade``),
the templates (the code page), the catalogues (the page in French), the outbox and the
``t2m2fa-gateway`` entry point (a worker with a loopback modem sends the code); and that the
bare package brings nothing of the extras (gunicorn, Flask-Security, metrics, PostgreSQL).
"""

from __future__ import annotations

import importlib.util
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

import flask_t2m2fa
import gateway
from flask_t2m2fa import TwoFactor

db = SQLAlchemy()
login_manager = LoginManager()
two_factor = TwoFactor()
BIN = Path(sys.executable).parent
NUMBER = "+32470123456"


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(200), nullable=False)


def load_user(user_id: str) -> Any:
    return db.session.get(User, int(user_id))


def create_app(directory: Path) -> Flask:
    app = Flask("smokehost")
    app.config.update(
        SECRET_KEY="s" * 40,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{directory / 'host.sqlite3'}",
        T2M2FA_OUTBOX_KEY_FILE=str(directory / "outbox.key"),
        T2M2FA_REMEMBER_COOKIE_SECURE=False,
        WTF_CSRF_ENABLED=False,
    )
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(two_factor.user_loader(load_user))
    two_factor.init_app(app, db=db, account_of=lambda user: "acme", is_admin=lambda user: False)

    @app.post("/login")
    def login() -> Any:
        user = db.session.scalar(db.select(User).filter_by(username=request.form["username"]))
        if user is None or not check_password_hash(user.password_hash, request.form["password"]):
            return "invalid", 401
        return two_factor.login(user, next_url="/")

    def home() -> str:
        return f"Hello {current_user.username}"

    app.get("/")(login_required(home))

    return app


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"wheel smoke FAILED: {what}")


def gateway_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the installed entry point
        [str(BIN / "t2m2fa-gateway"), *args], capture_output=True, text=True, timeout=60
    )


def wait_for_code(inbox: Path, worker: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        check(worker.poll() is None, "the gateway worker stopped")
        shown = gateway_cli("inbox", "--state", str(inbox), "--json", "--full-numbers")
        for line in shown.stdout.splitlines():
            message = json.loads(line)
            code = re.search(r"\b([0-9]{4})\b", message["text"])
            if message["to"] == NUMBER and code:
                return code.group(1)
        time.sleep(0.2)
    raise SystemExit("wheel smoke FAILED: no SMS reached the loopback modem")


def main(checkout: Path) -> None:
    for package in (flask_t2m2fa, gateway):
        where = Path(package.__file__ or "").resolve()
        check(not where.is_relative_to(checkout), f"{package.__name__} imported from {where}")
    for extra in ("gunicorn", "flask_security", "prometheus_client", "psycopg"):
        check(importlib.util.find_spec(extra) is None, f"{extra} comes with the bare package")
    directory = Path.cwd()  # a fresh directory outside the checkout (scripts/wheel_smoke.sh)
    check(
        gateway_cli("outbox-key", "new", "--key-file", str(directory / "outbox.key")).returncode
        == 0,
        "outbox-key new",
    )
    app = create_app(directory)
    upgraded = app.test_cli_runner().invoke(args=["t2m2fa", "upgrade"])
    check(upgraded.exit_code == 0, f"flask t2m2fa upgrade: {upgraded.output}")
    with app.app_context():
        db.create_all()  # the host's own table; the extension's are the migrations'
        user = User(username="ada", password_hash=generate_password_hash("pw"))
        db.session.add(user)
        db.session.commit()
        two_factor.enable_for(user, primary_phone=NUMBER, verified=True)
        db.session.commit()  # the facade joins the host's transaction: the host commits
    worker = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "t2m2fa-gateway"),
            "run",
            "--database",
            app.config["SQLALCHEMY_DATABASE_URI"],
            "--key-file",
            str(directory / "outbox.key"),
            "--fake",
            "1",
            "--fake-state",
            str(directory / "inbox"),
        ],
        text=True,
    )
    try:
        client = app.test_client()
        answer = client.post("/login", data={"username": "ada", "password": "pw"})
        check(answer.status_code == 302, f"login answered {answer.status_code}")
        check(answer.headers["Location"].endswith("/t2m2fa/code"), "login did not ask for a code")
        page = client.get("/t2m2fa/code", headers={"Accept-Language": "fr"}).text
        check("Entrez votre code" in page, "the code page in French (template + catalogue)")
        code = wait_for_code(directory / "inbox", worker)
        done = client.post("/t2m2fa/code", data={"code": code})
        check(done.status_code == 302, f"the code answered {done.status_code}")
        check(client.get("/").text == "Hello ada", "not logged in after the code")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    installed = Path(flask_t2m2fa.__file__ or "").parent
    print(f"wheel smoke: ada logged in with the code the worker sent, through {installed}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())

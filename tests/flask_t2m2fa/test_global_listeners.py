"""A guest in the host's house: no listener on SQLAlchemy's global classes (issue 19, DESIGN §2).

A listener on ``sqlalchemy.orm.Session`` (or ``Engine``, ``Mapper``, ...) runs in every session
of the host's process, also in ones that have nothing to do with the extension. Neither
importing the extension, nor ``init_app``, nor a login may add one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from listener_probe import global_listeners
from t2m2fa_support import PRIMARY, FakeClock, RecordingSender, build_app, json_login, json_verify

PROBE = Path(__file__).with_name("listener_probe.py")


def _probe(story: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(PROBE), story], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    listeners: list[str] = json.loads(result.stdout.splitlines()[-1])
    return listeners


def test_importing_the_extension_and_logging_in_adds_no_global_listener() -> None:
    """A fresh interpreter with the host's stack only, against one that also imported the
    extension, ran ``init_app`` and logged a user in: the same global listeners."""
    baseline = _probe("baseline")
    after_login = _probe("login")
    added = sorted(set(after_login) - set(baseline))
    assert added == [], "listeners on global SQLAlchemy classes:\n" + "\n".join(added)
    assert after_login == baseline


def test_init_app_and_a_login_add_no_global_listener(
    sqlite_url: str, clock: FakeClock, sms: RecordingSender
) -> None:
    """In this process (the extension is imported already): none of the extension's own before
    ``init_app``, and the same global listeners after it and after a full login."""
    seen: dict[str, list[str]] = {}

    def before_init_app(_app: Flask) -> None:
        seen["before init_app"] = global_listeners()

    app = build_app(sqlite_url, clock, sms, {}, before=before_init_app)
    seen["after init_app"] = global_listeners()
    host: Any = app.extensions["test_host"]
    with app.app_context():
        user = host.add_user("alice")
        host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
        host.db.session.commit()
        client = app.test_client()
        assert json_login(client, "alice").json["status"] == "2fa_required"
        assert json_verify(client, sms.last.code).json["status"] == "ok"
        seen["after a login"] = global_listeners()
        host.db.session.remove()
        host.db.engine.dispose()
    ours = [line for line in seen["before init_app"] if ": flask_t2m2fa." in line]
    assert ours == [], "registered when the extension was imported:\n" + "\n".join(ours)
    assert seen["after init_app"] == seen["before init_app"]
    assert seen["after a login"] == seen["before init_app"]

"""Schemathesis against the JSON API: generated requests, every answer checked against openapi.yaml.

Stateless: each generated request is sent by a client that has just passed the password (the
login hook), so it reaches the code step, not only ``login_required``. The fake clock moves a
month before each login, so the wrong-code and SMS budgets never close the login; an enrolment
request gets a fresh user who must enter his number. Marked ``schemathesis`` (CI runs it).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import schemathesis
import schemathesis.engine
import yaml
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from t2m2fa_support import BACKUP, PRIMARY, FakeClock, Host, enrolling_user, json_login
from werkzeug.serving import make_server

pytestmark = pytest.mark.schemathesis

_DOCUMENT = yaml.safe_load(
    (resources.files("flask_t2m2fa") / "openapi.yaml").read_text(encoding="utf-8")
)
# The login API only: the admin endpoints need a logged-in administrator with a fresh second
# factor, which this hook does not make (test_admin_authz covers them route by route).
_DOCUMENT["paths"] = {k: v for k, v in _DOCUMENT["paths"].items() if not k.startswith("/admin")}
_names = itertools.count()
#: A schema-valid number is still refused when it is no real mobile number: 400 is expected.
_CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": "/api/enrol",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404"]
                    }
                },
            }
        ]
    }
)
#: Per operation and phase; the run stays under 3 minutes on the CI machine.
MAX_EXAMPLES = 100


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app on a real HTTP server: schemathesis sends what a client really sends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/t2m2fa"
    server.shutdown()
    thread.join()


def _half_logged_in(app: Flask, host: Host, clock: FakeClock, *, enrolling: bool) -> str:
    """The session cookie of a login that waits for its code (or, enrolling, for a number)."""
    with lock, app.app_context():  # the engine's worker threads have none
        clock.advance(days=31)
        name = f"user{next(_names)}"
        if enrolling:
            enrolling_user(host, name)
        else:
            user = host.add_user(name)
            host.two_factor.enable_for(
                user, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True
            )
    client = app.test_client()
    answer = json_login(client, name)
    assert answer.json["status"] in ("2fa_required", "enrolment_required"), answer.json
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


lock = threading.Lock()


def test_api_answers_as_documented(app: Flask, host: Host, clock: FakeClock, server: str) -> None:
    schema = schemathesis.openapi.from_dict(_DOCUMENT, config=_CONFIG)
    schema.config.update(base_url=server)
    schema.config.generation.update(max_examples=MAX_EXAMPLES)

    @schema.auth(refresh_interval=None)
    class HalfLoggedIn:
        """The login hook: every request comes from a fresh half-logged-in client."""

        def get(self, case: Any, ctx: Any) -> str:
            enrolling = case.operation.path == "/api/enrol"
            return _half_logged_in(app, host, clock, enrolling=enrolling)

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.cookies = {**(case.cookies or {}), "session": data}

    failures, errors, cases = [], [], 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, (events.NonFatalError, events.FatalError)):
            errors.append(event)
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                failures += [c for c in checks if c.status is Status.FAILURE]
    print(f"schemathesis: {cases} cases, {len(failures)} failures, {len(errors)} errors")
    assert [(e.label, repr(e.value)[:2000]) for e in errors] == []
    assert [(f.name, f.failure_info) for f in failures] == []
    assert cases > 300

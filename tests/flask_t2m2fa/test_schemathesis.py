"""Schemathesis against the JSON API: generated requests, every answer checked against openapi.yaml.

Stateless: each generated request of the login API is sent by a client that has just passed the
password (the login hook), so it reaches the code step, not only ``login_required``. The fake
clock moves a month before each login, so the wrong-code and SMS budgets never close the login;
an enrolment request gets a fresh user who must enter his number.

The admin API's requests are each sent by an administrator of a fresh account who has just
logged in with a code (the admin hook), so his step-up is fresh and every guard lets him through;
a generated ``user_id`` is mostly replaced by one of his account's users, so the actions reach
real users. Marked ``schemathesis`` (CI runs them).
"""

from __future__ import annotations

import copy
import itertools
import os
import secrets
import threading
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pytest
import schemathesis
import schemathesis.engine
import yaml
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    enrolling_user,
    json_login,
    json_verify,
)
from werkzeug.serving import make_server

pytestmark = pytest.mark.schemathesis

_FULL_DOCUMENT = yaml.safe_load(
    (resources.files("flask_t2m2fa") / "openapi.yaml").read_text(encoding="utf-8")
)
_DOCUMENT = copy.deepcopy(_FULL_DOCUMENT)
# The login API only: the admin endpoints need a logged-in administrator with a fresh second
# factor, which this hook does not make (the admin hook below does).
_DOCUMENT["paths"] = {k: v for k, v in _DOCUMENT["paths"].items() if not k.startswith("/admin")}
_ADMIN_DOCUMENT = copy.deepcopy(_FULL_DOCUMENT)
_ADMIN_DOCUMENT["paths"] = {
    k: v for k, v in _ADMIN_DOCUMENT["paths"].items() if k.startswith("/admin")
}
_names = itertools.count()
#: A body that the schema allows may still pass the documented 4096-byte limit (a JSON schema
#: cannot bound a body's size): 413, as the document says, is an accepted answer to valid data,
#: beside schemathesis's own defaults for that check.
_TOO_LARGE = "413"
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", _TOO_LARGE, "429", "5xx"]
#: A schema-valid number is still refused when it is no real mobile number: 400 is expected.
_CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": _ACCEPTED}},
        "operations": [
            {
                "include-path": "/api/enrol",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", _TOO_LARGE]
                    }
                },
            }
        ],
    }
)
#: Per operation and phase; the run stays under 3 minutes on the CI machine.
MAX_EXAMPLES = 100
#: The generation seed: fixed, so that a failure is reproduced by running the test again and CI
#: judges the code, not the draw. ``T2M2FA_SCHEMATHESIS_SEED=random`` explores new draws.
_SEED_SETTING = os.environ.get("T2M2FA_SCHEMATHESIS_SEED", "20261206")
SEED = secrets.randbits(64) if _SEED_SETTING == "random" else int(_SEED_SETTING)


@contextmanager
def _served(app: Flask) -> Iterator[str]:
    """``app`` on a real HTTP server: schemathesis sends what a client really sends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/t2m2fa"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with _served(app) as url:
        yield url


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
            host.db.session.commit()
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
    schema.config.seed = SEED

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
    counts = f"{cases} cases, {len(failures)} failures, {len(errors)} errors"
    print(f"schemathesis (seed {SEED}): {counts}")
    assert [(e.label, repr(e.value)[:2000]) for e in errors] == []
    assert [(f.name, f.failure_info) for f in failures] == []
    assert cases > 300


@dataclass
class Run:
    """What one schemathesis run did."""

    cases: int = 0
    failures: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    #: The status codes answered, by operation.
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))


def _run(schema: Any) -> Run:
    """Run every phase of ``schema``'s tests."""
    run = Run()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, (events.NonFatalError, events.FatalError)):
            run.errors.append(event)
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            run.cases += len(recorder.cases)
            for checks in recorder.checks.values():
                run.failures += [c for c in checks if c.status is Status.FAILURE]
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is not None:
                    label = recorder.cases[case_id].value.operation.label
                    run.statuses[label][interaction.response.status_code] += 1
    return run


@pytest.fixture
def admin_server(admin_app: Flask) -> Iterator[str]:
    with _served(admin_app) as url:
        yield url


#: A refused action (a badly typed number, a wrong code, nothing to cancel, not locked) answers
#: 400 or 409 to a body of the documented shape: the shape does not say which action needs what.
_ADMIN_CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": _ACCEPTED}},
        "operations": [
            {
                "include-path": "/admin/api/users/{user_id}/{action}",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", _TOO_LARGE]
                    }
                },
            }
        ],
    }
)


@dataclass(frozen=True)
class Administrator:
    """The admin hook's answer: his session cookie and the ids of his account's users."""

    cookie: str
    #: Himself, a user with 2FA and both phones, a user without 2FA settings.
    user_ids: tuple[str, str, str]


def _number(prefix: int, n: int) -> str:
    """A valid Belgian mobile number of its own: no sending cap of one case closes another."""
    return f"+32{prefix}{n % 1_000_000:06d}"


def _administrator(app: Flask, host: Host, sms: RecordingSender) -> Administrator:
    """An administrator of a fresh account, logged in with a code just now (step-up fresh)."""
    with lock, app.app_context():  # the engine's worker threads have none
        n = next(_names)
        account, tf = f"account{n}", host.two_factor
        boss = host.add_user(f"boss{n}", account=account, admin=True)
        tf.enable_for(
            boss, primary_phone=_number(470, n), backup_phone=_number(471, n), verified=True
        )
        user = host.add_user(f"user{n}", account=account)
        tf.enable_for(
            user, primary_phone=_number(472, n), backup_phone=_number(473, n), verified=True
        )
        host.db.session.commit()
        newcomer = host.add_user(f"newcomer{n}", account=account)
        ids = (str(boss.id), str(user.id), str(newcomer.id))
    client = app.test_client()
    answer = json_login(client, f"boss{n}")
    assert answer.json["status"] == "2fa_required", answer.json
    verified = json_verify(client, sms.last_code_for(_number(470, n)))
    assert verified.json["status"] == "ok", verified.json
    cookie = client.get_cookie("session")
    assert cookie is not None
    return Administrator(cookie.value, ids)


def test_admin_api_answers_as_documented(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, admin_server: str
) -> None:
    host: Host = admin_app.extensions["test_host"]
    schema = schemathesis.openapi.from_dict(_ADMIN_DOCUMENT, config=_ADMIN_CONFIG)
    schema.config.update(base_url=admin_server)
    schema.config.generation.update(max_examples=MAX_EXAMPLES)
    schema.config.seed = SEED

    @schema.auth(refresh_interval=None)
    class FreshAdministrator:
        """The admin hook: every request comes from a fresh administrator with a fresh code."""

        def get(self, case: Any, ctx: Any) -> Administrator:
            return _administrator(admin_app, host, sms)

        def set(self, case: Any, data: Administrator, ctx: Any) -> None:
            case.cookies = {**(case.cookies or {}), "session": data.cookie}
            given = (case.path_parameters or {}).get("user_id")
            if given is not None:
                # Three in four requests name a user of his account (himself, a user with 2FA,
                # one without); the others keep the generated id (404, or another account's).
                pick = zlib.crc32(repr(given).encode()) % 4
                if pick:
                    case.path_parameters["user_id"] = data.user_ids[pick - 1]

    run = _run(schema)
    counts = f"{run.cases} cases, {len(run.failures)} failures, {len(run.errors)} errors"
    print(f"schemathesis (admin API, seed {SEED}): {counts}")
    for label, statuses in sorted(run.statuses.items()):
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert [(e.label, repr(e.value)[:2000]) for e in run.errors] == []
    assert [(f.name, f.failure_info) for f in run.failures] == []
    assert run.cases > 200
    # The hook did log an administrator in: every operation answered him, not only refused.
    assert len(run.statuses) == 6
    assert all(statuses[200] for statuses in run.statuses.values()), run.statuses

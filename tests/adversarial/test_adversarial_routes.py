"""Every route of the example host, its own and the extension's, against every kind of body.

The rules are read from the app's URL map, so a route added later is fuzzed without anyone
remembering to: each (rule, method it allows) receives each body of :data:`BODIES` in each
session state (anonymous, half-logged-in at the code step, half-logged-in entering a number,
logged in). What must hold (issue 15; issue 8, point 4):

- no answer is a 5xx;
- junk never logs anyone in;
- a submission counts as exactly one wrong code when the answer says "wrong code", and as none
  otherwise (repeated fields, odd bodies and refused requests count nothing).

The states are built with the example host (``example_app.create_app``) on a fake clock moved
four days per case, so no daily or 30-day budget is ever reached by the cases themselves.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from example_app.auth import hash_password
from example_app.seed import DEMO_ACCOUNT, seed_demo_data
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from doubles import OUTBOX_KEY, FakeClock, RecordingSender
from example_app import User, create_app, db, init_database, two_factor
from flask_t2m2fa.models import Failure

PASSWORDS = {"admin": "admin-secret-1", "user": "user-secret-2", "newbie": "newbie-secret-3"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
STATES = ("anonymous", "code_step", "enrolling", "logged_in")
#: Every field name a form of the host or of the extension reads, with a junk value. The code
#: is letters: it can never be the right one, and must count as a wrong one.
FIELDS = {
    "code": "abcd",
    "remember_pc": "y",
    "destination": "backup",
    "phone": "not a phone",
    "account": DEMO_ACCOUNT,
    "username": "user",
    "password": "not the password",
    "remember": "y",
}
DEEP = "[" * 2000 + "]" * 2000
BIG = 100_000  # over the example app's MAX_CONTENT_LENGTH (64 kB)


def _app(state_dir: Path) -> tuple[Flask, FakeClock, RecordingSender]:
    clock = FakeClock()
    sms = RecordingSender(clock)
    settings = {
        "TESTING": True,
        "SECRET_KEY": "route-fuzz-secret-key-0123456789abcdef0123",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{state_dir / 'example.sqlite3'}",
        "EXAMPLE_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "T2M2FA_REMEMBER_COOKIE_SECURE": False,
        "T2M2FA_RECOVERY_HASH_MEMORY_KIB": 8,  # a fuzzed POST may make a set: the argon2 floor
        "DEMO_FAKE_MODEM_STATE": str(state_dir),  # the demo phone page is a route too
        # Thousands of junk logins from one address would trip the password-guess limits
        # (tested on their own); the fuzz is about what each route does with a body. (Not
        # RATELIMIT_ENABLED: the example's limiter object is shared by every app it serves.)
        "EXAMPLE_LOGIN_LIMIT_PER_USER": "1000000 per 15 minutes",
        "EXAMPLE_LOGIN_LIMIT_PER_ADDRESS": "1000000 per 15 minutes",
    }
    app = create_app(settings, instance_path=str(state_dir), sender=sms, clock=clock)
    init_database(app)
    with app.app_context():
        account = seed_demo_data(PASSWORDS)
        password = hash_password(PASSWORDS["newbie"])
        newbie = User(account=account, username="newbie", is_admin=False, password_hash=password)
        db.session.add(newbie)
        db.session.commit()
        two_factor.enable_for(newbie)  # no number: he enters his own at next login
        db.session.commit()
    return app, clock, sms


#: A value for each URL argument of a rule; a new rule with another argument fails collection,
#: so that it gets a value here rather than silently answering 404 to everything.
#: ``user_id`` 2 is the demo account's user, whom its administrator manages.
URL_ARGUMENTS = {"filename": "style.css", "user_id": "2", "action": "disable"}


def _routes() -> list[tuple[str, str, str]]:
    """(rule, method, concrete path) of every route, read from a throw-away app's URL map."""
    with tempfile.TemporaryDirectory() as state_dir:
        settings = {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "DEMO_FAKE_MODEM_STATE": state_dir,
            # Collection runs before the session fixture that names the suite's key file.
            "T2M2FA_OUTBOX_KEY": OUTBOX_KEY,
        }
        app = create_app(settings, instance_path=state_dir)
        urls = app.url_map.bind("localhost")
        return sorted(
            (rule.rule, method, urls.build(rule.endpoint, _arguments(rule)))
            for rule in app.url_map.iter_rules()
            for method in rule.methods or ()
        )


def _arguments(rule: Rule) -> dict[str, str]:
    return {name: URL_ARGUMENTS[name] for name in rule.arguments}


# --- bodies -------------------------------------------------------------------------------
Open = dict[str, Any]  # keyword arguments of FlaskClient.open


def _raw(body: str | bytes, content_type: str) -> Open:
    return {"data": body.encode() if isinstance(body, str) else body, "content_type": content_type}


def _chunked(body: bytes, content_type: str) -> Open:
    """As a server that decoded ``Transfer-Encoding: chunked`` hands it on: no Content-Length."""
    return {
        "input_stream": io.BytesIO(body),
        "content_type": content_type,
        "headers": {"Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input_terminated": True},
    }


def _form_bytes(token: str, **extra: str) -> bytes:
    return urlencode({"csrf_token": token, **FIELDS, **extra}).encode()


def _multipart(token: str) -> Open:
    files = {name: (io.BytesIO(b"1234"), "x.txt") for name in FIELDS}
    return {"data": {"csrf_token": token, **files}, "content_type": "multipart/form-data"}


def _repeated(token: str) -> Open:
    pairs = [("csrf_token", token), ("csrf_token", "junk")]
    for name, value in FIELDS.items():
        pairs += [(name, value), (name, value + "x"), (name, "")]
    return {"data": MultiDict(pairs)}


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
BODIES: dict[str, Callable[[str], Open]] = {
    "none": lambda t: {},
    "form": lambda t: {"data": {"csrf_token": t, **FIELDS}},
    "form_without_csrf": lambda t: {"data": dict(FIELDS)},
    "form_repeated_fields": _repeated,
    "form_invalid_utf8": lambda t: _raw(_form_bytes(t) + b"&code=%ff%fe\xff&username=\xc3", FORM),
    "multipart_files_for_fields": _multipart,
    "multipart_without_boundary": lambda t: _raw(b"--x\r\n\r\n--x--", "multipart/form-data"),
    "json_object": lambda t: {"json": {"csrf_token": t, **FIELDS}},
    "json_object_numbers": lambda t: {"json": {name: 5 for name in ("csrf_token", *FIELDS)}},
    "json_object_nested": lambda t: {"json": {n: {"a": [[1]]} for n in ("csrf_token", *FIELDS)}},
    "json_array": lambda t: _raw("[1, 2]", JSON),
    "json_string": lambda t: _raw('"abc"', JSON),
    "json_number": lambda t: _raw("5", JSON),
    "json_null": lambda t: _raw("null", JSON),
    "json_true": lambda t: _raw("true", JSON),
    "json_deep_array": lambda t: _raw(DEEP, JSON),
    "json_deep_in_object": lambda t: _raw('{"code": ' + DEEP + "}", JSON),
    "json_invalid_utf8": lambda t: _raw(b'{"code": "\xff\xfe", "username": "\xc3"}', JSON),
    "json_truncated": lambda t: _raw('{"code": "12', JSON),
    "json_empty": lambda t: _raw("", JSON),
    "json_as_text_plain": lambda t: _raw(json.dumps({"csrf_token": t, **FIELDS}), "text/plain"),
    "json_as_vendor_type": lambda t: {
        "json": {"csrf_token": t, **FIELDS},
        "content_type": ("application/vnd.api+json"),
    },
    "form_as_json": lambda t: _raw(_form_bytes(t), JSON),
    "chunked_form": lambda t: _chunked(_form_bytes(t), FORM),
    "chunked_json": lambda t: _chunked(json.dumps({"csrf_token": t, **FIELDS}).encode(), JSON),
    "chunked_oversize": lambda t: _chunked(_form_bytes(t, code="1" * BIG), FORM),
    "oversize_form": lambda t: {"data": {"csrf_token": t, **FIELDS, "code": "1" * BIG}},
    "oversize_json": lambda t: {"json": {"csrf_token": t, **FIELDS, "code": "1" * BIG}},
    "octet_stream": lambda t: _raw(b"\x00\xff" * 100, "application/octet-stream"),
}


# --- session states -----------------------------------------------------------------------
@dataclass
class Fuzzed:
    app: Flask
    clock: FakeClock
    sms: RecordingSender

    def failures(self) -> int:
        with self.app.app_context():
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Failure))
            return int(count or 0)

    def client_in(self, state: str) -> tuple[FlaskClient, str]:
        """A new client in ``state``, four virtual days after the last one, and a CSRF token."""
        self.clock.advance(days=4)
        client = self.app.test_client()
        if state == "anonymous":
            return client, _token(client, "/login")
        user = "newbie" if state == "enrolling" else "user"
        credentials = {"account": DEMO_ACCOUNT, "username": user, "password": PASSWORDS[user]}
        started = client.post("/api/login", json=credentials)
        expected = "enrolment_required" if state == "enrolling" else "2fa_required"
        assert started.get_json()["status"] == expected, started.data
        if state == "enrolling":
            return client, _token(client, "/t2m2fa/enrol")
        if state == "code_step":
            return client, _token(client, "/t2m2fa/code")
        done = client.post("/t2m2fa/api/verify", json={"code": self.sms.messages[-1].code})
        assert done.get_json()["status"] == "ok", done.data
        return client, _token(client, "/")


def _token(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    found = CSRF_RE.search(page.text)
    assert found is not None, (url, page.status_code)
    return found.group(1)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    app, clock, sms = _app(tmp_path_factory.mktemp("route_fuzz"))
    yield Fuzzed(app, clock, sms)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- the cases ----------------------------------------------------------------------------
#: The bodies that found 500s (issue 8, point 4) and repeated fields (one wrong code, counted
#: once): sent to every route that takes a body in the quick loop. Every other case is marked
#: slow (``./dev.sh test -m "not slow"`` skips them; CI runs them).
QUICK_BODIES = (
    "json_array",
    "json_deep_array",
    "json_object_numbers",
    "multipart_files_for_fields",
    "form_repeated_fields",
)
SUBMIT_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _cases() -> Iterator[Any]:
    for rule, method, path in _routes():
        for body in BODIES:
            for state in STATES:
                quick = body in QUICK_BODIES and method in SUBMIT_METHODS
                marks = [] if quick else [pytest.mark.slow]
                yield pytest.param(
                    rule,
                    method,
                    path,
                    body,
                    state,
                    marks=marks,
                    id=f"{rule}-{method}-{body}-{state}",
                )


def _says_wrong_code(answer: Any) -> bool:
    if answer.is_json:
        data = answer.get_json(silent=True)
        return isinstance(data, dict) and data.get("status") == "invalid_code"
    return answer.status_code == 401 and "Wrong code." in answer.get_data(as_text=True)


@pytest.mark.parametrize(("rule", "method", "path", "body", "state"), list(_cases()))
def test_route_never_fails_on_any_body(
    fuzzed: Fuzzed, rule: str, method: str, path: str, body: str, state: str
) -> None:
    client, token = fuzzed.client_in(state)
    before = fuzzed.failures()
    answer = client.open(path, method=method, **BODIES[body](token))
    answer.close()  # a static file's answer holds the file open
    assert answer.status_code < 500, answer.get_data(as_text=True)[-2000:]
    counted = fuzzed.failures() - before
    assert counted == (1 if _says_wrong_code(answer) else 0), (answer.status_code, counted)
    if state != "logged_in":
        assert client.get("/").status_code == 302, "junk logged a client in"


def test_routes_are_the_hosts_and_the_extensions() -> None:
    """The enumeration reaches both blueprints and the pages that take a body."""
    rules = {(rule, method) for rule, method, _ in _routes()}
    for route in (
        "/login",
        "/logout",
        "/api/login",
        "/t2m2fa/code",
        "/t2m2fa/resend",
        "/t2m2fa/enrol",
        "/t2m2fa/api/verify",
        "/t2m2fa/api/resend",
        "/t2m2fa/api/enrol",
    ):
        assert (route, "POST") in rules, route
    assert ("/demo/phone", "GET") in rules

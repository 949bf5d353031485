"""The route fuzz, for ids (issue 21): every route of the example host, as its administrator
(the one who reaches the most), with ids no integer column holds.

Each URL argument that names a row gets integers beyond 64 bits, negatives, zero and odd
spellings; each body gets a ``pc_id`` (and a ``user``) of the same kinds, as a JSON number, a
JSON string and a form field. No answer may be a 5xx: an id no row can have is an unknown id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from example_app.seed import DEMO_ACCOUNT
from flask import Flask
from flask.testing import FlaskClient
from test_adversarial_routes import PASSWORDS, _app, _routes, _token

from doubles import FakeClock, RecordingSender

#: Row ids as a URL or a form carries them.
ID_TEXTS = (
    str(2**63),
    str(2**63 - 1),
    str(2**64 + 5),
    str(10**40),
    str(-(2**63) - 1),
    "-1",
    "0",
    "2.0",
    "1e30",
)
#: Row ids as a JSON body carries them: numbers, and numeric strings.
ID_VALUES: tuple[Any, ...] = (
    2**63, 2**64 + 5, 10**40, -(2**63) - 1, -1, 0, 1e30, "0" * 30 + "2", *ID_TEXTS
)  # fmt: skip
SUBMIT = ("POST", "PUT", "PATCH", "DELETE")


def _id_routes() -> list[tuple[str, str, str]]:
    """(rule, method, path) of the routes whose URL takes a row id (the demo user's, 2)."""
    return [(r, m, p) for r, m, p in _routes() if "<user_id>" in r or ":user_id>" in r]


@pytest.fixture(scope="module")
def fuzzed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Flask, FakeClock, RecordingSender]]:
    yield _app(tmp_path_factory.mktemp("id_fuzz"))


@pytest.fixture
def admin(fuzzed: tuple[Flask, FakeClock, RecordingSender]) -> FlaskClient:
    """The administrator, logged in with a code just now (four virtual days after the last
    case: no daily cap is reached; a case may have logged him out or demoted him)."""
    app, clock, sms = fuzzed
    clock.advance(days=4)
    client = app.test_client()
    credentials = {"account": DEMO_ACCOUNT, "username": "admin", "password": PASSWORDS["admin"]}
    assert client.post("/api/login", json=credentials).get_json()["status"] == "2fa_required"
    done = client.post("/t2m2fa/api/verify", json={"code": sms.messages[-1].code})
    assert done.get_json()["status"] == "ok"
    return client


@pytest.mark.parametrize(("rule", "method", "path"), _id_routes())
def test_an_id_no_row_can_have_in_the_url_is_a_404(
    admin: FlaskClient, rule: str, method: str, path: str
) -> None:
    client = admin
    body = {"json": {}} if method in SUBMIT and "/api/" in rule else {}
    if method in SUBMIT and "/api/" not in rule:
        body = {"data": {"csrf_token": _token(client, "/t2m2fa/admin/policy"), "action": "unlock"}}
    for text in ID_TEXTS:
        odd = path.replace("/2", f"/{text}", 1)
        answer = client.open(odd, method=method, **body)
        assert answer.status_code < 500, answer.get_data(as_text=True)[-1500:]
        if method != "OPTIONS":
            assert answer.status_code == 404, (odd, answer.status_code)


def _submit_routes() -> list[tuple[str, str, str]]:
    return [(r, m, p) for r, m, p in _routes() if m in SUBMIT]


@pytest.mark.parametrize(("rule", "method", "path"), _submit_routes())
def test_an_id_no_row_can_have_in_a_body_is_never_a_500(
    admin: FlaskClient, rule: str, method: str, path: str
) -> None:
    client = admin
    token = _token(client, "/t2m2fa/admin/policy")
    for value in ID_VALUES:
        fields = {"pc_id": value, "user": value, "action": "revoke-pc", "role": "primary"}
        as_json = client.open(path, method=method, json={**fields, "csrf_token": token})
        assert as_json.status_code < 500, (value, as_json.get_data(as_text=True)[-1500:])
        form = {name: str(v) for name, v in fields.items()}
        as_form = client.open(path, method=method, data={**form, "csrf_token": token})
        assert as_form.status_code < 500, (value, as_form.get_data(as_text=True)[-1500:])

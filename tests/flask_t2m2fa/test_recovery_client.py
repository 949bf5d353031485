"""The terminal client takes a recovery code at the code prompt ("c"), against the test
host in-process (the pty walk against the running demo is in
tests/example_app/test_example_app_client.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from example_app.client.api import Answer
from example_app.client.flow import Conversation
from example_app.client.store import Identity
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import FakeClock, RecordingSender, json_login, json_verify


class FakeApi:
    """The client's :class:`Api` over a Flask test client (same paths, same JSON)."""

    server = "http://localhost"

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post(self, path: str, body: dict[str, Any]) -> Answer:
        response = self.client.post(path, json=body)
        return Answer(response.status_code, response.get_json() or {})

    def cookies(self) -> list[dict[str, str]]:
        return []


class NoStore:
    def save(self, *_: Any) -> None:
        pass

    def put(self, *_: Any) -> None:
        pass


def answers(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    feed: Iterator[str] = iter(lines)
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(feed))


def test_c_at_the_code_prompt_logs_in_with_a_recovery_code(
    app: Flask,
    alice: Any,
    sms: RecordingSender,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = app.test_client()
    json_login(setup, "alice")
    json_verify(setup, sms.last.code)
    codes = setup.post("/t2m2fa/api/security/recovery-codes", json={}).json["codes"]
    clock.advance(seconds=61)
    client = app.test_client()
    step = json_login(client, "alice").json
    answers(["n", "c", "abcd", "c", codes[0]], monkeypatch)
    who = Identity("http://localhost", "acme", "alice")
    talk = Conversation(FakeApi(client), who, NoStore(), NoStore())  # type: ignore[arg-type]
    assert talk.follow(Answer(200, step)) == 0
    said = capsys.readouterr().out
    assert "ten letters and digits" in said  # "abcd": refused, nothing counted, asked again
    assert "You logged in with a recovery code: 9 left." in said
    assert "Logged in as" in said

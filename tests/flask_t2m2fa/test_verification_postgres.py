"""The check, count and consume of a code is one atomic step: proven with parallel requests on
PostgreSQL and MariaDB (SQLite serialises writers, so it cannot prove it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from t2m2fa_support import FakeClock, RecordingSender, in_parallel, json_login, json_verify, wrong

from flask_t2m2fa.models import Failure

PARALLEL = 12


@pytest.fixture(params=["postgres", "mariadb"])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def verify_in_parallel(
    app: Flask, cookie: dict[str, Any], make_body: Callable[[int], Any]
) -> list[Any]:
    """Parallel code checks of one half-logged-in session: (HTTP status, JSON status) each."""
    clients = []
    for _ in range(PARALLEL):
        client = app.test_client()
        with client.session_transaction() as session:
            session.update(cookie)
        clients.append(client)

    def submit(index: int) -> tuple[int, str]:
        response = json_verify(clients[index], make_body(index))
        return response.status_code, response.json["status"]

    return in_parallel(submit, PARALLEL)


def half_logged_in(app: Flask) -> dict[str, Any]:
    client = app.test_client()
    json_login(client, "alice")
    with client.session_transaction() as session:
        return dict(session)


def test_parallel_right_codes_give_exactly_one_success(
    app: Flask, alice: Any, sms: RecordingSender
) -> None:
    cookie = half_logged_in(app)
    results = verify_in_parallel(app, cookie, lambda _: sms.last.code)
    assert sorted(status for _, status in results).count("ok") == 1
    assert all(status in ("ok", "code_expired") for _, status in results)


def test_parallel_wrong_codes_evaluate_at_most_three(
    app: Flask, alice: Any, sms: RecordingSender
) -> None:
    cookie = half_logged_in(app)
    code = sms.last.code
    results = verify_in_parallel(app, cookie, lambda _: wrong(code))
    assert sum(status == "invalid_code" for _, status in results) == 3
    db = app.extensions["test_host"].db
    db.session.rollback()
    assert db.session.query(Failure).count() == 3


def test_postgres_stores_aware_utc(
    app: Flask, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    client = app.test_client()
    json_login(client, "alice")
    clock.advance(minutes=4, seconds=59)
    assert json_verify(client, sms.last.code).json["status"] == "ok"


def test_parallel_logins_of_one_user_send_one_sms(
    app: Flask, alice: Any, sms: RecordingSender
) -> None:
    """The send counters are read after the lock of the user's settings row: of parallel
    logins, the first sends and the others are within its cool-down (a read before the lock
    would let each of them send)."""
    clients = [app.test_client() for _ in range(PARALLEL)]

    def log_in(index: int) -> tuple[int, str]:
        answer = json_login(clients[index], "alice")
        return answer.status_code, answer.json["status"]

    assert in_parallel(log_in, PARALLEL) == [(200, "2fa_required")] * PARALLEL
    assert len(sms.messages) == 1

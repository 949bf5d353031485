"""Password guessing on the example host is throttled: failed logins per user and per address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from example_app.seed import DEMO_ACCOUNT
from flask import Flask
from flask.testing import FlaskClient
from test_example_app import PASSWORDS, _make_app, post_login, without_tokens
from werkzeug.test import TestResponse

from doubles import RecordingSender

PER_USER = 10  # Talk2M: a user is blocked for 15 minutes after 10 failed logins
PER_ADDRESS = 30


@pytest.fixture
def sms() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def app(tmp_path: Path, sms: RecordingSender) -> Flask:
    return _make_app(tmp_path, sms)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def fail(client: FlaskClient, username: str, times: int) -> None:
    for _ in range(times):
        answer = post_login(client, DEMO_ACCOUNT, username, "wrong-password")
        assert answer.status_code == 200, answer.status_code


def assert_throttled(answer: TestResponse) -> int:
    assert answer.status_code == 429
    seconds = int(answer.headers["Retry-After"])
    assert 0 < seconds <= 15 * 60
    return seconds


@pytest.mark.parametrize("username", ["user", "no-such-user"])
def test_ten_failed_logins_block_the_username_even_with_the_right_password(
    client: FlaskClient, sms: RecordingSender, username: str
) -> None:
    fail(client, username, PER_USER)
    answer = post_login(client, DEMO_ACCOUNT, username, PASSWORDS["user"])
    assert_throttled(answer)
    assert "Too many failed logins" in answer.text
    assert sms.messages == []
    # Another user of the same client is not blocked by this user's count.
    assert post_login(client, DEMO_ACCOUNT, "admin", "wrong").status_code == 200


def test_known_and_unknown_users_get_the_same_429(app: Flask) -> None:
    bodies = set()
    for username in ("user", "no-such-user"):
        client = app.test_client()
        fail(client, username, PER_USER)
        answer = post_login(client, DEMO_ACCOUNT, username, "wrong-password")
        assert_throttled(answer)
        bodies.add(without_tokens(answer.text).replace(f'value="{username}"', ""))
    assert len(bodies) == 1


def test_names_count_whatever_their_case(client: FlaskClient) -> None:
    fail(client, "User", PER_USER // 2)
    fail(client, " USER ", PER_USER - PER_USER // 2)
    assert_throttled(post_login(client, DEMO_ACCOUNT, "user", "wrong-password"))


def test_json_and_html_logins_share_the_count(client: FlaskClient) -> None:
    body = {"account": DEMO_ACCOUNT, "username": "user", "password": "wrong"}
    for _ in range(PER_USER):
        assert client.post("/api/login", json=body).status_code == 401
    answer = client.post("/api/login", json={**body, "password": PASSWORDS["user"]})
    seconds = assert_throttled(answer)
    assert answer.json is not None
    assert answer.json["status"] == "too_many_attempts"
    assert answer.json["retry_after"] == seconds
    assert_throttled(post_login(client, DEMO_ACCOUNT, "user", PASSWORDS["user"]))


def test_one_address_cannot_try_many_users(app: Flask) -> None:
    client = app.test_client()
    for number in range(PER_ADDRESS):
        fail(client, f"guess-{number}", 1)
    assert_throttled(post_login(client, DEMO_ACCOUNT, "fresh-name", "wrong-password"))
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert post_login(elsewhere, DEMO_ACCOUNT, "fresh-name", "wrong").status_code == 200


def test_successful_logins_do_not_count(app: Flask) -> None:
    for _ in range(PER_USER + 2):
        answer = post_login(app.test_client(), DEMO_ACCOUNT, "user", PASSWORDS["user"])
        assert answer.status_code == 302


def test_the_login_page_itself_is_never_blocked(client: FlaskClient) -> None:
    fail(client, "user", PER_USER)
    assert client.get("/login").status_code == 200


@pytest.fixture
def redis_app(
    tmp_path: Path, sms: RecordingSender, redis_server: str, redis_prefix: str
) -> Iterator[Flask]:
    app = _make_app(
        tmp_path,
        sms,
        EXAMPLE_REDIS_URL=redis_server,
        SESSION_KEY_PREFIX=f"{redis_prefix}session:",
        RATELIMIT_KEY_PREFIX=redis_prefix,
    )
    yield app
    app.config["SESSION_REDIS"].close()


def test_counts_live_in_redis_when_configured(
    redis_app: Flask, redis_prefix: str, tmp_path: Path
) -> None:
    client = redis_app.test_client()
    fail(client, "user", PER_USER)
    assert_throttled(post_login(client, DEMO_ACCOUNT, "user", PASSWORDS["user"]))
    store = redis_app.config["SESSION_REDIS"]
    assert any(b"login-user" in key for key in store.scan_iter(match=f"*{redis_prefix}*"))
    # A second web process (a new app on the same Redis) sees the same count.
    (tmp_path / "second").mkdir()
    other = _make_app(
        tmp_path / "second",
        RecordingSender(),
        EXAMPLE_REDIS_URL=redis_app.config["EXAMPLE_REDIS_URL"],
        SESSION_KEY_PREFIX=f"{redis_prefix}session:",
        RATELIMIT_KEY_PREFIX=redis_prefix,
    )
    assert_throttled(post_login(other.test_client(), DEMO_ACCOUNT, "user", "wrong"))
    other.config["SESSION_REDIS"].close()

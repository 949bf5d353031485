"""The example host's sessions: logout, "Keep me signed in", copied cookies, Redis sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from example_app.seed import DEMO_ACCOUNT
from flask import Flask
from flask.testing import FlaskClient
from test_example_app import PASSWORDS, USER_PHONE, _make_app, csrf_token

from doubles import RecordingSender
from example_app import User, db, two_factor

REMEMBER = "remember_token"


@pytest.fixture
def sms() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def app(tmp_path: Path, sms: RecordingSender) -> Flask:
    return _make_app(tmp_path, sms)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


@pytest.fixture(params=["cookie", "redis"])
def any_app(request: pytest.FixtureRequest) -> Flask:
    """The same test with Flask's cookie session and with Flask-Session on Redis."""
    app: Flask = request.getfixturevalue("app" if request.param == "cookie" else "redis_app")
    return app


def log_in(client: FlaskClient, sms: RecordingSender, *, remember: bool = False) -> None:
    data = {"account": DEMO_ACCOUNT, "username": "user", "password": PASSWORDS["user"]}
    if remember:
        data["remember"] = "y"
    client.post("/login", data={**data, "csrf_token": csrf_token(client, "/login")})
    token = csrf_token(client, "/t2m2fa/code")
    client.post("/t2m2fa/code", data={"code": sms.last_to(USER_PHONE).code, "csrf_token": token})
    assert logged_in(client)


def logged_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def copy_of(app: Flask, client: FlaskClient, name: str) -> FlaskClient:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def test_logout_ends_keep_me_signed_in(
    app: Flask, client: FlaskClient, sms: RecordingSender
) -> None:
    log_in(client, sms, remember=True)
    assert client.get_cookie(REMEMBER) is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get_cookie(REMEMBER) is None  # the browser was told to delete it
    assert not logged_in(client)


def test_keep_me_signed_in_is_refused_after_revoke_pcs(
    app: Flask, client: FlaskClient, sms: RecordingSender
) -> None:
    log_in(client, sms, remember=True)
    assert logged_in(copy_of(app, client, REMEMBER))
    result = app.test_cli_runner().invoke(args=["t2m2fa", "user", "revoke-pcs", "2"])
    assert result.exit_code == 0, result.output
    assert not logged_in(copy_of(app, client, REMEMBER))
    assert not logged_in(client)


def test_keep_me_signed_in_is_refused_under_enforced(
    app: Flask, client: FlaskClient, sms: RecordingSender
) -> None:
    log_in(client, sms, remember=True)
    with app.app_context():
        user = db.session.get(User, 2)
        assert user is not None and user.username == "user"
        two_factor.set_policy(user.account_id, mode="enforced")
        db.session.commit()
    assert not logged_in(copy_of(app, client, REMEMBER))


def test_a_copied_session_cookie_dies_with_sign_out_everywhere(
    any_app: Flask, sms: RecordingSender
) -> None:
    client = any_app.test_client()
    log_in(client, sms, remember=True)
    copies = [copy_of(any_app, client, "session"), copy_of(any_app, client, REMEMBER)]
    client.post("/logout/everywhere", data={"csrf_token": csrf_token(client, "/")})
    assert not logged_in(client)
    assert not any(logged_in(copy) for copy in copies)


def test_with_redis_sessions_a_copied_cookie_dies_at_logout(
    redis_app: Flask, sms: RecordingSender
) -> None:
    client = redis_app.test_client()
    log_in(client, sms)
    copy = copy_of(redis_app, client, "session")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert not logged_in(copy)


def test_with_redis_the_session_lives_on_the_server(
    redis_app: Flask, sms: RecordingSender, redis_prefix: str
) -> None:
    client = redis_app.test_client()
    log_in(client, sms)
    cookie = client.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 100  # an id, not the session
    keys = list(redis_app.config["SESSION_REDIS"].scan_iter(match=f"{redis_prefix}session:*"))
    assert len(keys) == 1

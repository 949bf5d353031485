"""The example host app: its login (HTML and JSON), landing page, demo data and phone page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from example_app.auth import authenticate
from example_app.seed import DEMO_ACCOUNT, is_seeded, seed_demo_data
from example_app.urls import safe_next
from example_app.views import INVALID_CREDENTIALS
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from doubles import RecordingSender
from example_app import User, create_app, db, init_database, two_factor
from gateway.fake import DeliveredMessage, Inbox

PASSWORDS = {"admin": "admin-secret-1", "user": "user-secret-2"}
ADMIN_PHONE = "+32470123456"
USER_PHONE = "+32470123458"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


@pytest.fixture
def sms() -> RecordingSender:
    return RecordingSender()


def _make_app(tmp_path: Path, sms: RecordingSender, **config: object) -> Flask:
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-of-the-example-app-0123456789",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'example.sqlite3'}",
        "EXAMPLE_PASSWORD_METHOD": "pbkdf2:sha256:1000",  # fast tests; the app uses scrypt
        "T2M2FA_REMEMBER_COOKIE_SECURE": False,
        **config,
    }
    app = create_app(settings, instance_path=str(tmp_path), sender=sms)
    init_database(app)
    with app.app_context():
        seed_demo_data(PASSWORDS)
    return app


@pytest.fixture
def app(tmp_path: Path, sms: RecordingSender) -> Flask:
    return _make_app(tmp_path, sms)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def csrf_token(client: FlaskClient, url: str) -> str:
    match = CSRF_RE.search(client.get(url).text)
    assert match is not None, f"no CSRF token on {url}"
    return match.group(1)


def post_login(
    client: FlaskClient, account: str, username: str, password: str, url: str = "/login"
) -> TestResponse:
    data = {"account": account, "username": username, "password": password}
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def without_tokens(html: str) -> str:
    return CSRF_RE.sub("", html)


def test_login_page_asks_for_account_username_and_password(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    for name in ("account", "username", "password", "csrf_token"):
        assert f'name="{name}"' in page.text


def test_unknown_account_unknown_user_and_wrong_password_get_one_answer(
    client: FlaskClient, sms: RecordingSender
) -> None:
    cases = [
        ("no-such-account", "admin", PASSWORDS["admin"]),
        (DEMO_ACCOUNT, "no-such-user", PASSWORDS["admin"]),
        (DEMO_ACCOUNT, "admin", "wrong-password"),
    ]
    bodies = set()
    for account, username, password in cases:
        answer = post_login(client, account, username, password)
        assert answer.status_code == 200
        # The form echoes what was typed; everything else must be the same.
        echoed = answer.text.replace(f'value="{account}"', "").replace(f'value="{username}"', "")
        bodies.add(without_tokens(echoed))
    assert len(bodies) == 1
    assert INVALID_CREDENTIALS in bodies.pop()
    assert sms.messages == []


def test_every_failed_login_costs_one_password_check(app: Flask) -> None:
    checks: list[str] = []

    def counting_check(stored: str, password: str) -> bool:
        checks.append(stored.split("$")[0])
        return False

    cases = [
        ("no-such-account", "admin"),
        (DEMO_ACCOUNT, "no-such-user"),
        (DEMO_ACCOUNT, "admin"),
    ]
    with app.app_context():
        for account, username in cases:
            assert authenticate(account, username, "whatever", check=counting_check) is None
    # One check each, all against a hash of the same method: equal work, equal time.
    assert len(checks) == 3
    assert len(set(checks)) == 1


def test_login_names_ignore_case_and_blanks(app: Flask) -> None:
    with app.app_context():
        user = authenticate(" Demo-Account ", "ADMIN", PASSWORDS["admin"])
        assert user is not None and user.username == "admin"
        assert authenticate(DEMO_ACCOUNT, "admin", PASSWORDS["admin"].upper()) is None


def test_login_form_without_csrf_token_checks_nothing(
    client: FlaskClient, sms: RecordingSender
) -> None:
    data = {"account": DEMO_ACCOUNT, "username": "admin", "password": PASSWORDS["admin"]}
    answer = client.post("/login", data=data)
    assert answer.status_code == 200
    assert sms.messages == []
    assert client.get("/").status_code == 302


def test_landing_page_needs_login(client: FlaskClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


def test_password_then_code_reaches_landing_page(client: FlaskClient, sms: RecordingSender) -> None:
    answer = post_login(client, DEMO_ACCOUNT, "admin", PASSWORDS["admin"], url="/login?next=/")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/t2m2fa/code"
    assert client.get("/").status_code == 302  # half logged in reaches no protected page
    code = sms.last_to(ADMIN_PHONE).code
    token = csrf_token(client, "/t2m2fa/code")
    done = client.post("/t2m2fa/code", data={"code": code, "csrf_token": token})
    assert done.status_code == 302
    assert done.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome, Ada Admin" in home.text
    assert "Administrator" in home.text


def test_the_page_language_is_the_one_the_page_is_in(client: FlaskClient) -> None:
    french = {"Accept-Language": "fr"}
    assert '<html lang="en">' in client.get("/login", headers=french).text  # English pages
    post_login(client, DEMO_ACCOUNT, "admin", PASSWORDS["admin"])
    code_page = client.get("/t2m2fa/code", headers=french).text
    assert '<html lang="fr">' in code_page and "Entrez votre code" in code_page
    assert '<html lang="en">' in client.get("/t2m2fa/code").text


def test_logout_ends_the_session(client: FlaskClient, sms: RecordingSender) -> None:
    post_login(client, DEMO_ACCOUNT, "user", PASSWORDS["user"])
    token = csrf_token(client, "/t2m2fa/code")
    client.post("/t2m2fa/code", data={"code": sms.last_to(USER_PHONE).code, "csrf_token": token})
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302


def test_logout_without_csrf_token_keeps_the_session(
    client: FlaskClient, sms: RecordingSender
) -> None:
    post_login(client, DEMO_ACCOUNT, "user", PASSWORDS["user"])
    token = csrf_token(client, "/t2m2fa/code")
    client.post("/t2m2fa/code", data={"code": sms.last_to(USER_PHONE).code, "csrf_token": token})
    client.post("/logout")
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("body", ["[1, 2]", '"abc"', "5", "[" * 2000 + "]" * 2000])
def test_login_and_logout_refuse_json_that_is_not_an_object(client: FlaskClient, body: str) -> None:
    """Flask-WTF would build the form from it and raise: a 400 with the form, not a 500."""
    for path in ("/login", "/logout"):
        answer = client.post(path, data=body, content_type="application/json")
        assert answer.status_code == 400, path
    assert "Send a JSON object" in client.post("/login", json=[1, 2]).text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", "/"),
        ("/reports?page=2", "/reports?page=2"),
        (None, None),
        ("", None),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("/ok\r\nSet-Cookie: x=1", None),
        ("javascript:alert(1)", None),
    ],
)
def test_next_stays_on_this_site(target: str | None, expected: str | None) -> None:
    assert safe_next(target) == expected


def test_json_login_then_json_verify(client: FlaskClient, sms: RecordingSender) -> None:
    body = {"account": DEMO_ACCOUNT, "username": "admin", "password": PASSWORDS["admin"]}
    answer = client.post("/api/login", json=body)
    assert answer.status_code == 200
    step = answer.get_json()
    assert step["status"] == "2fa_required"
    assert step["sent_to"].endswith("56") and ADMIN_PHONE not in step["sent_to"]
    assert step["backup_available"] is True
    verified = client.post(
        "/t2m2fa/api/verify", json={"code": sms.last_to(ADMIN_PHONE).code, "remember_pc": True}
    )
    assert verified.status_code == 200
    assert verified.get_json()["status"] == "ok"
    token = verified.get_json()["remember_token"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    # A remembered client logs in with its token and no new code.
    again = client.post("/api/login", json={**body, "remember_token": token})
    assert again.get_json()["status"] == "ok"
    assert len(sms.messages) == 1


def test_json_login_gives_one_answer_for_every_bad_login(
    client: FlaskClient, sms: RecordingSender
) -> None:
    cases = [
        ("no-such-account", "admin", PASSWORDS["admin"]),
        (DEMO_ACCOUNT, "no-such-user", PASSWORDS["admin"]),
        (DEMO_ACCOUNT, "admin", "wrong-password"),
    ]
    answers = [
        client.post("/api/login", json={"account": a, "username": u, "password": p})
        for a, u, p in cases
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.data for a in answers}) == 1
    assert answers[0].get_json() == {
        "status": "invalid_credentials",
        "message": INVALID_CREDENTIALS,
    }
    assert sms.messages == []


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "account=a&username=b&password=c"}, 415),
        ({"json": ["a", "b", "c"]}, 400),
        ({"data": "[" * 2000 + "]" * 2000, "content_type": "application/json"}, 400),
        ({"json": {"account": "a", "username": 1, "password": "c"}}, 400),
        ({"json": {"account": "a", "username": "", "password": "c"}}, 400),
        ({"json": {"account": "a" * 65, "username": "b", "password": "c"}}, 400),
        ({"json": {"account": "a", "username": "b", "password": "c" * 5000}}, 413),
        (
            {
                "json": {"account": "a", "username": "b", "password": "c"},
                "headers": {"Origin": "https://evil.example"},
            },
            403,
        ),
    ],
)
def test_json_login_refuses_bad_requests(
    client: FlaskClient, kwargs: dict[str, object], status: int
) -> None:
    answer = client.post("/api/login", **kwargs)
    assert answer.status_code == status
    assert answer.is_json


def test_demo_data_has_an_administrator_with_backup_phone(app: Flask) -> None:
    with app.app_context():
        assert is_seeded()
        admin = db.session.scalars(sa.select(User).filter_by(username="admin")).one()
        status = two_factor.status_of(admin)
    assert admin.is_admin
    assert status["enabled"] is True
    assert status["phones"]["primary"]["verified"].endswith("56")
    assert status["phones"]["backup"]["verified"].endswith("57")


def test_no_phone_page_without_the_loopback_modem(client: FlaskClient) -> None:
    assert client.get("/demo/phone").status_code == 404
    assert "demo/phone" not in client.get("/login").text


def test_phone_page_lists_what_the_loopback_modem_delivered(
    tmp_path: Path, sms: RecordingSender
) -> None:
    state = tmp_path / "fake-modem"
    delivered = DeliveredMessage(
        to=ADMIN_PHONE,
        text="Example code: 4711. Valid 5 minutes. Do not share it.",
        received_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        reference=7,
        encoding="gsm7",
        validity=None,
        status_report_requested=False,
        modem="loopback",
    )
    with Inbox(state) as inbox:
        inbox.add(delivered)
    app = _make_app(tmp_path, sms, DEMO_FAKE_MODEM_STATE=str(state))
    client = app.test_client()
    page = client.get("/demo/phone")
    assert page.status_code == 200
    assert "Example code: 4711" in page.text
    assert "56" in page.text and ADMIN_PHONE not in page.text
    assert 'href="/demo/phone"' in client.get("/login").text

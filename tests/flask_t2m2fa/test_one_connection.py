"""One pooled connection per request (issue 19, DESIGN §2 "guest in the host's house").

Every flow runs on an engine whose pool holds ONE connection (``pool_size=1, max_overflow=0``)
and gives up after 2 s, with the default sender (the gateway outbox, written through the
request's own connection). A request that needs a second connection while it holds the first
waits for itself: it times out here, and under load it is the HTTP 500 of the issue
(``QueuePool limit ... reached``) once every pooled connection is held by such a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from admin_support import BOSS_PRIMARY, add_people, build_admin_app, logged_in
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    Host,
    csrf_token,
    enrol,
    enrolling_user,
    json_login,
    json_resend,
    json_verify,
)

from gateway.outbox import Outbox
from outbox_reader import OutboxReader

ONE_CONNECTION = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 2}
NEW_PRIMARY, NEW_BACKUP = "+32470555511", "+32470555522"
BOB = "+32470333344"
ADMIN_API = "/t2m2fa/admin/api"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A file SQLite database (a real pool, unlike ``:memory:``) and PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def clock() -> FakeClock:
    """Today: the outbox judges a code's expiry by its own (real) clock."""
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[Flask]:
    options = {"SQLALCHEMY_ENGINE_OPTIONS": ONE_CONNECTION, "PROPAGATE_EXCEPTIONS": True}
    app = build_admin_app(database_url, clock, None, options)  # None: the outbox sender
    host: Host = app.extensions["test_host"]
    with app.app_context():
        Outbox(host.db.engine).create_schema()
        people = add_people(host)
        app.extensions["people"] = {name: user.id for name, user in people.items()}
        host.db.session.remove()  # the test's own session gives the one connection back
        yield app
        host.db.session.remove()
        host.db.engine.dispose()


@pytest.fixture
def outbox(database_url: str) -> Iterator[OutboxReader]:
    reader = OutboxReader(database_url)
    yield reader
    reader.close()


def _form(client: FlaskClient, page: str, path: str, fields: dict[str, str]) -> Any:
    token = csrf_token(client.get(page).text)
    return client.post(path, data={**fields, "csrf_token": token})


def test_login_resend_and_verify_in_json(
    app: Flask, outbox: OutboxReader, clock: FakeClock
) -> None:
    client = app.test_client()
    started = json_login(client, "alice").json
    assert started["status"] == "2fa_required" and started["new_code_sent"] is True, started
    assert outbox.last.to == PRIMARY
    clock.advance(seconds=61)
    resent = json_resend(client, "backup")
    assert (resent.status_code, resent.json["status"]) == (200, "code_sent"), resent.json
    assert outbox.last.to == BACKUP
    assert client.get("/t2m2fa/api/challenge").json["code_usable"] is True
    done = json_verify(client, outbox.last_code_for(BACKUP))
    assert done.json["status"] == "ok", done.json
    assert client.get("/private").json == {"user": "alice"}


def test_login_resend_and_verify_in_html(
    app: Flask, outbox: OutboxReader, clock: FakeClock
) -> None:
    client = app.test_client()
    assert client.post("/login", data={"username": "alice"}).location.endswith("/t2m2fa/code")
    assert "We sent a code" in client.get("/t2m2fa/code").text
    clock.advance(seconds=61)
    resent = _form(client, "/t2m2fa/code", "/t2m2fa/resend", {"destination": "primary"})
    assert resent.status_code == 302 and outbox.count(kind="code") == 2
    done = _form(client, "/t2m2fa/code", "/t2m2fa/code", {"code": outbox.last.code})
    assert done.status_code == 302
    assert client.get("/private").json == {"user": "alice"}


def test_enrolment_in_json_and_in_html(app: Flask, outbox: OutboxReader) -> None:
    host: Host = app.extensions["test_host"]
    enrolling_user(host, "eve")
    enrolling_user(host, "fay")
    host.db.session.remove()
    client = app.test_client()
    assert json_login(client, "eve").json["status"] == "enrolment_required"
    step = enrol(client, "+32 470 55 55 33").json
    assert step["status"] == "2fa_required" and step["new_code_sent"] is True, step
    assert json_verify(client, outbox.last_code_for("+32470555533")).json["status"] == "ok"
    assert client.get("/private").json == {"user": "eve"}

    browser = app.test_client()
    assert browser.post("/login", data={"username": "fay"}).location.endswith("/t2m2fa/enrol")
    sent = _form(browser, "/t2m2fa/enrol", "/t2m2fa/enrol", {"phone": "+32470555544"})
    assert sent.location.endswith("/t2m2fa/code")
    code = outbox.last_code_for("+32470555544")
    assert _form(browser, "/t2m2fa/code", "/t2m2fa/code", {"code": code}).status_code == 302
    assert browser.get("/private").json == {"user": "fay"}


def test_number_change_in_json_and_on_the_security_page(
    app: Flask, outbox: OutboxReader, clock: FakeClock
) -> None:
    client = logged_in(app, outbox, "alice", clock)
    asked = client.post(
        "/t2m2fa/api/security/phone", json={"role": "primary", "phone": NEW_PRIMARY}
    )
    assert asked.json["status"] == "code_sent", asked.json
    confirm = {"code": outbox.last_code_for(NEW_PRIMARY)}
    done = client.post("/t2m2fa/api/security/phone/confirm", json=confirm)
    assert done.json["status"] == "ok", done.json

    clock.advance(seconds=61)
    page = "/t2m2fa/security"
    asked = _form(client, page, "/t2m2fa/security/phone", {"role": "backup", "phone": NEW_BACKUP})
    assert asked.status_code == 302 and outbox.last.to == NEW_BACKUP
    code = outbox.last_code_for(NEW_BACKUP)
    done = _form(client, page, "/t2m2fa/security/phone/confirm", {"code": code})
    assert done.status_code == 302
    phones = client.get("/t2m2fa/api/security").json["phones"]
    assert [p["verified"][-2:] for p in phones] == ["11", "22"]


def _act(client: FlaskClient, user_id: int, action: str, **body: Any) -> Any:
    answer = client.post(f"{ADMIN_API}/users/{user_id}/{action}", json=body)
    assert answer.status_code == 200, (action, answer.status_code, answer.json)
    return answer.json


def test_admin_set_phone_verify_disable_enable_and_revoke(
    app: Flask, outbox: OutboxReader, clock: FakeClock
) -> None:
    people = app.extensions["people"]
    admin = logged_in(app, outbox, "boss", clock)
    assert outbox.count() >= 1 and outbox.last_to(BOSS_PRIMARY)
    bob, alice = people["bob"], people["alice"]
    assert _act(admin, bob, "enable")["user"]["state"] == "enrolment pending"
    _act(admin, bob, "set-phone", role="primary", number=BOB)
    assert outbox.last.to == BOB
    done = _act(admin, bob, "verify-phone", role="primary", code=outbox.last_code_for(BOB))
    assert done["user"]["state"] == "on"
    assert _act(admin, bob, "disable")["user"]["state"] == "off"
    assert _act(admin, bob, "enable")["user"]["state"] == "on"
    remembered = app.test_client()
    clock.advance(seconds=61)
    json_login(remembered, "alice")
    verified = json_verify(remembered, outbox.last_code_for(PRIMARY), remember_pc=True)
    assert verified.json["status"] == "ok"
    pcs = admin.get(f"{ADMIN_API}/users/{alice}").json["user"]["remembered_pcs"]
    assert len(pcs) == 1
    _act(admin, alice, "revoke-pc", pc_id=pcs[0]["id"])
    assert _act(admin, alice, "revoke-pcs")["user"]["remembered_pcs"] == []

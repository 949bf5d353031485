"""Remember this PC: offered per policy, hashed server-side, one cookie per user, judged at use."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    PRIMARY,
    FakeClock,
    Host,
    RecordingSender,
    csrf_token,
    json_login,
    json_verify,
)

from flask_t2m2fa.models import AuditEvent, RememberedPc


def browser_login(client: FlaskClient, sms: RecordingSender, name: str, *, remember: bool) -> Any:
    client.post("/login", data={"username": name})
    page = client.get("/t2m2fa/code")
    data = {"code": sms.last.code, "csrf_token": csrf_token(page.text)}
    if remember:
        data["remember_pc"] = "y"
    return client.post("/t2m2fa/code", data=data)


def logs_in_without_code(client: FlaskClient, sms: RecordingSender, name: str) -> bool:
    before = len(sms.messages)
    client.get("/")  # a fresh page: start logged out
    with client.session_transaction() as session:
        session.clear()
    response = client.post("/login", data={"username": name})
    return response.location == "/" and len(sms.messages) == before


def rejections(host: Host) -> list[str | None]:
    return list(
        host.db.session.scalars(
            sa.select(AuditEvent.reason).filter_by(event="pc_rejected").order_by(AuditEvent.id)
        )
    )


def test_remembered_browser_skips_the_code(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    response = browser_login(client, sms, "alice", remember=True)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert logs_in_without_code(client, sms, "alice")
    assert client.get("/private").json == {"user": "alice"}


def test_without_the_box_nothing_is_remembered(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    response = browser_login(client, sms, "alice", remember=False)
    assert (
        "Set-Cookie" not in response.headers or "t2m2fa_pc_" not in response.headers["Set-Cookie"]
    )
    assert not logs_in_without_code(client, sms, "alice")


@pytest.mark.options({"T2M2FA_REMEMBER_COOKIE_SECURE": True})
def test_cookie_is_secure_by_default(client: FlaskClient, alice: Any, sms: RecordingSender) -> None:
    cookie = browser_login(client, sms, "alice", remember=True).headers["Set-Cookie"]
    assert "Secure" in cookie


def test_token_is_stored_only_hashed(
    client: FlaskClient, alice: Any, sms: RecordingSender, host: Host
) -> None:
    json_login(client, "alice")
    token = json_verify(client, sms.last.code, remember_pc=True).json["remember_token"]
    validator = token.split(".")[1]
    row = host.db.session.scalars(sa.select(RememberedPc)).one()
    assert validator not in repr(row.__dict__)
    for table in host.db.metadata.sorted_tables:
        for record in host.db.session.execute(sa.select(table)).all():
            assert validator not in repr(record)


def test_one_cookie_per_user_on_a_shared_pc(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone="+32470555511", verified=True)
    host.db.session.commit()
    browser_login(client, sms, "alice", remember=True)
    browser_login(client, sms, "bob", remember=True)
    names = {c.key for c in client._cookies.values() if c.key.startswith("t2m2fa_pc_")}
    assert len(names) == 2
    assert logs_in_without_code(client, sms, "alice")
    assert logs_in_without_code(client, sms, "bob")


def test_checkbox_shown_only_when_the_policy_allows(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    client.post("/login", data={"username": "alice"})
    assert "Remember this PC" in client.get("/t2m2fa/code").text
    host.two_factor.set_policy("acme", remember_pc_allowed=False)
    host.db.session.commit()
    assert "Remember this PC" not in client.get("/t2m2fa/code").text
    assert json_login(client, "alice").json["remember_pc_offered"] is False


def test_standard_never_expires_and_cookie_is_refreshed(
    client: FlaskClient, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    browser_login(client, sms, "alice", remember=True)
    clock.advance(days=399)
    client.post("/login", data={"username": "alice"})
    response = client.post("/login", data={"username": "alice"})
    assert "Max-Age=34560000" in response.headers["Set-Cookie"]  # 400 days from now
    assert logs_in_without_code(client, sms, "alice")


def test_enforced_policy_rejects_and_revokes(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    browser_login(client, sms, "alice", remember=True)
    host.two_factor.set_policy("acme", mode="enforced")
    host.db.session.commit()
    assert not logs_in_without_code(client, sms, "alice")
    assert rejections(host) == ["revoked"]
    host.two_factor.set_policy("acme", mode="standard")
    host.db.session.commit()
    assert not logs_in_without_code(client, sms, "alice")  # stays revoked


def test_enforced_policy_ignores_a_forged_remember_box(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    host.two_factor.set_policy("acme", mode="enforced")
    host.db.session.commit()
    json_login(client, "alice")
    body = json_verify(client, sms.last.code, remember_pc=True).json
    assert body["status"] == "ok" and "remember_token" not in body
    assert host.db.session.query(RememberedPc).count() == 0


def test_custom_expiry_counts_from_creation(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    host.two_factor.set_policy("acme", remember_pc_days=30)
    host.db.session.commit()
    browser_login(client, sms, "alice", remember=True)
    clock.advance(days=30, seconds=-1)
    assert logs_in_without_code(client, sms, "alice")
    clock.advance(seconds=1)
    assert not logs_in_without_code(client, sms, "alice")
    assert rejections(host) == ["expired"]


def test_shortened_expiry_judges_existing_pcs(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    browser_login(client, sms, "alice", remember=True)
    clock.advance(days=10)
    host.two_factor.set_policy("acme", remember_pc_days=7)
    host.db.session.commit()
    assert not logs_in_without_code(client, sms, "alice")
    assert rejections(host) == ["expired"]


def test_json_client_gets_the_token_and_presents_it(
    app: Flask, alice: Any, sms: RecordingSender
) -> None:
    client = app.test_client()
    json_login(client, "alice")
    body = json_verify(client, sms.last.code, remember_pc=True).json
    token = body["remember_token"]
    before = len(sms.messages)
    by_header = json_login(app.test_client(), "alice", **{"X-T2M2FA-Remember": token})
    assert by_header.json["status"] == "ok"
    by_field = app.test_client().post("/login", json={"username": "alice", "remember_token": token})
    assert by_field.json["status"] == "ok"
    assert len(sms.messages) == before


def test_token_of_another_user_is_ignored(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    client = app.test_client()
    json_login(client, "alice")
    token = json_verify(client, sms.last.code, remember_pc=True).json["remember_token"]
    answer = json_login(app.test_client(), "bob", **{"X-T2M2FA-Remember": token})
    assert answer.json["status"] == "2fa_required"
    assert rejections(host) == ["other_user"]


def test_admin_revoke_and_disable_forget_pcs(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    client = app.test_client()
    browser_login(client, sms, "alice", remember=True)
    assert host.two_factor.revoke_remembered_pcs(alice) == 1
    host.db.session.commit()
    assert not logs_in_without_code(client, sms, "alice")
    client = app.test_client()
    browser_login(client, sms, "alice", remember=True)
    host.two_factor.disable_for(alice)
    host.db.session.commit()
    host.two_factor.enable_for(alice)
    host.db.session.commit()
    assert not logs_in_without_code(client, sms, "alice")


def test_deeply_nested_login_body_is_no_token(
    app: Flask, host: Host, alice: Any, sms: RecordingSender
) -> None:
    from flask_t2m2fa.state import get_state
    from flask_t2m2fa.web import login_session

    body = '{"remember_token": ' + "[" * 1500 + "]" * 1500 + "}"
    with app.test_request_context(
        "/login", method="POST", data=body, content_type="application/json"
    ):
        assert login_session.presented_token(get_state(), get_state().ref(alice)) is None

"""Flask-Login sessions and "Keep me signed in" cookies count only while 2FA trust stands.

Each test copies a cookie to a fresh client, as an attacker who stole it would, and checks
whether it still reaches a protected page after the event that should end it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import Host, RecordingSender, json_login, json_verify

from flask_t2m2fa.rules import sessions as session_rules
from flask_t2m2fa.web.sessions import ONE_LINE
from flask_t2m2fa.web.stand_in import real

SESSION = "session"
REMEMBER = "remember_token"


def login_with_code(client: FlaskClient, sms: RecordingSender, *, remember: bool = False) -> Any:
    client.post("/login", json={"username": "alice", "remember": remember})
    return json_verify(client, sms.last.code, remember_pc=True).json


def thief(app: Flask, victim: FlaskClient, name: str) -> FlaskClient:
    """A new client holding only the cookie ``name`` of ``victim``."""
    cookie = victim.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def logged_in(client: FlaskClient) -> bool:
    return client.get("/private").status_code == 200


def test_keep_me_signed_in_restores_a_login(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    login_with_code(client, sms, remember=True)
    assert logged_in(thief(app, client, REMEMBER))
    assert logged_in(thief(app, client, SESSION))


@pytest.mark.parametrize("event", ["revoke_pcs", "disable", "sign_out_everywhere", "new_phone"])
def test_events_end_every_session_and_remember_cookie(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender, event: str
) -> None:
    login_with_code(client, sms, remember=True)
    by_session, by_cookie = thief(app, client, SESSION), thief(app, client, REMEMBER)
    if event == "revoke_pcs":  # also the host's password-change hook
        host.two_factor.revoke_remembered_pcs(alice)
        host.db.session.commit()
    elif event == "disable":
        host.two_factor.disable_for(alice)
        host.db.session.commit()
    elif event == "sign_out_everywhere":
        host.two_factor.sign_out_everywhere(alice)
        host.db.session.commit()
    else:
        host.two_factor.enable_for(alice, primary_phone="+32470555599")
        host.db.session.commit()
    assert not logged_in(by_session)
    answer = by_cookie.get("/private")
    assert answer.status_code == 302
    assert by_cookie.get_cookie(REMEMBER) is None  # the rejected cookie was deleted
    assert not logged_in(client)


def test_other_users_keep_their_sessions(
    app: Flask, client: FlaskClient, host: Host, alice: Any
) -> None:
    host.add_user("bob")
    bob = app.test_client()
    bob.post("/login", json={"username": "bob"})
    host.two_factor.sign_out_everywhere(alice)
    host.db.session.commit()
    assert logged_in(bob)


@pytest.mark.parametrize(
    "policy", [{"mode": "enforced"}, {"mode": "standard", "remember_pc_allowed": False}]
)
def test_no_keep_me_signed_in_where_remembering_is_not_allowed(
    app: Flask,
    client: FlaskClient,
    host: Host,
    alice: Any,
    sms: RecordingSender,
    policy: dict[str, Any],
) -> None:
    login_with_code(client, sms, remember=True)
    restored = thief(app, client, REMEMBER)
    assert logged_in(restored)  # restored under Standard: now a session of its own
    host.two_factor.set_policy("acme", **policy)
    host.db.session.commit()
    assert not logged_in(restored)
    assert not logged_in(thief(app, client, REMEMBER))
    # Remembering disallowed: the session that entered a code stands (it gave one). A switch
    # to Enforced starts every session of the account again (issue #8).
    assert logged_in(client) is (policy["mode"] != "enforced")


def test_a_switch_to_enforced_ends_copied_sessions_but_not_the_acting_admins_own(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    from flask_login import current_user

    @app.post("/switch")
    def switch() -> str:  # the host's (or the admin pages') policy form, by a logged-in user
        host.two_factor.set_policy(current_user.account_id, mode="enforced")
        host.db.session.commit()
        return "switched"

    login_with_code(client, sms)
    copied = thief(app, client, SESSION)
    bob = host.add_user("bob")
    host.two_factor.enable_for(bob, primary_phone="+32470555588", verified=True)
    host.db.session.commit()
    other = app.test_client()
    other.post("/login", json={"username": "bob"})
    json_verify(other, sms.last.code)
    assert logged_in(other) and logged_in(copied)
    assert client.post("/switch").text == "switched"
    assert logged_in(client)  # the administrator who switched goes on
    assert not logged_in(copied) and not logged_in(other)


def test_enforced_refuses_keep_me_signed_in_from_the_first_use(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    host.two_factor.set_policy("acme", mode="enforced")
    host.db.session.commit()
    login_with_code(client, sms, remember=True)
    assert client.get_cookie(REMEMBER) is not None  # Flask-Login set it anyway...
    assert not logged_in(thief(app, client, REMEMBER))  # ...it restores nothing


def test_login_without_second_factor_ends_when_one_is_required(
    app: Flask, client: FlaskClient, host: Host
) -> None:
    host.add_user("bob")
    client.post("/login", json={"username": "bob"})
    assert logged_in(client)
    host.two_factor.set_policy("acme", mode="enforced")
    host.db.session.commit()
    assert not logged_in(client)


def test_remembered_pc_login_ends_when_remembering_is_disallowed(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    token = login_with_code(client, sms)["remember_token"]
    other = app.test_client()
    json_login(other, "alice", **{"X-T2M2FA-Remember": token})
    assert logged_in(other)  # no code: the remembered PC stood in
    host.two_factor.set_policy("acme", remember_pc_allowed=False)
    host.db.session.commit()
    assert not logged_in(other)
    assert logged_in(client)


def test_a_plain_user_id_in_the_session_logs_nobody_in(client: FlaskClient, alice: Any) -> None:
    # What Flask-Login wrote before the extension governed sessions, or a host's own login_user.
    with client.session_transaction() as session:
        session["_user_id"] = str(alice.id)
    assert not logged_in(client)


def test_a_loader_registered_after_init_app_is_governed(
    app: Flask, client: FlaskClient, host: Host, alice: Any, sms: RecordingSender
) -> None:
    seen: list[str] = []

    def loader(user_id: str) -> Any:
        seen.append(user_id)
        return host.db.session.get(host.User, int(user_id))

    app.login_manager.user_loader(host.two_factor.user_loader(loader))  # type: ignore[attr-defined]
    login_with_code(client, sms)
    assert logged_in(client)
    assert seen and set(seen) == {str(alice.id)}  # the host's loader sees plain ids only
    with client.session_transaction() as session:
        session["_user_id"] = str(alice.id)
    assert not logged_in(client)


def test_a_plain_loader_registered_after_init_app_stops_the_first_request(
    app: Flask, client: FlaskClient, host: Host
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.login_manager.user_loader(lambda uid: host.db.session.get(host.User, int(uid)))  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match=re.escape(ONE_LINE)):
        client.get("/")


def test_init_app_refuses_a_plain_loader(tmp_path: Any, sms: RecordingSender) -> None:
    from flask_login import LoginManager
    from flask_sqlalchemy import SQLAlchemy

    from flask_t2m2fa import TwoFactor

    app = Flask("plainloader")
    app.config.update(SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/db")
    db = SQLAlchemy(app)
    manager = LoginManager(app)
    manager.user_loader(lambda uid: None)
    with pytest.raises(RuntimeError, match=re.escape(ONE_LINE)):
        TwoFactor().init_app(
            app, db=db, account_of=lambda u: "acme", is_admin=lambda u: False, sender=sms
        )
    with app.app_context():
        db.engine.dispose()


def test_the_login_request_sees_the_hosts_user_behind_the_stand_in(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    from flask_login import user_logged_in

    seen: list[Any] = []

    def receiver(sender: Flask, user: Any = None, **_: Any) -> None:
        seen.append((user.username, user.get_id(), real(user) is not user))

    user_logged_in.connect(receiver)
    try:
        login_with_code(client, sms)
    finally:
        user_logged_in.disconnect(receiver)
    assert len(seen) == 1
    name, token, stood_in = seen[0]
    assert name == "alice" and stood_in  # attributes are the host user's...
    parsed = session_rules.parse(token)  # ...the id Flask-Login keeps is the login token
    assert parsed is not None and parsed.user_id == str(alice.id)


def test_the_session_holds_a_login_token(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    login_with_code(client, sms)
    with client.session_transaction() as session:
        token = session_rules.parse(session["_user_id"])
    assert token is not None
    assert token.kind is session_rules.Kind.CODE and token.user_id == str(alice.id)

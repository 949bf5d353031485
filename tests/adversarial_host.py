"""A small host app for the adversarial tests (tests/test_adversarial_*.py).

Every JSON answer the helpers below receive is checked against the shipped ``openapi.yaml``, so
the adversarial runs also prove the error answers match the document.

Kept apart from the extension's own test helpers on purpose: these tests attack the extension
only through what a host and a client can reach (``TwoFactor`` and HTTP), never its internals,
except to count what it evaluated.
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import sqlalchemy as sa
import yaml  # type: ignore[import-untyped]
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from sqlalchemy.orm import Mapped, mapped_column

from doubles import FakeClock, RecordingSender
from flask_t2m2fa import TwoFactor

PASSWORD = "correct horse battery staple"
PRIMARY = "+32470112358"
BACKUP = "+32470314159"
START = datetime(2031, 5, 4, 8, 0, tzinfo=UTC)
API = "/t2m2fa/api"


@dataclass
class Host:
    app: Flask
    db: SQLAlchemy
    two_factor: TwoFactor
    user_model: Any
    clock: FakeClock
    sms: RecordingSender

    def add_user(
        self,
        name: str,
        *,
        two_factor: bool = True,
        admin: bool = False,
        primary: str = PRIMARY,
        backup: str | None = BACKUP,
    ) -> Any:
        """A user in account ``acme``, with 2FA and verified phones unless told otherwise."""
        with self.app.app_context():
            user = self.user_model(
                username=name, password=PASSWORD, account_id="acme", is_admin=admin
            )
            self.db.session.add(user)
            self.db.session.commit()
            if two_factor:
                self.two_factor.enable_for(
                    user, primary_phone=primary, backup_phone=backup, verified=True
                )
                self.db.session.commit()
            return user.id

    def user(self, user_id: int) -> Any:
        return self.db.session.get(self.user_model, user_id)


def build_host(
    database_url: str,
    *,
    engine_options: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> Host:
    """A Flask-Login host with passwords checked in plain text (what is attacked is the code)."""
    engine_options = dict(engine_options or {})
    if sa.make_url(database_url).get_backend_name() == "mysql":
        engine_options["isolation_level"] = "READ COMMITTED"
    db = SQLAlchemy(engine_options=engine_options)
    login_manager = LoginManager()
    two_factor = TwoFactor()

    class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "adv_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        username: Mapped[str] = mapped_column(sa.String(64))  # MySQL: VARCHAR needs a length
        password: Mapped[str] = mapped_column(sa.String(128))
        account_id: Mapped[str] = mapped_column(sa.String(64))
        is_admin: Mapped[bool]

    app = Flask("adversarial_host")
    app.config.update(
        SECRET_KEY="adversarial-test-secret-key-0123456789abcdef",
        SQLALCHEMY_DATABASE_URI=database_url,
        T2M2FA_REMEMBER_COOKIE_SECURE=False,
        **(config or {}),
    )
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "login"
    login_manager.user_loader(two_factor.user_loader(lambda uid: db.session.get(User, int(uid))))
    clock = FakeClock(START)
    sms = RecordingSender(clock)
    two_factor.init_app(
        app,
        db=db,
        account_of=lambda u: u.account_id,
        is_admin=lambda u: u.is_admin,
        sender=sms,
        clock=clock,
    )

    @app.post("/login")
    def login() -> Any:
        data = request.get_json(silent=True) or request.form
        user = db.session.scalars(db.select(User).filter_by(username=data.get("username"))).first()
        if user is None or not hmac.compare_digest(user.password, str(data.get("password"))):
            return jsonify({"status": "bad_credentials"}), 401
        return two_factor.login(user, remember_me=False, next_url=request.args.get("next"))

    @app.get("/private")
    @login_required  # type: ignore[untyped-decorator]
    def private() -> Any:
        return jsonify({"user": current_user.username})

    with app.app_context():
        db.create_all()
    return Host(app, db, two_factor, User, clock, sms)


def json_login(client: FlaskClient, username: str, *, remember_token: str | None = None) -> Any:
    """Password step as a JSON client; returns the JSON answer."""
    body: dict[str, Any] = {"username": username, "password": PASSWORD}
    if remember_token is not None:
        body["remember_token"] = remember_token
    answer = check_contract(client.post("/login", json=body))
    assert answer.status_code in (200, 403, 429), answer.data
    return answer.get_json()


def verify(client: FlaskClient, code: Any, *, remember_pc: bool = False) -> Any:
    """Post a code to the JSON verify endpoint; returns the response, checked against the spec."""
    return check_contract(
        client.post(f"{API}/verify", json={"code": code, "remember_pc": remember_pc})
    )


def resend(client: FlaskClient, destination: str) -> Any:
    return check_contract(client.post(f"{API}/resend", json={"destination": destination}))


@dataclass
class _SentRequest:
    """What openapi-core needs of a request already sent (its body was consumed)."""

    method: str
    host_url: str
    path: str
    content_type: str
    body: bytes | None = None
    parameters: RequestParameters = field(default_factory=RequestParameters)


@functools.cache
def _openapi_text() -> str:
    return (resources.files("flask_t2m2fa") / "openapi.yaml").read_text(encoding="utf-8")


@functools.cache
def _spec() -> OpenAPI:
    return OpenAPI.from_dict(yaml.safe_load(_openapi_text()))


@functools.cache
def _host_login_schema() -> jsonschema.Draft202012Validator:
    """The host's login answers, as the document's description names them."""
    document = yaml.safe_load(_openapi_text())
    names = ("LoginOk", "CodeStep", "EnrolmentStep", "Problem")
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in names]
    return jsonschema.Draft202012Validator({**document, "oneOf": refs})


def check_contract(response: Any) -> Any:
    """Validate an answer of the JSON API (or of the host's JSON login) against openapi.yaml.

    Answers of other paths (HTML pages) are returned unchecked.
    """
    sent = response.request
    if sent.path.startswith(f"{API}/"):
        request = _SentRequest(
            sent.method.lower(),
            sent.host_url.rstrip("/"),
            sent.path,
            sent.mimetype or "application/json",
        )
        _spec().validate_response(request, WerkzeugOpenAPIResponse(response))
    elif sent.path == "/login" and response.status_code != 401:  # 401: the host's own refusal
        assert response.mimetype == "application/json", response.mimetype
        _host_login_schema().validate(response.get_json())
    return response

"""An "ordinary" Flask app that adds the extension by following only the manual.

Flask-Login + Flask-SQLAlchemy, an app factory, login by email and password, and
``Organization`` tenants (no account names). Every line that concerns the extension is one the
manual (docs/host.md) shows; ``test_ordinary_host.py`` checks that each step works as written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from flask_t2m2fa import TwoFactor
from flask_t2m2fa.senders import DevelopmentSender

db = SQLAlchemy()
login_manager = LoginManager()
two_factor = TwoFactor()


class Organization(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))  # MySQL: VARCHAR needs a length


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    organization: Mapped[Organization] = relationship()
    is_admin: Mapped[bool] = mapped_column(default=False)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)


@login_manager.user_loader
@two_factor.user_loader  # the extension judges each session before your loader runs
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def create_app(config: dict[str, Any] | None = None, *, sender: Any = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY="ordinary-host-secret-key-0123456789abcdef",
        SQLALCHEMY_DATABASE_URI="sqlite:///ordinary.sqlite3",
        T2M2FA_APP_NAME="Acme",
    )
    app.config.update(config or {})
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "login"
    if sender is None and app.debug:
        sender = DevelopmentSender(app)  # codes in the log, never in production
    two_factor.init_app(
        app,
        db=db,
        account_of=lambda user: user.organization_id,  # the tenant: the organisation
        is_admin=lambda user: user.is_admin,
        sender=sender,  # None: the gateway outbox
    )

    @app.post("/login")
    def login() -> Any:
        data = request.get_json(silent=True) or request.form
        user = db.session.scalars(db.select(User).filter_by(email=data.get("email"))).first()
        if user is None or not check_password_hash(user.password_hash, data.get("password", "")):
            return jsonify({"status": "invalid_credentials"}), 401
        return two_factor.login(user, remember_me=bool(data.get("remember")))

    @app.get("/")
    @login_required
    def home() -> Any:
        return jsonify({"email": current_user.email})

    return app

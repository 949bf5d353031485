"""An example host app: its own accounts, users and passwords; two-factor login by flask_t2m2fa.

Run the whole demo (loopback modem, gateway worker and this app) with ``python -m example_app``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_wtf.csrf import generate_csrf

from example_app.extensions import db, login_manager, two_factor
from example_app.headers import init_headers
from example_app.limits import init_login_limits
from example_app.models import Account, User
from example_app.phone import init_phone_page
from example_app.sessions import init_sessions
from flask_t2m2fa.rules.ids import row_id
from gateway.outbox import Outbox

__all__ = ["Account", "User", "create_app", "db", "two_factor"]


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    instance_path: str | None = None,
    **two_factor_options: Any,
) -> Flask:
    """Create the host app.

    :param config: settings that override the defaults, e.g. ``SQLALCHEMY_DATABASE_URI``,
        ``DEMO_FAKE_MODEM_STATE`` (turns on the demo phone page), ``EXAMPLE_REDIS_URL``
        (sessions and login limits in Redis) or ``T2M2FA_*`` keys.
    :param instance_path: where the default SQLite database lives (absolute path).
    :param two_factor_options: passed on to :meth:`TwoFactor.init_app`, e.g. a ``sender`` or
        a ``clock`` in tests.
    """
    app = Flask(__name__, instance_path=instance_path)
    app.config.from_mapping(_default_config(app.instance_path))
    if config is not None:
        app.config.from_mapping(config)

    init_sessions(app)
    init_headers(app)
    init_login_limits(app)
    db.init_app(app)
    # On SQLite, two_factor.init_app sets WAL and a busy timeout: the gateway worker writes
    # to the same file.
    login_manager.init_app(app)
    login_manager.login_view = "site.login"
    login_manager.login_message_category = "info"  # a request to log in, not a success
    # The extension checks each session and remember cookie before _load_user sees the id.
    login_manager.user_loader(two_factor.user_loader(_load_user))
    two_factor.init_app(
        app,
        db=db,
        account_of=lambda user: user.account_id,
        is_admin=lambda user: user.is_admin,
        # The account administration pages, under /t2m2fa/admin (linked from home.html).
        admin=True,
        users_of=lambda account_id: sa.select(User).filter_by(account_id=int(account_id)),
        display_name=lambda user: user.full_name or user.username,
        account_named=_account_named,
        users_named=_users_named,
        **two_factor_options,
    )
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)

    from example_app.users_page import bp as users
    from example_app.views import bp as site

    app.register_blueprint(site)
    app.register_blueprint(users)
    init_phone_page(app)
    return app


def _default_config(instance_path: str) -> dict[str, Any]:
    database = os.path.join(instance_path, "example.sqlite3")
    return {
        # A fresh key per start logs everybody out on restart; the demo keeps one in its state.
        "SECRET_KEY": os.environ.get("EXAMPLE_APP_SECRET_KEY") or secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "EXAMPLE_PASSWORD_METHOD": "scrypt",
        "DEMO_FAKE_MODEM_STATE": None,
        # No page of this app takes more than a login form: refuse big bodies early.
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        # Production: sessions and the failed-login counts in Redis (see example_app.sessions).
        "EXAMPLE_REDIS_URL": os.environ.get("EXAMPLE_REDIS_URL") or None,
    }


def _account_named(name: str) -> int | None:
    """The CLI's account lookup: ``flask t2m2fa policy show demo-account``."""
    query = sa.select(Account.id).where(Account.name == name.strip().casefold())
    return db.session.scalars(query).first()


def _users_named(name: str) -> sa.Select[User]:
    """The CLI's user lookup by login name, in every account: ``flask t2m2fa user show alice``
    (``--account demo-account`` when several accounts have an alice)."""
    return sa.select(User).where(User.username == name.strip().casefold())


def _load_user(user_id: str) -> User | None:
    """The user of ``user_id``, or None for anything that is not an id the column can hold
    (the admin pages pass ids typed in URLs: ``99999999999999999999`` is no user, not a 500)."""
    number = row_id(user_id)
    return db.session.get(User, number) if number is not None else None


def init_database(app: Flask) -> None:
    """Create the host's tables, the extension's and the gateway outbox, if missing.

    For apps without migrations; the outbox lives in the same database so that a code is
    queued in the same transaction as its challenge.
    """
    os.makedirs(app.instance_path, exist_ok=True)
    with app.app_context():
        db.create_all()
        Outbox(db.engine).create_schema()

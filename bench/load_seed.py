"""The load test's server side: the example app as gunicorn loads it, and its users in bulk.

gunicorn imports ``load_seed:wsgi_app()`` with the settings in the environment (``LOAD_*``),
so its 4 workers share the database, the session key and the outbox key.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.security import generate_password_hash

#: The repository root, where ``example_app`` lives (it is not an installed package).
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from example_app import Account, User, create_app, db, init_database, two_factor  # noqa: E402

PASSWORD = "load-password-1"
#: One PBKDF2 round: the load test measures the login flow, not the password hash (both runs).
PASSWORD_METHOD = "pbkdf2:sha256:1"
ACCOUNT = "load"


def config_of(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": env["LOAD_DATABASE_URL"],
        "SECRET_KEY": env["LOAD_SECRET_KEY"],
        "T2M2FA_OUTBOX_KEY_FILE": env["LOAD_KEY_FILE"],
        "EXAMPLE_PASSWORD_METHOD": PASSWORD_METHOD,
        "T2M2FA_REMEMBER_COOKIE_SECURE": False,
    }


def wsgi_app() -> Flask:
    """What each gunicorn worker serves."""
    return create_app(config_of(os.environ))


def phone_of(n: int) -> str:
    return f"+3247{n:07d}"


def seed(env: Mapping[str, str], users: int) -> None:
    """``users`` users with 2FA (``tf{n}``, verified primary phone) and as many without
    (``plain{n}``), all in account ``load``: users in one ``executemany``, phones through
    :meth:`TwoFactor.enable_for` (it encrypts the number)."""
    app = create_app(config_of(env))
    init_database(app)
    password_hash = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)
    with app.app_context():
        account = Account(name=ACCOUNT)
        db.session.add(account)
        db.session.commit()
        rows = [
            {"account_id": account.id, "username": f"{kind}{n}", "password_hash": password_hash}
            for n in range(users)
            for kind in ("tf", "plain")
        ]
        db.session.execute(sa.insert(User), rows)
        db.session.commit()
        two_factor_users = db.session.scalars(
            sa.select(User).where(User.username.like("tf%")).order_by(User.id)
        ).all()
        for user in two_factor_users:
            number = int(user.username.removeprefix("tf"))
            two_factor.enable_for(user, primary_phone=phone_of(number), verified=True)
        db.session.commit()

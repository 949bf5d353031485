"""The extension object: init_app, per-app state, templates a host can restyle."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import DictLoader
from t2m2fa_support import RecordingSender

from flask_t2m2fa import TwoFactor
from flask_t2m2fa.config import ConfigError
from flask_t2m2fa.models import metadata
from flask_t2m2fa.rules.phones import unbreakable as nb
from flask_t2m2fa.state import State, get_state


def test_init_app_registers_state_tables_and_blueprint(app: Flask) -> None:
    assert isinstance(app.extensions["t2m2fa"], State)
    assert set(metadata.tables) <= set(app.extensions["test_host"].db.metadata.tables)
    assert "t2m2fa" in app.blueprints
    assert {"t2m2fa.code", "t2m2fa.resend", "t2m2fa.api.api_verify"} <= set(app.view_functions)


def test_forgotten_init_app_says_so() -> None:
    with Flask("bare").app_context(), pytest.raises(RuntimeError, match="init_app"):
        get_state()


def test_bad_config_fails_at_init_app(sqlite_url: str) -> None:
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("strict")
    app.config.update(
        SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=sqlite_url, T2M2FA_CODE_LIFETIME=3600
    )
    db = SQLAlchemy(app)
    with pytest.raises(ConfigError, match="T2M2FA_CODE_LIFETIME"):
        TwoFactor().init_app(app, db=db, account_of=lambda u: 1, is_admin=lambda u: False)


def test_host_restyles_every_page_with_one_template(
    app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    base = "<html><body class='host-style'>{% block t2m2fa_content %}{% endblock %}</body></html>"
    app.jinja_loader = DictLoader({"t2m2fa/base.html": base})  # the host's templates win
    client.post("/login", data={"username": "alice"})
    page = client.get("/t2m2fa/code").text
    assert "host-style" in page and nb("+32 ••• ••• •67") in page


def test_naive_clock_is_refused(app: Flask) -> None:
    from datetime import datetime

    state = get_state()
    state.clock = lambda: datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="aware"):
        state.now()

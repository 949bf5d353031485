"""The web app's outbox key: a missing or bad one stops ``init_app``, not the first login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_t2m2fa import TwoFactor
from flask_t2m2fa.config import ConfigError
from gateway.outbox import new_key_text


def _init(sqlite_url: str, **config: Any) -> None:
    app = Flask("keys")
    app.config.update(SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=sqlite_url, **config)
    db = SQLAlchemy(app)
    TwoFactor().init_app(app, db=db, account_of=lambda u: 1, is_admin=lambda u: False)


def test_default_sender_without_an_outbox_key_fails_at_init_app(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("T2M2FA_OUTBOX_KEY_FILE", raising=False)
    with pytest.raises(ConfigError, match="no outbox key: set T2M2FA_OUTBOX_KEY_FILE"):
        _init(sqlite_url)


def test_the_workers_environment_variable_serves_the_web_app_too(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "outbox.key"
    path.write_text(new_key_text())
    monkeypatch.setenv("T2M2FA_OUTBOX_KEY_FILE", str(path))
    _init(sqlite_url)  # no T2M2FA_OUTBOX_KEY* in the app's configuration
    monkeypatch.setenv("T2M2FA_OUTBOX_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read"):
        _init(sqlite_url)


def test_both_or_a_bad_key_fail_at_init_app(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "outbox.key"
    path.write_text(new_key_text())
    with pytest.raises(ConfigError, match="not both"):
        _init(sqlite_url, T2M2FA_OUTBOX_KEY=new_key_text(), T2M2FA_OUTBOX_KEY_FILE=str(path))
    with pytest.raises(ConfigError, match="must be base64"):
        _init(sqlite_url, T2M2FA_OUTBOX_KEY="secret")
    with pytest.raises(ConfigError, match="cannot read"):
        _init(sqlite_url, T2M2FA_OUTBOX_KEY_FILE=str(tmp_path / "missing"))


def test_a_key_file_or_keys_in_the_config_are_accepted(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "outbox.key"
    path.write_text(new_key_text())
    _init(sqlite_url, T2M2FA_OUTBOX_KEY_FILE=str(path))
    _init(sqlite_url, T2M2FA_OUTBOX_KEY=[new_key_text(), new_key_text()])


def test_a_host_with_its_own_sender_needs_no_outbox_key(sqlite_url: str) -> None:
    app = Flask("own_sender")
    app.config.update(SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=sqlite_url)
    db = SQLAlchemy(app)
    sender: Any = object()
    TwoFactor().init_app(
        app, db=db, account_of=lambda u: 1, is_admin=lambda u: False, sender=sender
    )

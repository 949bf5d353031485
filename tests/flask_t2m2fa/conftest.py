"""Fixtures for the extension's tests: a tiny host app, a fake clock and a recording sender."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from admin_support import admin_app as admin_app  # the admin tests' host
from admin_support import people as people
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from t2m2fa_support import BACKUP, PRIMARY, FakeClock, Host, RecordingSender, build_app


@pytest.fixture
def clock(t2m2fa_clock: FakeClock) -> FakeClock:
    """The test kit's clock (``flask_t2m2fa.testing``), under the short name these tests use."""
    return t2m2fa_clock


@pytest.fixture
def sms(t2m2fa_sms: RecordingSender) -> RecordingSender:
    """The test kit's recording sender, stamping each SMS with :func:`clock`."""
    return t2m2fa_sms


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """SQLite; ``T2M2FA_TEST_DATABASE=postgres`` (or ``mariadb``) runs these tests on a server."""
    url: str = request.getfixturevalue(f"{os.environ.get('T2M2FA_TEST_DATABASE', 'sqlite')}_url")
    return url


@pytest.fixture
def app(
    request: pytest.FixtureRequest, database_url: str, clock: FakeClock, sms: RecordingSender
) -> Iterator[Flask]:
    marker = request.node.get_closest_marker("options")
    options = dict(marker.args[0]) if marker else {}
    app = build_app(database_url, clock, sms, options)
    with app.app_context():
        yield app
        app.extensions["test_host"].db.session.remove()
        app.extensions["test_host"].db.engine.dispose()


@pytest.fixture
def host(app: Flask) -> Host:
    host: Host = app.extensions["test_host"]
    return host


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def alice(host: Host) -> Any:
    """A user with 2FA on and verified primary and backup phones."""
    user = host.add_user("alice")
    host.two_factor.enable_for(user, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
    host.db.session.commit()
    return user


@pytest.fixture
def keep_loggers_enabled() -> Iterator[None]:
    """Undo what ``flask db init``'s env.py does through ``logging.config.fileConfig``.

    It disables every logger that already exists, for the rest of the test process, which
    would silence other tests' log assertions.
    """
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    states = [(logger, logger.disabled, logger.level) for logger in loggers]
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    yield
    for logger, disabled, level in states:
        logger.disabled, logger.level = disabled, level
    logging.root.setLevel(root_level)
    logging.root.handlers[:] = root_handlers

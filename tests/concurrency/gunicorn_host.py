"""The example app as gunicorn serves it on PostgreSQL, for the concurrency suite.

``gunicorn 'gunicorn_host:create()'`` builds it from the environment the test sets:
``CONCURRENCY_DATABASE_URL``, ``CONCURRENCY_CLOCK_FILE`` (a :class:`ShiftedClock`) and
``CONCURRENCY_SECRET_KEY``; the outbox key is the suite's (``T2M2FA_OUTBOX_KEY_FILE``). No
gateway worker runs: queued SMS stay in the outbox, where the test reads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask
from shifted_clock import ShiftedClock

from example_app import create_app


def build(env: Mapping[str, str]) -> Flask:
    """The app, configured as the demo configures it, on the database ``env`` names."""
    return create_app(
        {
            "SECRET_KEY": env["CONCURRENCY_SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": env["CONCURRENCY_DATABASE_URL"],
            "T2M2FA_REMEMBER_COOKIE_SECURE": False,  # plain http on 127.0.0.1
            "T2M2FA_APP_NAME": "Example",
            "T2M2FA_LOGIN_VIEW": "site.login",
            "EXAMPLE_REDIS_URL": None,
            # The subject is the second factor: 64 scrypt checks would only cost CI time.
            "EXAMPLE_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        },
        clock=ShiftedClock(env["CONCURRENCY_CLOCK_FILE"]),
    )


def create() -> Flask:
    """gunicorn's app factory."""
    return build(os.environ)

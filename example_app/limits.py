"""Password guessing is throttled: Flask-Limiter on the login views, failed logins only.

Talk2M blocks a user for 15 minutes after 10 failed logins. Here two limits count failed
logins (HTML and JSON together): per account + username as typed, so an unknown user is
throttled exactly like a known one and the answer tells nothing; and per client address, so
one client cannot try many users. While a limit is reached, every login attempt of that key,
right password included, gets ``429`` with ``Retry-After`` and no password is checked.

Counts live in Redis when ``EXAMPLE_REDIS_URL`` is set (shared by every worker process), in
memory otherwise. Behind a reverse proxy, wrap the app in Werkzeug's ``ProxyFix`` so that the
client address is the real one.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from example_app.auth import normalise_name
from example_app.forms import LoginForm
from flask_t2m2fa import json_body

limiter = Limiter(key_func=get_remote_address, strategy="moving-window")

DEFAULT_LIMITS = {
    "EXAMPLE_LOGIN_LIMIT_PER_USER": "10 per 15 minutes",
    "EXAMPLE_LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
}
TOO_MANY = "Too many failed logins. Try again in {minutes} minute{s}."


def init_login_limits(app: Flask) -> None:
    """Count failed logins in Redis when the app has ``EXAMPLE_REDIS_URL``, else in memory."""
    for key, value in DEFAULT_LIMITS.items():
        app.config.setdefault(key, value)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("EXAMPLE_REDIS_URL") or "memory://"
    )
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_attempts)


def failed_login() -> None:
    """The login view calls it when the credentials were wrong: this attempt counts."""
    g.example_login_failed = True


def _counts(response: Response) -> bool:
    return bool(g.get("example_login_failed"))


def account_and_username() -> str:
    """The account and username typed (form or JSON), hashed: a bounded key, the same shape
    for names that exist and names that do not."""
    data: Any = json_body() if request.is_json else request.form
    fields = [
        data.get(name) if isinstance(data, dict) else None for name in ("account", "username")
    ]
    names = [normalise_name(value) if isinstance(value, str) else "" for value in fields]
    return hashlib.sha256("\0".join(names).encode()).hexdigest()[:32]


def _limit(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


_per_user = limiter.shared_limit(
    _limit("EXAMPLE_LOGIN_LIMIT_PER_USER"),
    scope="login-user",
    key_func=account_and_username,
    methods=["POST"],
    deduct_when=_counts,
)
_per_address = limiter.shared_limit(
    _limit("EXAMPLE_LOGIN_LIMIT_PER_ADDRESS"),
    scope="login-address",
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_counts,
)


def login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Both limits on a login view (they are shared by every view that has them)."""
    return _per_user(_per_address(view))


def retry_after() -> int:
    """Seconds until the breached limits of this request let an attempt through again."""
    breached = [limit for limit in limiter.current_limits if limit.breached]
    now = time.time()
    waits = [min(limit.reset_at - now, limit.limit.get_expiry()) for limit in breached]
    return max(1, math.ceil(max(waits, default=60)))


def too_many_attempts(error: RateLimitExceeded) -> Response:
    seconds = retry_after()
    minutes = math.ceil(seconds / 60)
    message = TOO_MANY.format(minutes=minutes, s="" if minutes == 1 else "s")
    if request.is_json or request.path.startswith("/api/"):
        response = jsonify(status="too_many_attempts", message=message, retry_after=seconds)
    else:
        response = Response(render_template("login.html", form=LoginForm(), error=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response

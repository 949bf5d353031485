"""Where the example host keeps its sessions: a signed cookie, or Redis (production).

The default, Flask's signed-cookie session, needs nothing but holds the whole session in the
browser: the server cannot end one copy of it. A copied cookie keeps working after a plain
logout, until the extension's sign-out-everywhere (or a revoke, a 2FA disable ...) changes the
user's uniquifier. With ``EXAMPLE_REDIS_URL`` set, Flask-Session keeps the session in Redis
and the cookie holds only a random id: logout deletes the session on the server, so a copied
cookie is dead at once.
"""

from __future__ import annotations

from flask import Flask


def init_sessions(app: Flask) -> None:
    """Server-side sessions in Redis when ``EXAMPLE_REDIS_URL`` is set."""
    url = app.config.get("EXAMPLE_REDIS_URL")
    if not url:
        return
    import redis
    from flask_session import Session

    app.config.setdefault("SESSION_TYPE", "redis")
    app.config.setdefault("SESSION_REDIS", redis.Redis.from_url(url))
    app.config.setdefault("SESSION_KEY_PREFIX", "example:session:")
    Session(app)

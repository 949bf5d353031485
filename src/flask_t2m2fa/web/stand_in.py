"""What the extension hands to Flask-Login's ``login_user``: the host's user under a login token.

Why: Flask-Login keeps whatever ``get_id()`` returns, in the session and in its "Keep me signed
in" cookie, and gives it back to the ``user_loader`` (its documented "alternative tokens").
The host's user answers his plain id; the stand-in answers a login token
``t2m2fa.<uniquifier>.<kind>.<host id>`` (:mod:`flask_t2m2fa.rules.sessions`), so the session
and the cookie carry what the governed loader judges, and a new uniquifier ends them.

Every other attribute, read or written, is the host user's. For the rest of the request that
logs in, ``current_user`` (and the ``user`` of ``user_logged_in``) is the stand-in: its
``get_id()`` is the token; :func:`real` gives the host's user. From the next request on,
``current_user`` is what the host's loader returned.
"""

from __future__ import annotations

from typing import Any


class StandIn:
    __slots__ = ("token", "user")

    def __init__(self, user: Any, token: str) -> None:
        object.__setattr__(self, "user", real(user))
        object.__setattr__(self, "token", token)

    def get_id(self) -> str:
        return str(object.__getattribute__(self, "token"))

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "user"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "user"), name, value)

    def __repr__(self) -> str:
        return f"StandIn({object.__getattribute__(self, 'user')!r})"  # never the token


def real(user: Any) -> Any:
    """The host's user behind ``user`` (``user`` itself when it is no stand-in)."""
    return user.user if isinstance(user, StandIn) else user

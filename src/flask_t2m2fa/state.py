"""Per-app state of the extension, kept in ``app.extensions["t2m2fa"]``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

from .config import Settings
from .rules.budgets import Budget
from .rules.sending_limits import Limits
from .sending import SmsSender
from .web.stand_in import real

if TYPE_CHECKING:
    from .extension import TwoFactor

EXTENSION_KEY = "t2m2fa"


@dataclass(frozen=True)
class UserRef:
    """What the extension knows of a host user: ids as text, and the host's answers."""

    user_id: str
    account_id: str
    is_admin: bool


@dataclass
class State:
    """What :meth:`TwoFactor.init_app` set up for one app."""

    extension: TwoFactor
    settings: Settings
    db: SQLAlchemy
    clock: Callable[[], datetime]
    sender: SmsSender | None
    account_of: Callable[[Any], object]
    is_admin: Callable[[Any], bool]
    load_user: Callable[[str], Any] | None
    #: The host's users of an account (admin pages): an iterable, or a SQLAlchemy Select.
    users_of: Callable[[str], Any] | None = None
    #: How the admin pages, the audit and the CLI name a user (default: his id).
    display_name: Callable[[Any], str] | None = None
    #: The account id of an account name the CLI is given, or None when unknown.
    account_named: Callable[[str], object] | None = None
    #: The host's users whose login name is the one given, in any account (the CLI's USER):
    #: an iterable, or a SQLAlchemy Select.
    users_named: Callable[[str], Any] | None = None

    @property
    def session(self) -> Session:
        return self.db.session  # type: ignore[return-value]

    @property
    def budget(self) -> Budget:
        s = self.settings
        return Budget(
            s.max_attempts_per_challenge, s.max_failures_per_day, s.max_failures_per_30_days
        )

    @property
    def limits(self) -> Limits:
        s = self.settings
        return Limits(
            s.resend_cooldown,
            s.max_sms_per_login,
            s.max_sms_per_user_per_day,
            s.max_sms_per_number_per_day,
        )

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock given to TwoFactor must return aware UTC datetimes")
        return now

    def ref(self, user: Any) -> UserRef:
        user = real(user)  # the stand-in of a login in this request answers a token for id
        return UserRef(str(user.get_id()), str(self.account_of(user)), bool(self.is_admin(user)))

    def require_sender(self) -> SmsSender:
        if self.sender is None:
            raise RuntimeError(
                "flask_t2m2fa has no SMS sender: pass sender= to init_app, or install the "
                "gateway outbox (gateway.outbox) for the default OutboxSender"
            )
        return self.sender

    def name_of(self, user: Any) -> str:
        if user is None:
            return "(deleted user)"
        if self.display_name is not None:
            return str(self.display_name(user))
        return str(real(user).get_id())

    def users_in(self, account_id: str) -> list[Any]:
        """The host's users of ``account_id`` (needs ``users_of=``)."""
        if self.users_of is None:
            raise RuntimeError("the admin pages need users_of= in TwoFactor.init_app")
        return self._listed(self.users_of(account_id))

    def users_called(self, name: str) -> list[Any]:
        """The host's users whose login name is ``name``, in any account (needs
        ``users_named=``)."""
        if self.users_named is None:
            raise RuntimeError("looking users up by login name needs users_named= in init_app")
        return self._listed(self.users_named(name))

    def _listed(self, found: Any) -> list[Any]:
        if hasattr(found, "compile"):  # a Select: run it in the host's session
            found = self.session.scalars(found).all()
        return list(found)

    def find_user(self, user_id: str) -> Any:
        if self.load_user is None:  # web.sessions.init_app sets the default
            raise RuntimeError("flask_t2m2fa needs load_user= or a Flask-Login user_loader")
        return self.load_user(user_id)


def get_state(app: Flask | None = None) -> State:
    """The extension state of ``app`` (default: the current app)."""
    app = app or current_app
    try:
        state: State = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "flask_t2m2fa is not set up on this app. Did you forget to call"
            " two_factor.init_app(app, db=db, ...)?"
        ) from None
    return state

"""When a Flask-Login session or "Keep me signed in" cookie still stands: the rule, pure.

A login carries a token ``t2m2fa.<uniquifier>.<kind>.<host user id>`` (see :mod:`.sessions`).
It counts only while the second-factor trust it was built on still stands, judged at every
use like a remembered PC:

* the user's uniquifier is unchanged (no revoke-all, 2FA disable, phone change, password
  change or "sign out everywhere" since);
* a login made without a second factor, because none was required, stops counting once one is
  (2FA turned on, account switched to Enforced);
* a login that skipped the code (remembered PC) or was restored from "Keep me signed in"
  counts only while the account allows remembering (never under Enforced);
* a login of a user who needs the second factor and must have a verified backup phone (an
  administrator) counts only while he has one: one the host promoted after his enrolment logs
  in again, and his next login asks for the backup before it ends.

A login that entered a code in this session survives a switch to Enforced: Enforced asks for
the code, and that session gave it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

PREFIX = "t2m2fa"
#: The uniquifier of a user who never had one: every user starts with it.
INITIAL_UNIQUIFIER = "0"


class Kind(enum.Enum):
    """How the login that made the session proved the second factor."""

    NONE = "n"  # none was required
    CODE = "c"  # a code entered in this login
    REMEMBERED_PC = "p"  # a remembered PC stood in for the code
    RESTORED = "r"  # restored from Flask-Login's "Keep me signed in" cookie


class SessionRejection(enum.Enum):
    """Why a session or "Keep me signed in" cookie no longer logs the user in."""

    MALFORMED = "not_a_login_token"
    SIGNED_OUT = "signed_out"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    REMEMBER_NOT_ALLOWED = "remember_not_allowed"
    BACKUP_REQUIRED = "backup_required"


@dataclass(frozen=True)
class LoginToken:
    uniquifier: str
    kind: Kind
    user_id: str

    def encode(self) -> str:
        return f"{PREFIX}.{self.uniquifier}.{self.kind.value}.{self.user_id}"

    def restored(self) -> LoginToken:
        return replace(self, kind=Kind.RESTORED)


def parse(value: object) -> LoginToken | None:
    """The token in ``value``, or None (a plain host id: a login the extension did not make)."""
    if not isinstance(value, str):
        return None
    parts = value.split(".", 3)
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1] or not parts[3]:
        return None
    try:
        kind = Kind(parts[2])
    except ValueError:
        return None
    return LoginToken(parts[1], kind, parts[3])


def session_rejection(
    token: LoginToken | None,
    *,
    uniquifier: str,
    two_factor_required: bool,
    remember_allowed: bool,
    restoring: bool,
    backup_missing: bool = False,
) -> SessionRejection | None:
    """None when the login still stands, else why not.

    :param uniquifier: the user's current one.
    :param two_factor_required: the account policy and the user's setting now.
    :param remember_allowed: does the account allow remembering now (False under Enforced)?
    :param restoring: the token comes from a "Keep me signed in" cookie, not the session.
    :param backup_missing: the user must have a verified backup phone and has none
        (:func:`flask_t2m2fa.rules.policy.backup_missing`).
    """
    if token is None:
        return SessionRejection.MALFORMED
    if token.uniquifier != uniquifier:
        return SessionRejection.SIGNED_OUT
    if not two_factor_required:
        return None
    if token.kind is Kind.NONE:
        return SessionRejection.SECOND_FACTOR_REQUIRED
    remembered = restoring or token.kind in (Kind.REMEMBERED_PC, Kind.RESTORED)
    if remembered and not remember_allowed:
        return SessionRejection.REMEMBER_NOT_ALLOWED
    if backup_missing:
        return SessionRejection.BACKUP_REQUIRED
    return None

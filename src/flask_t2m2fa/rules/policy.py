"""Account policy: who needs the second factor, and when a remembered PC is still valid.

Talk2M's two policies: *Standard* (Remember this PC allowed, never expires unless the account
sets a number of days) and *Enforced* (2FA for everyone, Remember this PC never valid). Pure
functions: a remembered PC is judged at every use by the account's *current* policy.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); so does the policy's expiry.
COOKIE_MAX_DAYS = 400

STANDARD = "standard"
ENFORCED = "enforced"
MODES = (STANDARD, ENFORCED)


@dataclass(frozen=True)
class Policy:
    mode: str = STANDARD
    enable_for_new_users: bool = False
    remember_pc_allowed: bool = True
    #: None: a remembered PC never expires (Talk2M Standard).
    remember_pc_days: int | None = None
    #: Users may make and use recovery codes (a second factor, under Enforced too).
    recovery_codes_allowed: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        days = self.remember_pc_days
        if days is not None and not 1 <= days <= COOKIE_MAX_DAYS:
            raise ValueError(f"remember_pc_days must be None or 1 to {COOKIE_MAX_DAYS}")


class Rejection(enum.Enum):
    """Why a remembered PC no longer stands in for the code."""

    ENFORCED = "policy_enforced"
    NOT_ALLOWED = "remember_pc_not_allowed"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown_token"
    OTHER_USER = "other_user"
    #: An administrator without a verified backup phone: the code, then the backup, are due.
    BACKUP_REQUIRED = "backup_required"


def two_factor_required(policy: Policy, *, user_enabled: bool | None) -> bool:
    """Does this user need the second factor?

    :param user_enabled: the user's own setting, or None when none was ever recorded. The
        account's ``enable_for_new_users`` is *not* read here: it applies when a user is created
        (:func:`enabled_at_creation`), never retroactively to users who existed before.
    """
    if policy.mode == ENFORCED:
        return True
    return bool(user_enabled)


def enabled_at_creation(policy: Policy) -> bool:
    """The 2FA switch recorded for a user the host creates under ``policy``."""
    return policy.enable_for_new_users


def updated(policy: Policy, changes: dict[str, Any]) -> Policy:
    """``policy`` with only the fields named in ``changes`` replaced (a form saves its changes).

    :raises ValueError: an unknown field or a value out of bounds.
    """
    unknown = set(changes) - {f.name for f in dataclasses.fields(Policy)}
    if unknown:
        raise ValueError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
    return dataclasses.replace(policy, **changes)


def differences(before: Policy, after: Policy) -> dict[str, Any]:
    """The fields whose value changed, with their new value."""
    return {
        f.name: getattr(after, f.name)
        for f in dataclasses.fields(Policy)
        if getattr(before, f.name) != getattr(after, f.name)
    }


def may_disable_two_factor(policy: Policy) -> bool:
    """Can an administrator turn a user's 2FA off? Not under Enforced: it applies to all."""
    return policy.mode != ENFORCED


def remember_offered(policy: Policy) -> bool:
    """Is the "Remember this PC" box shown (and honoured)?"""
    return policy.mode == STANDARD and policy.remember_pc_allowed


def backup_required(*, is_admin: bool) -> bool:
    """Must the user have a verified backup phone? Talk2M: yes for account administrators."""
    return is_admin


def backup_missing(*, is_admin: bool, has_verified_backup: bool) -> bool:
    """Does the user lack the verified backup phone he must have? An administrator the host
    promoted after his enrolment does, until he enters and verifies one at his next login."""
    return backup_required(is_admin=is_admin) and not has_verified_backup


def remembered_pc_rejection(
    policy: Policy,
    *,
    created_at: datetime,
    revoked: bool,
    now: datetime,
    backup_missing: bool = False,
) -> Rejection | None:
    """None when a remembered PC still counts as the second factor, else why not.

    :param backup_missing: the user must have a verified backup and has none
        (:func:`backup_missing`): the PC stays remembered, but this login needs the code,
        which leads to the backup's enrolment.
    """
    if revoked:
        return Rejection.REVOKED
    if policy.mode == ENFORCED:
        return Rejection.ENFORCED
    if not policy.remember_pc_allowed:
        return Rejection.NOT_ALLOWED
    days = policy.remember_pc_days
    if days is not None and now >= created_at + timedelta(days=days):
        return Rejection.EXPIRED
    if backup_missing:
        return Rejection.BACKUP_REQUIRED
    return None


def cookie_max_age(policy: Policy, *, created_at: datetime, now: datetime) -> timedelta:
    """How long the browser should keep the cookie from ``now`` (browsers cap at 400 days).

    "Never expires" is a cookie refreshed on every use; the server still judges validity.
    """
    cap = timedelta(days=COOKIE_MAX_DAYS)
    if policy.remember_pc_days is None:
        return cap
    left = created_at + timedelta(days=policy.remember_pc_days) - now
    return max(timedelta(0), min(cap, left))

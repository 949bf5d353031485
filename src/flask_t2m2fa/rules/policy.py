"""Account policy: who needs the second factor, and when a remembered PC is still valid.

Talk2M's two policies: *Standard* (Remember this PC allowed, never expires unless the account
sets a number of days) and *Enforced* (2FA for everyone, Remember this PC never valid). Pure
functions: a remembered PC is judged at every use by the account's *current* policy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def two_factor_required(policy: Policy, *, user_enabled: bool | None) -> bool:
    """Does this user need the second factor?

    :param user_enabled: the user's own setting, or None when an administrator never set one
        (then the account's ``enable_for_new_users`` decides).
    """
    if policy.mode == ENFORCED:
        return True
    if user_enabled is None:
        return policy.enable_for_new_users
    return user_enabled


def remember_offered(policy: Policy) -> bool:
    """Is the "Remember this PC" box shown (and honoured)?"""
    return policy.mode == STANDARD and policy.remember_pc_allowed


def backup_required(*, is_admin: bool) -> bool:
    """Must the user have a verified backup phone? Talk2M: yes for account administrators."""
    return is_admin


def remembered_pc_rejection(
    policy: Policy, *, created_at: datetime, revoked: bool, now: datetime
) -> Rejection | None:
    """None when a remembered PC still counts as the second factor, else why not."""
    if revoked:
        return Rejection.REVOKED
    if policy.mode == ENFORCED:
        return Rejection.ENFORCED
    if not policy.remember_pc_allowed:
        return Rejection.NOT_ALLOWED
    days = policy.remember_pc_days
    if days is not None and now >= created_at + timedelta(days=days):
        return Rejection.EXPIRED
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

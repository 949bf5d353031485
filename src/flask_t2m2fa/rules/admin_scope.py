"""Who an administrator may see and act on, and the 2FA state shown for each user. Pure.

An administrator acts only inside his own account: a user of another account is reported as
*not found* (never *forbidden*), so ids cannot be probed across accounts.
"""

from __future__ import annotations

ON = "on"
OFF = "off"
ENROLMENT = "enrolment pending"
PAUSED = "paused"
LOCKED = "locked"
#: The order of "sort by state": those that need the administrator first.
STATE_ORDER = (LOCKED, PAUSED, ENROLMENT, ON, OFF)


def in_scope(*, actor_is_admin: bool, actor_account: str, target_account: str) -> bool:
    """May this actor see and change the target (a user or a policy of ``target_account``)?"""
    return actor_is_admin and actor_account == target_account


def user_state(*, required: bool, locked: bool, paused: bool, verified_primary: bool) -> str:
    """The one word an administrator sees for a user's 2FA."""
    if locked:
        return LOCKED
    if paused:
        return PAUSED
    if not required:
        return OFF
    return ON if verified_primary else ENROLMENT


def state_rank(state: str) -> int:
    return STATE_ORDER.index(state)

"""Admin scope and the state word of each user (pure rules)."""

from __future__ import annotations

from flask_t2m2fa.rules.admin_scope import (
    ENROLMENT,
    LOCKED,
    OFF,
    ON,
    PAUSED,
    STATE_ORDER,
    in_scope,
    state_rank,
    user_state,
)


def test_admin_scope_is_own_account_and_admin_only() -> None:
    assert in_scope(actor_is_admin=True, actor_account="a", target_account="a")
    assert not in_scope(actor_is_admin=True, actor_account="a", target_account="b")
    assert not in_scope(actor_is_admin=False, actor_account="a", target_account="a")


def test_admin_user_state_words() -> None:
    def word(**kw: bool) -> str:
        base = {"required": True, "locked": False, "paused": False, "verified_primary": True}
        return user_state(**{**base, **kw})

    assert word() == ON
    assert word(required=False) == OFF
    assert word(verified_primary=False) == ENROLMENT
    assert word(paused=True) == PAUSED
    assert word(locked=True, paused=True) == LOCKED
    assert word(locked=True, required=False) == LOCKED


def test_admin_sort_by_state_puts_what_needs_action_first() -> None:
    assert sorted([OFF, ON, LOCKED, ENROLMENT, PAUSED], key=state_rank) == list(STATE_ORDER)
    assert STATE_ORDER[0] == LOCKED

"""Account policy: who needs 2FA and whether a remembered PC is valid, judged at each use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flask_t2m2fa.rules.policy import (
    Policy,
    Rejection,
    backup_missing,
    cookie_max_age,
    differences,
    enabled_at_creation,
    may_disable_two_factor,
    remember_offered,
    remembered_pc_rejection,
    two_factor_required,
    updated,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_enforced_requires_2fa_for_everyone() -> None:
    assert two_factor_required(Policy("enforced"), user_enabled=False)
    assert two_factor_required(Policy("enforced"), user_enabled=None)


def test_standard_follows_the_user_then_the_new_user_default() -> None:
    assert not two_factor_required(Policy(), user_enabled=False)
    assert two_factor_required(Policy(), user_enabled=True)
    assert not two_factor_required(Policy(), user_enabled=None)


def test_enable_for_new_users_is_not_retroactive() -> None:
    # A user who existed before the flag (no setting recorded) is not asked for a code...
    assert not two_factor_required(Policy(enable_for_new_users=True), user_enabled=None)
    # ...a user created under it gets 2FA recorded at creation.
    assert enabled_at_creation(Policy(enable_for_new_users=True))
    assert not enabled_at_creation(Policy())


def test_policy_update_changes_only_the_fields_given() -> None:
    before = Policy("standard", True, True, 30)
    after = updated(before, {"remember_pc_days": 7})
    assert after == Policy("standard", True, True, 7)
    assert differences(before, after) == {"remember_pc_days": 7}
    assert differences(before, updated(before, {})) == {}
    with pytest.raises(ValueError, match="unknown policy field"):
        updated(before, {"mdoe": "enforced"})
    with pytest.raises(ValueError):
        updated(before, {"remember_pc_days": 401})


def test_may_disable_two_factor_not_under_enforced() -> None:
    assert may_disable_two_factor(Policy())
    assert not may_disable_two_factor(Policy("enforced"))


def test_remember_offered_only_under_standard_when_allowed() -> None:
    assert remember_offered(Policy())
    assert not remember_offered(Policy(remember_pc_allowed=False))
    assert not remember_offered(Policy("enforced", remember_pc_allowed=True))


def test_standard_remembered_pc_never_expires() -> None:
    old = NOW - timedelta(days=3650)
    assert remembered_pc_rejection(Policy(), created_at=old, revoked=False, now=NOW) is None


def test_enforced_never_valid() -> None:
    got = remembered_pc_rejection(Policy("enforced"), created_at=NOW, revoked=False, now=NOW)
    assert got is Rejection.ENFORCED


def test_custom_days_from_creation() -> None:
    policy = Policy(remember_pc_days=30)
    edge = NOW - timedelta(days=30)
    assert (
        remembered_pc_rejection(
            policy, created_at=edge + timedelta(seconds=1), revoked=False, now=NOW
        )
        is None
    )
    assert (
        remembered_pc_rejection(policy, created_at=edge, revoked=False, now=NOW)
        is Rejection.EXPIRED
    )


def test_disallowed_and_revoked() -> None:
    assert (
        remembered_pc_rejection(
            Policy(remember_pc_allowed=False), created_at=NOW, revoked=False, now=NOW
        )
        is Rejection.NOT_ALLOWED
    )
    assert (
        remembered_pc_rejection(Policy(), created_at=NOW, revoked=True, now=NOW)
        is Rejection.REVOKED
    )


def test_an_administrator_without_a_verified_backup_gets_no_pc_shortcut() -> None:
    assert backup_missing(is_admin=True, has_verified_backup=False)
    assert not backup_missing(is_admin=True, has_verified_backup=True)
    assert not backup_missing(is_admin=False, has_verified_backup=False)
    got = remembered_pc_rejection(
        Policy(), created_at=NOW, revoked=False, now=NOW, backup_missing=True
    )
    assert got is Rejection.BACKUP_REQUIRED
    revoked = remembered_pc_rejection(
        Policy(), created_at=NOW, revoked=True, now=NOW, backup_missing=True
    )
    assert revoked is Rejection.REVOKED  # the lasting reason first


def test_cookie_max_age_capped_at_400_days() -> None:
    assert cookie_max_age(Policy(), created_at=NOW, now=NOW) == timedelta(days=400)
    left = cookie_max_age(Policy(remember_pc_days=30), created_at=NOW - timedelta(days=10), now=NOW)
    assert left == timedelta(days=20)


@pytest.mark.parametrize(
    "kwargs", [{"mode": "lenient"}, {"remember_pc_days": 0}, {"remember_pc_days": 401}]
)
def test_invalid_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Policy(**kwargs)  # type: ignore[arg-type]

"""The rule that says whether a session or "Keep me signed in" cookie still stands."""

from __future__ import annotations

import pytest

from flask_t2m2fa.rules.sessions import (
    Kind,
    LoginToken,
    SessionRejection,
    parse,
    session_rejection,
)

U = "a1b2c3"


def judge(kind: Kind, **now: bool) -> SessionRejection | None:
    facts = {"two_factor_required": True, "remember_allowed": True, "restoring": False, **now}
    return session_rejection(LoginToken(U, kind, "7"), uniquifier=U, **facts)


def test_token_round_trip_keeps_ids_with_dots() -> None:
    token = LoginToken(U, Kind.CODE, "user.with.dots")
    assert parse(token.encode()) == token


@pytest.mark.parametrize("value", [None, 7, "7", "t2m2fa..c.7", "t2m2fa.x.z.7", "other.x.c.7"])
def test_anything_but_a_token_is_refused(value: object) -> None:
    assert parse(value) is None
    assert (
        session_rejection(
            None, uniquifier=U, two_factor_required=False, remember_allowed=True, restoring=False
        )
        is SessionRejection.MALFORMED
    )


def test_a_new_uniquifier_ends_every_kind_of_login() -> None:
    for kind in Kind:
        token = LoginToken("old", kind, "7")
        verdict = session_rejection(
            token, uniquifier=U, two_factor_required=False, remember_allowed=True, restoring=False
        )
        assert verdict is SessionRejection.SIGNED_OUT


def test_a_login_without_second_factor_ends_once_one_is_required() -> None:
    assert judge(Kind.NONE, two_factor_required=False) is None
    assert judge(Kind.NONE) is SessionRejection.SECOND_FACTOR_REQUIRED


def test_remembered_logins_need_remembering_allowed() -> None:
    for kind in (Kind.REMEMBERED_PC, Kind.RESTORED):
        assert judge(kind) is None
        assert judge(kind, remember_allowed=False) is SessionRejection.REMEMBER_NOT_ALLOWED
    assert judge(Kind.CODE, restoring=True, remember_allowed=False) is (
        SessionRejection.REMEMBER_NOT_ALLOWED
    )


def test_a_code_session_survives_enforced() -> None:
    assert judge(Kind.CODE, remember_allowed=False) is None


def test_without_two_factor_keep_me_signed_in_is_the_hosts_business() -> None:
    assert judge(Kind.RESTORED, two_factor_required=False, remember_allowed=False) is None


def test_an_administrator_without_a_backup_logs_in_again() -> None:
    for kind in (Kind.CODE, Kind.REMEMBERED_PC, Kind.RESTORED):
        assert judge(kind, backup_missing=True) is SessionRejection.BACKUP_REQUIRED
    assert judge(Kind.CODE, restoring=True, backup_missing=True) is (
        SessionRejection.BACKUP_REQUIRED
    )
    # No second factor required: no backup either (2FA off is the host's choice).
    assert judge(Kind.NONE, two_factor_required=False, backup_missing=True) is None

"""Two (here twelve) simultaneous uses of one recovery code: exactly one logs in.

On SQLite the write lock serialises the requests; on PostgreSQL the lock of the user's settings
row does (MariaDB too), and the conditional UPDATE of the code row is the arbiter behind it.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import RecordingSender, in_parallel, json_login, json_verify

from flask_t2m2fa.models import RecoveryCode

PARALLEL = 12


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def test_parallel_uses_of_one_code_give_exactly_one_login(
    app: Flask, alice: Any, sms: RecordingSender
) -> None:
    first = app.test_client()
    json_login(first, "alice")
    json_verify(first, sms.last.code)
    code = first.post("/t2m2fa/api/security/recovery-codes", json={}).json["codes"][0]
    # One login at its code step, sent from twelve clients at once (a user has one live login
    # code: a second login takes it over or replaces it).
    clients = [app.test_client() for _ in range(PARALLEL)]
    half = app.test_client()
    assert json_login(half, "alice").json["status"] == "2fa_required"
    with half.session_transaction() as session:
        cookie = dict(session)
    for client in clients:
        with client.session_transaction() as session:
            session.update(cookie)

    def use(index: int) -> str:
        answer = clients[index].post("/t2m2fa/api/recovery", json={"code": code})
        return str(answer.json["status"])

    results = in_parallel(use, PARALLEL)
    assert results.count("ok") == 1, results
    assert set(results) <= {"ok", "code_expired", "invalid_code"}
    db = app.extensions["test_host"].db
    db.session.rollback()
    used = db.session.scalar(sa.select(sa.func.count()).where(RecoveryCode.used_at.is_not(None)))
    assert used == 1


def test_the_code_row_is_the_arbiter(app: Flask, alice: Any, sms: RecordingSender) -> None:
    """Behind the settings lock: of two marks of one code, the second changes nothing."""
    from flask_t2m2fa.services import recovery
    from flask_t2m2fa.state import get_state

    state = get_state()
    ref = state.ref(alice)
    state.session.add(
        RecoveryCode(
            user_id=ref.user_id, account_id=ref.account_id, tag="00", code_hash="x",
            created_at=state.now(),
        )
    )  # fmt: skip
    state.session.flush()
    row_id = state.session.scalars(sa.select(RecoveryCode.id)).one()
    assert recovery._mark(state, row_id, used=True) is True
    assert recovery._mark(state, row_id, used=True) is False
    assert recovery._mark(state, row_id, used=False) is True

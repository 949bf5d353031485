""" "Is this challenge still usable" is one rule (``rules.budgets.challenge_usable``) with one SQL
mirror (``services.live_challenges.usable``, the atomic claim's condition): on generated
challenges, the database selects exactly the rows the rule accepts, at the edges too (expiry
at ``now``, the last attempt)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from flask_t2m2fa.models import Base, Challenge
from flask_t2m2fa.rules.budgets import Budget, challenge_usable
from flask_t2m2fa.services.live_challenges import usable

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("T2M2FA_FUZZ_EXAMPLES", "200"))

#: One challenge's state: used, replaced, expiry relative to now (seconds), attempts spent.
_STATES = st.tuples(
    st.booleans(), st.booleans(), st.integers(min_value=-3, max_value=3), st.integers(0, 5)
)


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Challenge.__table__])  # type: ignore[list-item]
    yield engine
    engine.dispose()


def _row(
    number: int, used: bool, replaced: bool, expires_in: int, attempts: int
) -> dict[str, object]:
    return {
        "id": f"c{number}", "user_id": "u", "account_id": "a", "purpose": "login",
        "destination": "primary", "login_id": "l", "code_hash": "", "created_at": NOW,
        "expires_at": NOW + timedelta(seconds=expires_in), "attempts": attempts,
        "consumed_at": NOW if used else None, "superseded_at": NOW if replaced else None,
    }  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None)
@given(states=st.lists(_STATES, max_size=12), per_challenge=st.integers(1, 4))
def test_the_sql_predicate_selects_exactly_what_the_rule_accepts(
    engine: sa.Engine, states: list[tuple[bool, bool, int, int]], per_challenge: int
) -> None:
    budget = Budget(per_challenge=per_challenge)
    rows = [_row(n, *state) for n, state in enumerate(states)]
    expected = {
        row["id"]
        for (used, replaced, expires_in, attempts), row in zip(states, rows, strict=True)
        if challenge_usable(
            consumed=used,
            superseded=replaced,
            expires_at=NOW + timedelta(seconds=expires_in),
            attempts=attempts,
            now=NOW,
            budget=budget,
        )
    }
    with engine.begin() as conn:
        conn.execute(sa.delete(Challenge.__table__))
        if rows:
            conn.execute(sa.insert(Challenge.__table__), rows)
        query = sa.select(Challenge.id).where(usable(Challenge, NOW, budget.per_challenge))
        found = set(conn.scalars(query))
    assert found == expected


def test_the_rule_refuses_each_way_a_challenge_dies() -> None:
    alive = {"consumed": False, "superseded": False, "expires_at": NOW + timedelta(seconds=1),
             "attempts": 2, "now": NOW, "budget": Budget(per_challenge=3)}  # fmt: skip
    assert challenge_usable(**alive)  # type: ignore[arg-type]
    for dead in ({"consumed": True}, {"superseded": True}, {"expires_at": NOW}, {"attempts": 3}):
        assert not challenge_usable(**{**alive, **dead}), dead  # type: ignore[arg-type]

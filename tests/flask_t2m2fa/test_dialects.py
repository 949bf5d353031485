"""The per-database forms of ``services.dialects``: the same answers on SQLite, PostgreSQL and
MariaDB, and the isolation level a MariaDB/MySQL host must give its engine, checked at init_app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

from flask_t2m2fa import TwoFactor
from flask_t2m2fa.config import ConfigError
from flask_t2m2fa.models import UserSettings
from flask_t2m2fa.services import dialects

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
#: Touch the row of an enabled user (a condition on the row and a value to write, as a claim
#: of a code has).
TOUCH = dialects.RowClaim(
    UserSettings,
    key="b_user_id",
    values={"touched_at": sa.bindparam("now")},
    where=UserSettings.enabled.is_(True),
)
LOCK = dialects.RowLock(UserSettings, key="b_user_id", values={"touched_at": sa.bindparam("now")})


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    mysql = sa.make_url(db_url).get_backend_name() in ("mysql", "mariadb")
    engine = sa.create_engine(db_url, **({"isolation_level": "READ COMMITTED"} if mysql else {}))
    UserSettings.__table__.create(engine)
    with Session(engine) as session:
        for user_id, enabled in (("on", True), ("off", False)):
            session.add(
                UserSettings(
                    user_id=user_id, account_id="acme", enabled=enabled, touched_at=NOW,
                    created_at=NOW,
                )
            )  # fmt: skip
        session.commit()
        yield session
    engine.dispose()


def test_a_claim_returns_the_row_after_its_change(session: Session) -> None:
    cached = session.get(UserSettings, "on")
    later = NOW + timedelta(minutes=1)
    row = TOUCH.execute(session, {"b_user_id": "on", "now": later})
    assert row is cached  # the session's own object, refreshed
    assert row is not None and row.touched_at.replace(tzinfo=UTC) == later


def test_a_claim_whose_condition_fails_changes_nothing(session: Session) -> None:
    assert TOUCH.execute(session, {"b_user_id": "off", "now": NOW + timedelta(minutes=1)}) is None
    assert TOUCH.execute(session, {"b_user_id": "nobody", "now": NOW}) is None
    session.commit()
    touched = session.get(UserSettings, "off", populate_existing=True)
    assert touched is not None and touched.touched_at.replace(tzinfo=UTC) == NOW


def test_a_claim_that_writes_what_the_row_holds_still_finds_it(session: Session) -> None:
    """MySQL's row count says rows *changed* unless the driver asks for rows *matched*
    (SQLAlchemy's MySQL drivers do): a claim must not mistake an unchanged row for none."""
    assert TOUCH.execute(session, {"b_user_id": "on", "now": NOW}) is not None


def test_a_lock_reads_the_row_and_none_without_one(session: Session) -> None:
    row = LOCK.execute(session, {"b_user_id": "on", "now": NOW})
    assert row is not None and row.user_id == "on"
    assert LOCK.execute(session, {"b_user_id": "nobody", "now": NOW}) is None


def _init(url: str, engine_options: dict[str, Any]) -> None:
    app = Flask("isolation")
    app.config.update(SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=url)
    db = SQLAlchemy(app, engine_options=engine_options)
    TwoFactor().init_app(app, db=db, account_of=lambda u: 1, is_admin=lambda u: False)


#: No server is needed: init_app reads the engine's configuration, it does not connect.
MYSQL_URLS = ["mysql+pymysql://root@127.0.0.1:1/none", "mariadb+pymysql://root@127.0.0.1:1/none"]


@pytest.mark.parametrize("url", MYSQL_URLS)
@pytest.mark.parametrize(
    "options",
    [{}, {"isolation_level": "REPEATABLE READ"}, {"isolation_level": "SERIALIZABLE"}],
    ids=["server-default", "repeatable-read", "serializable"],
)
def test_a_mysql_engine_not_at_read_committed_is_refused_at_init_app(
    url: str, options: dict[str, Any]
) -> None:
    """At InnoDB's REPEATABLE READ the counters read after the user's lock come from the
    snapshot taken before it: parallel requests would overspend the wrong-code and SMS budgets."""
    with pytest.raises(ConfigError, match=r"READ COMMITTED.*SQLALCHEMY_ENGINE_OPTIONS"):
        _init(url, options)


@pytest.mark.parametrize("url", MYSQL_URLS)
@pytest.mark.parametrize(
    "options",
    [
        {"isolation_level": "READ COMMITTED"},
        {"isolation_level": "READ_COMMITTED"},
        {"execution_options": {"isolation_level": "READ COMMITTED"}},
    ],
    ids=["engine", "underscore", "execution-options"],
)
def test_a_mysql_engine_at_read_committed_is_accepted(url: str, options: dict[str, Any]) -> None:
    _init(url, options)


def test_other_databases_keep_their_own_level(sqlite_url: str) -> None:
    _init(sqlite_url, {})

"""Date-times come back as stored, to the microsecond and in UTC, on every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from gateway.sqltypes import UTCDateTime

_table = sa.Table(
    "t2m2fa_test_times",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
)


def test_microseconds_and_utc_survive_a_round_trip(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    _table.metadata.create_all(engine)
    stored = datetime(2026, 12, 5, 9, 30, 1, 123456, tzinfo=timezone(timedelta(hours=2)))
    later = stored + timedelta(microseconds=1)
    with engine.begin() as conn:
        conn.execute(sa.insert(_table), [{"id": 1, "at": stored}, {"id": 2, "at": later}])
        read = conn.execute(sa.select(_table.c.at).order_by(_table.c.id)).scalars().all()
        # A window's edge: one microsecond apart is still apart in SQL.
        newer = conn.execute(sa.select(_table.c.id).where(_table.c.at > stored)).scalars().all()
    engine.dispose()
    assert read == [stored, later]
    assert all(value.tzinfo is UTC for value in read)
    assert newer == [2]


def test_naive_datetimes_are_refused(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    _table.metadata.create_all(engine)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as conn:
        conn.execute(sa.insert(_table), {"id": 1, "at": datetime(2026, 12, 5)})
    engine.dispose()

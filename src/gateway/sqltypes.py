"""Column types shared by the gateway's tables and the Flask extension's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

#: The dialects of MariaDB and MySQL (SQLAlchemy names MariaDB's own ``mariadb``; a
#: ``mysql+pymysql://`` URL to a MariaDB server gives ``mysql``).
MYSQL_DIALECTS = ("mysql", "mariadb")

#: The stored type of :class:`UTCDateTime`. MySQL's plain ``DATETIME`` drops the microseconds,
#: which the send windows and the order of events need: ``DATETIME(6)`` there.
TIMESTAMP = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), *MYSQL_DIALECTS)

#: Dialects whose date-time columns have no time zone: values are stored as naive UTC.
_NAIVE = ("sqlite", *MYSQL_DIALECTS)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL stores ``timestamptz``. SQLite has no time zones, so the value is stored as naive
    UTC text, whose fixed format also sorts correctly in ``<`` comparisons. MariaDB and MySQL
    store naive UTC in ``DATETIME(6)`` (not ``TIMESTAMP``, which the session's time zone shifts
    and which ends in 2038).
    """

    impl = TIMESTAMP
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: only aware UTC datetimes are stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name in _NAIVE else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

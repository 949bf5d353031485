"""Each modem's health as its worker last reported it, for ``t2m2fa-gateway status``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from gateway.outbox.schema import modems_table as m
from gateway.outbox.schema import outbox_table as t
from gateway.sqltypes import MYSQL_DIALECTS

_FROM_OUTBOX = ("last_success_at", "sent_today")


@dataclass(frozen=True)
class ModemReport:
    """One modem as seen by the worker that owns it.

    ``state`` is one of ``ready``, ``sending``, ``opening``, ``cooldown``, ``capped``,
    ``stopped``; ``detail`` says why (e.g. which cap was reached and until when).
    ``last_success_at`` and ``sent_today`` are read from the outbox itself, so reporting them
    costs the worker nothing per message.
    """

    name: str
    worker: str
    state: str
    updated_at: datetime
    detail: str | None = None
    signal_dbm: int | None = None
    operator: str | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    sent_today: int | None = None
    #: As :class:`gateway.modem.ModemHealth` words them (``home``, ``denied``; ``ready``, ...).
    registration: str | None = None
    sim_state: str | None = None
    #: The SIM in the modem, in full (logs and metrics mask them).
    imsi: str | None = None
    iccid: str | None = None


class ModemsMixin:
    """Outbox methods that record and list modem health."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    def report_modem(self, report: ModemReport) -> None:
        """Insert or replace the row for ``report.name``."""
        values = {k: v for k, v in asdict(report).items() if k not in _FROM_OUTBOX}
        with self.engine.begin() as conn:
            conn.execute(_upsert(self.engine.dialect.name, values))

    def modem_reports(self) -> list[ModemReport]:
        """Every modem ever reported, by name, with its last send and sends in the last 24 h."""
        day_ago = self.clock() - timedelta(days=1)
        recent = sa.case((t.c.sent_at >= day_ago, 1), else_=0)
        sends = (
            sa.select(t.c.modem, sa.func.max(t.c.sent_at), sa.func.sum(recent))
            .where(t.c.sent_at.is_not(None))
            .group_by(t.c.modem)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(m).order_by(m.c.name)).all()
            by_modem = {row[0]: (row[1], int(row[2] or 0)) for row in conn.execute(sends)}
        return [
            ModemReport(
                **row._asdict(),
                last_success_at=by_modem.get(row.name, (None, 0))[0],
                sent_today=by_modem.get(row.name, (None, 0))[1],
            )
            for row in rows
        ]


def _upsert(dialect: str, values: dict[str, object]) -> sa.Insert:
    """Insert the modem's row, or replace it: each database says it its own way."""
    changed = {k: v for k, v in values.items() if k != "name"}
    if dialect in MYSQL_DIALECTS:
        return mysql.insert(m).values(**values).on_duplicate_key_update(**changed)
    insert = postgresql.insert(m) if dialect == "postgresql" else sqlite.insert(m)
    return insert.values(**values).on_conflict_do_update(index_elements=[m.c.name], set_=changed)

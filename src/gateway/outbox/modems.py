"""Each modem's health as its worker last reported it, for ``t2m2fa-gateway status``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.outbox.schema import modems_table as m


@dataclass(frozen=True)
class ModemReport:
    """One modem as seen by the worker that owns it.

    ``state`` is one of ``ready``, ``sending``, ``opening``, ``cooldown``, ``capped``,
    ``stopped``; ``detail`` says why (e.g. which cap was reached and until when).
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


class ModemsMixin:
    """Outbox methods that record and list modem health."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    def report_modem(self, report: ModemReport) -> None:
        """Insert or replace the row for ``report.name``."""
        values = asdict(report)
        dialect = self.engine.dialect.name
        insert = postgresql.insert(m) if dialect == "postgresql" else sqlite.insert(m)
        stmt = insert.values(**values).on_conflict_do_update(
            index_elements=[m.c.name],
            set_={k: v for k, v in values.items() if k != "name"},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def modem_reports(self) -> list[ModemReport]:
        """Every modem ever reported, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(m).order_by(m.c.name)).all()
        return [ModemReport(**row._asdict()) for row in rows]

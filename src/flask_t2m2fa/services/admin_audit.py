"""The account's audit trail for its administrator: filters, pages, names instead of ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..models import AuditEvent
from ..state import State


@dataclass(frozen=True)
class Filters:
    user_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Line:
    at: datetime
    event: str
    outcome: str
    user: str
    actor: str | None
    reason: str | None
    destination: str | None


@dataclass(frozen=True)
class AuditPage:
    lines: list[Line]
    total: int
    page: int
    pages: int


def _query(account_id: str, f: Filters) -> sa.Select[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.account_id == account_id)
    if f.user_id:
        query = query.where(
            sa.or_(AuditEvent.user_id == f.user_id, AuditEvent.actor_id == f.user_id)
        )
    if f.kind:
        query = query.where(AuditEvent.event == f.kind)
    if f.since:
        query = query.where(AuditEvent.at >= f.since)
    if f.until:
        query = query.where(AuditEvent.at < f.until)
    return query


def _lines(state: State, rows: list[AuditEvent]) -> list[Line]:
    names: dict[str, str] = {}

    def name(user_id: str | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in names:
            names[user_id] = state.name_of(state.find_user(user_id))
        return names[user_id]

    return [
        Line(r.at, r.event, r.outcome, name(r.user_id) or "(account)", name(r.actor_id),
             r.reason, r.destination)
        for r in rows
    ]  # fmt: skip


def page_of(
    state: State, account_id: str, f: Filters, *, page: int = 1, per_page: int = 50
) -> AuditPage:
    """One page of the account's events, newest first."""
    query = _query(account_id, f)
    total = int(state.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = state.session.scalars(
        query.order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return AuditPage(_lines(state, list(rows)), total, page, pages)


def all_lines(state: State, account_id: str, f: Filters, *, limit: int = 10_000) -> list[Line]:
    """Every filtered event, newest first, for the CSV export (capped at ``limit``)."""
    rows = state.session.scalars(
        _query(account_id, f).order_by(AuditEvent.id.desc()).limit(limit)
    ).all()
    return _lines(state, list(rows))

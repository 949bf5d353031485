"""``t2m2fa-gateway status --json``: the same figures as ``status``, for scripts.

The keys are stable (the manual's gateway page, "status --json"): new keys may be added, none
is renamed or removed without raising ``version``. Times are ISO 8601 in UTC, durations in
seconds, and an unknown value is ``null``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.cli.outbox_status import is_stale
from gateway.message import DeliveryState
from gateway.modem import ModemHealth
from gateway.outbox import ModemReport, QueueStats
from gateway.sim_identity import SimIdentity

#: Raised when a key changes meaning or goes away.
VERSION = 1


def outbox_json(stats: QueueStats, reports: list[ModemReport], now: datetime) -> dict[str, Any]:
    """The ``outbox`` and ``modems`` members."""
    age = stats.oldest_queued_age
    return {
        "outbox": {
            "counts": {state.value: stats.counts.get(state, 0) for state in DeliveryState},
            "due": stats.due,
            "oldest_queued_age_seconds": None if age is None else age.total_seconds(),
        },
        "modems": [_report_json(report, now) for report in reports],
    }


def _report_json(report: ModemReport, now: datetime) -> dict[str, Any]:
    return {
        "name": report.name,
        "worker": report.worker,
        "state": report.state,
        "detail": report.detail,
        "stale": is_stale(report, now),
        "updated_at": _iso(report.updated_at),
        "signal_dbm": report.signal_dbm,
        "operator": report.operator,
        "registration": report.registration,
        "sim_state": report.sim_state,
        "imsi": report.imsi,
        "iccid": report.iccid,
        "last_success_at": _iso(report.last_success_at),
        "sent_last_24h": report.sent_today or 0,
        "last_error": report.last_error,
    }


def modem_json(port: str, health: ModemHealth, identity: SimIdentity) -> dict[str, Any]:
    """The ``modem`` member: the modem on ``--port``, read now."""
    return {
        "port": port,
        "signal_dbm": health.signal_dbm,
        "registration": health.registration,
        "registered": health.registered,
        "operator": health.operator,
        "sim": health.sim,
        "imsi": identity.imsi,
        "iccid": identity.iccid,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()

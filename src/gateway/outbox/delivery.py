"""Delivery reports in the outbox: pairing a modem's status report with the message it is about.

A report carries the message reference (TP-MR) the modem gave at ``+CMGS`` and the recipient.
References are per modem and wrap at 255, so a report is matched on the modem that sent, the
reference and the recipient, and goes to the newest message still awaiting one that was sent
within the report window. The number itself is not kept once the message is sent: the match
uses a coarse key of its last eight digits (a report may give the number in national form).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from gateway.message import DeliveryReport
from gateway.outbox.masking import mask_number
from gateway.outbox.schema import reports_table as r
from gateway.status_report import ReportOutcome, StatusReport

log = logging.getLogger("gateway.outbox")

#: How long after a send its report is waited for; then the message has "no report".
DEFAULT_REPORT_WINDOW = timedelta(hours=1)

_STATE = {
    ReportOutcome.DELIVERED: DeliveryReport.DELIVERED,
    ReportOutcome.PENDING: DeliveryReport.AWAITING,
    ReportOutcome.NOT_DELIVERED: DeliveryReport.NOT_DELIVERED,
}


def recipient_match(number: str) -> str:
    """The last two digits and 12 bits of a hash of the last eight: a match key that fits
    ``+32470123456`` and ``0470123456`` alike, yet names hundreds of numbers."""
    digits = "".join(ch for ch in number if ch.isdigit())[-8:]
    digest = hashlib.sha256(f"t2m2fa-report:{digits}".encode()).hexdigest()
    return f"{digits[-2:]}{digest[:3]}"


def awaiting_row(
    msg_id: int, modem: str, reference: int, destination: str, now: datetime
) -> sa.Insert:
    """The row that makes message ``msg_id`` wait for its report (inserted with the send)."""
    return sa.insert(r).values(
        message_id=msg_id,
        modem=modem,
        reference=reference % 256,
        recipient_match=recipient_match(destination),
        sent_at=now,
        state=DeliveryReport.AWAITING.value,
    )


def delivery_fields(conn: sa.Connection, msg_id: int) -> dict[str, Any]:
    """The delivery fields of :class:`~gateway.message.MessageStatus` for one message."""
    row = conn.execute(
        sa.select(r.c.state, r.c.reason, r.c.discharged_at).where(r.c.message_id == msg_id)
    ).one_or_none()
    if row is None:
        return {}
    return {
        "delivery_report": DeliveryReport(row.state),
        "delivery_reason": row.reason,
        "delivery_report_at": row.discharged_at,
    }


class DeliveryMixin:
    """Outbox methods that record status reports."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    def record_report(
        self, modem: str, report: StatusReport, *, window: timedelta = DEFAULT_REPORT_WINDOW
    ) -> int | None:
        """Pair ``report`` (received now from ``modem``) with its message and record it.

        :return: the message id, or None when no message sent within ``window`` matches (an
            unknown or late reference): the report is logged and ignored.
        """
        now = self.clock()
        match = (
            r.c.modem == modem,
            r.c.reference == report.reference,
            r.c.recipient_match == recipient_match(report.recipient),
            r.c.state == DeliveryReport.AWAITING.value,
            r.c.sent_at >= now - window,
        )
        newest = sa.select(r.c.message_id).where(*match)
        newest = newest.order_by(r.c.sent_at.desc(), r.c.message_id.desc()).limit(1)
        values = {
            "state": _STATE[report.outcome].value,
            "status": report.status,
            "reason": None if report.outcome is ReportOutcome.DELIVERED else report.reason,
            "reported_at": now,
            "discharged_at": report.discharged_at,
        }
        with self.engine.begin() as conn:
            msg_id = conn.execute(newest).scalar()
            if msg_id is not None:
                conn.execute(sa.update(r).where(r.c.message_id == msg_id).values(**values))
        who = f"reference {report.reference} to {mask_number(report.recipient)} on {modem}"
        if msg_id is None:
            log.warning("ignored a status report for an unknown message (%s)", who)
            return None
        log.info("message %d: %s (%s)", msg_id, report.reason, values["state"])
        return int(msg_id)

    def close_unreported(self, window: timedelta = DEFAULT_REPORT_WINDOW) -> int:
        """Mark "no report" the messages whose report did not come within ``window``."""
        stmt = (
            sa.update(r)
            .where(r.c.state == DeliveryReport.AWAITING.value, r.c.sent_at < self.clock() - window)
            .values(state=DeliveryReport.NO_REPORT.value)
        )
        with self.engine.begin() as conn:
            count = int(conn.execute(stmt).rowcount)
        if count:
            log.info("%d message(s) got no status report in time", count)
        return count

"""Delivery reports in a modem thread: ask for them per message kind, read them between sends.

The thread that owns the modem is the only one that reads its port, so reports are collected
by that thread, between two sends (there is no reader thread to race with the AT dialogue).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, runtime_checkable

from gateway.errors import GatewayError
from gateway.outbox import DEFAULT_REPORT_WINDOW, ClaimedMessage, Outbox
from gateway.status_report import StatusReport
from gateway.worker.sender import Sender

log = logging.getLogger("gateway.worker")


@dataclass(frozen=True)
class ReportConfig:
    """:param kinds: message kinds (``code``, ``notice``...) sent with a status report request.
    :param window: how long a report is waited for; later ones are ignored ("no report").
    """

    kinds: frozenset[str] = field(default_factory=frozenset)
    window: timedelta = DEFAULT_REPORT_WINDOW


@runtime_checkable
class ReportingSender(Protocol):
    """A :class:`~gateway.worker.sender.Sender` that can ask for and hand over status reports
    (``gateway.modem.Modem`` can)."""

    def send(
        self,
        number: str,
        text: str,
        *,
        validity: timedelta | None = None,
        status_report: bool | None = None,
    ) -> int: ...

    def take_reports(self) -> list[StatusReport]: ...


class SlotReports:
    """One modem thread's side of delivery reports."""

    def __init__(
        self,
        modem: str,
        outbox: Outbox,
        config: ReportConfig,
        observe: Callable[[str], None] = lambda _outcome: None,
    ) -> None:
        """:param observe: told each report's outcome (``delivered``, ``not_delivered``,
        ``pending``, or ``unmatched`` for a report no message claims), e.g. for metrics."""
        self._modem = modem
        self._outbox = outbox
        self._config = config
        self._observe = observe

    def send(self, sender: Sender, message: ClaimedMessage, validity: timedelta | None) -> int:
        """Send ``message``, asking for a report when its kind is one of the configured ones."""
        if self._config.kinds and isinstance(sender, ReportingSender):
            wanted = message.kind in self._config.kinds
            return sender.send(
                message.destination, message.body, validity=validity, status_report=wanted
            )
        return sender.send(message.destination, message.body, validity=validity)

    def report_for(self, sender: Sender | None, message: ClaimedMessage) -> str | None:
        """The destination to await a report for once ``message`` is sent, or None."""
        if message.kind in self._config.kinds and isinstance(sender, ReportingSender):
            return message.destination
        return None

    def collect(self, sender: Sender, db: Callable[[Callable[[], None], str], None]) -> bool:
        """Read the reports the modem received since the last look and record each with its
        message (an unknown reference is logged and ignored).

        :param db: runs a database call with the slot's retries.
        :return: False when the modem failed while being read (the slot reopens it).
        """
        if not self._config.kinds or not isinstance(sender, ReportingSender):
            return True
        try:
            reports = sender.take_reports()
        except GatewayError as exc:
            log.warning("%s: reading status reports failed: %s", self._modem, exc)
            return False
        if reports:
            db(lambda: self._record(reports), "recording status reports")
        return True

    def _record(self, reports: list[StatusReport]) -> None:
        for report in reports:
            matched = self._outbox.record_report(self._modem, report, window=self._config.window)
            self._observe(report.outcome.value if matched is not None else "unmatched")

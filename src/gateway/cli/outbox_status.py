"""The outbox part of ``t2m2fa-gateway status``: queue depth and each modem's last report."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.outbox import ModemReport, Outbox, QueueStats

#: A worker reports at least this often (its heartbeat is 30 s); older reports are stale.
STALE_AFTER = timedelta(minutes=2)

database_status_option = click.option(
    "--database",
    metavar="URL",
    envvar="T2M2FA_GATEWAY_DATABASE",
    help="Outbox database: queue depth and each modem's health as its worker reports it.",
)


def print_outbox_status(database: str) -> None:
    """Read the outbox at ``database`` and print its figures; one-line error if unreachable."""
    for line in format_outbox_status(*read_outbox_status(database)):
        click.echo(line)


def read_outbox_status(database: str) -> tuple[QueueStats, list[ModemReport], datetime]:
    """Queue figures, modem reports and the time they were read; one-line error if unreachable."""
    try:
        outbox = Outbox(database)
        try:
            stats, reports = outbox.stats(), outbox.modem_reports()
            now = outbox.clock()
        finally:
            outbox.engine.dispose()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise click.BadParameter(str(exc), param_hint="--database") from None
    except sa.exc.OperationalError as exc:
        raise click.ClickException(f"cannot read the outbox: {exc.orig}") from None
    return stats, reports, now


def format_outbox_status(stats: QueueStats, reports: list[ModemReport], now: datetime) -> list[str]:
    """Lines for the queue, then one block per modem."""
    queued = stats.counts.get(DeliveryState.QUEUED, 0)
    oldest = (
        f", oldest {_age(stats.oldest_queued_age)}" if stats.oldest_queued_age is not None else ""
    )
    lines = [f"queued:       {queued} ({stats.due} due now{oldest})"]
    for state in DeliveryState:
        if state is not DeliveryState.QUEUED:
            lines.append(f"{state.value + ':':<13} {stats.counts.get(state, 0)}")
    if not reports:
        lines.append("modems:       none reported (is a worker running?)")
    for report in reports:
        lines.extend(_modem_lines(report, now))
    return lines


def _modem_lines(report: ModemReport, now: datetime) -> list[str]:
    state = report.state
    if is_stale(report, now):
        state = f"{state}? (no report for {_age(now - report.updated_at)}: worker down?)"
    signal = f"{report.signal_dbm} dBm" if report.signal_dbm is not None else "unknown"
    success = f"{_age(now - report.last_success_at)} ago" if report.last_success_at else "never"
    lines = [
        f"modem:        {report.name}",
        f"  state:      {state}" + (f" ({report.detail})" if report.detail else ""),
        f"  signal:     {signal}, operator {report.operator or 'unknown'}",
        f"  network:    {report.registration or 'unknown'}; SIM {report.sim_state or 'unknown'}",
        f"  sim:        IMSI {report.imsi or 'unknown'}, ICCID {report.iccid or 'unknown'}",
        f"  last sent:  {success}; {report.sent_today or 0} in the last 24 h",
        f"  worker:     {report.worker}",
    ]
    if report.last_error:
        lines.append(f"  last error: {report.last_error}")
    return lines


def is_stale(report: ModemReport, now: datetime) -> bool:
    """No report for a while from a worker that did not say it stopped: is it down?"""
    return now - report.updated_at > STALE_AFTER and report.state != "stopped"


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"

"""``t2m2fa-gateway status``: what the gateway's parts report.

Each source is an option (``--port DEV`` for a modem); a source added later (e.g. the outbox's
``--database URL``) is one more option and one more ``_print_...`` function here.
"""

from __future__ import annotations

import json
from typing import Any

import click

from gateway.cli import status_json
from gateway.cli.common import BadArguments, OneLineErrorCommand
from gateway.cli.modem_errors import modem_errors, port_option
from gateway.cli.outbox_status import (
    database_status_option,
    format_outbox_status,
    read_outbox_status,
)
from gateway.modem import Modem, ModemHealth
from gateway.sim_identity import SimIdentity


@click.command("status", cls=OneLineErrorCommand)
@port_option
@database_status_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object (keys: see the manual).")
def status_command(port: str | None, database: str | None, as_json: bool) -> None:
    """Print the health of a modem (--port) and of the outbox and its workers (--database)."""
    if not port and not database:
        raise BadArguments("status: give --port DEV or --database URL")
    answer: dict[str, Any] = {"version": status_json.VERSION}
    if database:
        stats, reports, now = read_outbox_status(database)
        if as_json:
            answer.update(status_json.outbox_json(stats, reports, now))
        else:
            click.echo("\n".join(format_outbox_status(stats, reports, now)))
    if port:
        health, identity = _read_modem(port)
        if as_json:
            answer["modem"] = status_json.modem_json(port, health, identity)
        else:
            click.echo(format_health(port, health, identity))
    if as_json:
        click.echo(json.dumps(answer, indent=2, ensure_ascii=False))


def _read_modem(port: str) -> tuple[ModemHealth, SimIdentity]:
    """Signal, registration, operator, SIM state and identity of the modem on ``port``.

    Only the AT link is set up (no PIN, no waiting for the network), so this also works on a
    modem that cannot send, and says why.
    """
    modem = Modem(port)
    with modem_errors(port):
        modem.open(wait_for_service=False)
        try:
            return modem.health(), modem.sim_identity()
        finally:
            modem.close()


def format_health(port: str, health: ModemHealth, identity: SimIdentity | None = None) -> str:
    signal = f"{health.signal_dbm} dBm" if health.signal_dbm is not None else "unknown"
    return "\n".join(
        [
            f"modem:        {port}",
            f"signal:       {signal}",
            f"registration: {health.registration}",
            f"operator:     {health.operator or 'none'}",
            f"sim:          {health.sim}",
            f"imsi:         {identity.imsi if identity and identity.imsi else 'unknown'}",
            f"iccid:        {identity.iccid if identity and identity.iccid else 'unknown'}",
        ]
    )


def register(group: click.Group) -> None:
    """Add ``status`` to the gateway's command group."""
    group.add_command(status_command)

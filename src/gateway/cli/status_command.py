"""``t2m2fa-gateway status``: what the gateway's parts report.

Each source is an option (``--port DEV`` for a modem); a source added later (e.g. the outbox's
``--database URL``) is one more option and one more ``_print_...`` function here.
"""

from __future__ import annotations

import click

from gateway.cli.common import BadArguments, OneLineErrorCommand
from gateway.cli.modem_errors import modem_errors, port_option
from gateway.cli.outbox_status import database_status_option, print_outbox_status
from gateway.modem import Modem, ModemHealth


@click.command("status", cls=OneLineErrorCommand)
@port_option
@database_status_option
def status_command(port: str | None, database: str | None) -> None:
    """Print the health of a modem (--port) and of the outbox and its workers (--database)."""
    if not port and not database:
        raise BadArguments("status: give --port DEV or --database URL")
    if database:
        print_outbox_status(database)
    if port:
        _print_modem_status(port)


def _print_modem_status(port: str) -> None:
    """Signal, registration, operator and SIM of the modem on ``port``.

    Only the AT link is set up (no PIN, no waiting for the network), so this also works on a
    modem that cannot send, and says why.
    """
    modem = Modem(port)
    with modem_errors(port):
        modem.open(wait_for_service=False)
        try:
            health = modem.health()
        finally:
            modem.close()
    click.echo(format_health(port, health))


def format_health(port: str, health: ModemHealth) -> str:
    signal = f"{health.signal_dbm} dBm" if health.signal_dbm is not None else "unknown"
    return "\n".join(
        [
            f"modem:        {port}",
            f"signal:       {signal}",
            f"registration: {health.registration}",
            f"operator:     {health.operator or 'none'}",
            f"sim:          {health.sim}",
        ]
    )


def register(group: click.Group) -> None:
    """Add ``status`` to the gateway's command group."""
    group.add_command(status_command)

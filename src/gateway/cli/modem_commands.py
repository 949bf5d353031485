"""``t2m2fa-gateway send``: one SMS through a modem; also registers ``status``."""

from __future__ import annotations

import click

from gateway.cli import status_command
from gateway.cli.common import BadArguments, OneLineErrorCommand
from gateway.cli.modem_errors import modem_errors, port_option
from gateway.modem import Modem, ModemSettings
from gateway.sms_pdu import is_valid_number


def _number(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not is_valid_number(value):
        raise click.BadParameter("give digits, optionally after '+' (e.g. +32470123456)")
    return value


@click.command("send", cls=OneLineErrorCommand)
@port_option
@click.option("--pin", envvar="T2M2FA_MODEM_PIN", help="SIM PIN, if the SIM asks for one.")
@click.option("--baudrate", type=click.IntRange(min=300), default=115200, show_default=True)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for network registration.",
)
@click.argument("number", callback=_number)
@click.argument("text")
def send_command(
    port: str | None, pin: str | None, baudrate: int, wait: float, number: str, text: str
) -> None:
    """Send TEXT to NUMBER and print the network's message reference."""
    if not port:
        raise BadArguments("send: missing option '--port'")
    try:
        settings = ModemSettings(registration_timeout=wait)
        modem = Modem(port, baudrate=baudrate, pin=pin, settings=settings)
    except ValueError as exc:
        raise BadArguments(f"send: {exc}") from None
    with modem_errors(port), modem:
        reference = modem.send(number, text)
    click.echo(reference)


def register(group: click.Group) -> None:
    """Add ``send`` and ``status`` to the gateway's command group."""
    group.add_command(send_command)
    status_command.register(group)

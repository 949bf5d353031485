"""``t2m2fa-gateway fake-modem`` and ``t2m2fa-gateway inbox``: the loopback modem for demos.

Run ``fake-modem`` in one terminal (it prints the device to give ``send --port``) and
``inbox`` in another; both default to the same state directory. With ``--tcp PORT`` the modem
is reached over the network, as behind a serial device server: ``socket://127.0.0.1:PORT``.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from gateway.cli.common import BadArguments, OneLineErrorCommand
from gateway.fake import REGISTRATIONS, DeliveredMessage, FakeModem, Faults, Inbox

DEFAULT_STATE_DIR = Path("var/fake-modem")
DEVICE_FILE = "device"

_state_option = click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    envvar="T2M2FA_FAKE_MODEM_STATE",
    help="Directory holding the inbox (shared by fake-modem and inbox).",
)


@click.command("fake-modem", cls=OneLineErrorCommand)
@_state_option
@click.option("--pin", help="SIM PIN the modem asks for (none by default).")
@click.option("--puk", default="12345678", show_default=True, help="SIM PUK.")
@click.option(
    "--sim-busy",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Seconds of SIM busy after the PIN.",
)
@click.option(
    "--send-delay",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Network delay per send, in seconds.",
)
@click.option(
    "--registration", type=click.Choice(sorted(REGISTRATIONS)), default="home", show_default=True
)
@click.option("--smsc", default=Faults().smsc, show_default=True, help="The SIM's SMS centre.")
@click.option("--no-smsc", is_flag=True, help="No SMS centre: sends fail with +CMS ERROR: 330.")
@click.option(
    "--fail-next",
    "fail_codes",
    type=click.IntRange(1, 1023),
    multiple=True,
    metavar="CODE",
    help="Answer the next send with +CMS ERROR: CODE (repeat for more sends).",
)
@click.option(
    "--signal",
    "rssi",
    type=click.IntRange(0, 99),
    default=20,
    show_default=True,
    help="AT+CSQ rssi (0-31, 99 unknown).",
)
@click.option("--operator", default="FakeNet", show_default=True)
@click.option("--prompt-without-space", is_flag=True, help="Prompt '>' without the space.")
@click.option("--cmgs-with-scts", is_flag=True, help='Answer +CMGS: <mr>,"<scts>".')
@click.option("--urc-during-send", is_flag=True, help="A +CDSI line between submit and +CMGS.")
@click.option("--status-reports", is_flag=True, help="Report delivery as AT+CNMI asks.")
@click.option("--name", help="Modem name recorded with each message (default: the device).")
@click.option(
    "--tcp",
    "tcp_port",
    type=click.IntRange(0, 65535),
    metavar="PORT",
    help="Listen on 127.0.0.1:PORT (0: any free port) instead of a pty; prints socket://...",
)
@click.option("--radio-off", is_flag=True, help="Radio off at power-up (+CFUN: 0) until AT+CFUN=1.")
@click.option("--cpin-without-ok", is_flag=True, help="Answer AT+CPIN? without a final OK.")
@click.option("--csmp-wipes-smsc", is_flag=True, help='AT+CSMP= wipes the SMSC (+CSCA: "+").')
@click.option(
    "--status-urcs", is_flag=True, help="ZTE/Huawei status lines around the prompt and +CMGS."
)
@click.option(
    "--cmti-during-send", is_flag=True, help="An SMS arrives (+CMTI) inside each AT+CMGS."
)
@click.option(
    "--storage-full", is_flag=True, help="SIM storage full: sends fail with +CMS ERROR: 322."
)
@click.option("--mute", is_flag=True, help="A hung modem: reads commands, answers nothing.")
@click.option(
    "--autobaud",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Autobauding modem: the first N command lines get no answer, boot lines follow.",
)
def fake_modem_command(
    state_dir: Path,
    name: str | None,
    no_smsc: bool,
    tcp_port: int | None,
    radio_off: bool,
    status_urcs: bool,
    **options: Any,
) -> None:
    """Run the loopback modem: print its device path (or URL), serve until interrupted."""
    faults = _faults(no_smsc=no_smsc, **options)
    faults.cfun_at_boot = 0 if radio_off else 1
    faults.status_urcs_in_send = status_urcs
    modem = FakeModem(state_dir, faults, name=name, tcp_port=tcp_port)
    with _stop_signals() as stop:  # installed before the path is printed: no window to die in
        try:
            device = modem.start()
            (state_dir / DEVICE_FILE).write_text(device + "\n")
        except OSError as exc:
            modem.stop()
            raise click.ClickException(f"cannot start the loopback modem: {exc}") from None
        click.echo(device)
        sys.stdout.flush()
        click.echo(f"loopback modem on {device}; inbox in {state_dir}; Ctrl-C stops it", err=True)
        try:
            stop.wait()
        finally:
            modem.stop()


def _faults(
    *,
    no_smsc: bool,
    fail_codes: Sequence[int],
    rssi: int,
    sim_busy: float,
    smsc: str,
    **options: Any,
) -> Faults:
    if rssi > 31 and rssi != 99:
        raise BadArguments("fake-modem: --signal must be 0-31 or 99")
    return Faults(
        smsc=None if no_smsc else smsc,
        send_errors=list(fail_codes),
        signal_rssi=rssi,
        sim_busy_after_pin=sim_busy,
        **options,
    )


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, while the block runs."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@click.command("inbox", cls=OneLineErrorCommand)
@_state_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--full-numbers", is_flag=True, help="Show destinations unmasked.")
@click.option("--clear", is_flag=True, help="Empty the inbox instead of showing it.")
def inbox_command(state_dir: Path, as_json: bool, full_numbers: bool, clear: bool) -> None:
    """Show what the loopback modem delivered, oldest first."""
    inbox = Inbox(state_dir)
    try:
        if clear:
            inbox.clear()
            return
        messages = inbox.messages()
    except Exception as exc:  # a corrupt or unreadable file: say so in one line
        raise click.ClickException(f"cannot read the inbox in {state_dir}: {exc}") from None
    if not messages:
        click.echo(f"no messages in {state_dir}", err=True)
    for message in messages:
        click.echo(_format(message, as_json=as_json, full_numbers=full_numbers))


def _format(message: DeliveredMessage, *, as_json: bool, full_numbers: bool) -> str:
    to = message.to if full_numbers else mask_number(message.to)
    if as_json:
        validity = message.validity.total_seconds() if message.validity is not None else None
        return json.dumps(
            {
                "to": to,
                "text": message.text,
                "received_at": message.received_at.isoformat(),
                "reference": message.reference,
                "encoding": message.encoding,
                "validity_seconds": validity,
                "status_report_requested": message.status_report_requested,
                "modem": message.modem,
                "segments": message.segments,
            },
            ensure_ascii=False,
        )
    when = message.received_at.strftime("%Y-%m-%d %H:%M:%SZ")
    sms = f"{message.encoding} ×{message.segments}" if message.segments > 1 else message.encoding
    return f"{when}  {to}  ref {message.reference}  {sms}  {message.text}"


def mask_number(number: str) -> str:
    """Keep the last two digits only (``+32470123456`` -> ``+•••56``), as the outbox does."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return ("+" if number.startswith("+") else "") + "•••" + digits[-2:]


def register(group: click.Group) -> None:
    """Add ``fake-modem`` and ``inbox`` to the gateway's command group."""
    group.add_command(fake_modem_command)
    group.add_command(inbox_command)

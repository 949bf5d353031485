"""What the modem commands share: the ``--port`` option and gateway errors as one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from gateway.errors import GatewayError, SendError

port_option = click.option(
    "--port",
    metavar="DEV",
    envvar="T2M2FA_MODEM_PORT",
    help="Serial device of the modem (e.g. /dev/serial/by-id/..., or fake-modem's device), "
    "or a pyserial URL: rfc2217://HOST:PORT, socket://HOST:PORT.",
)


class ModemCommandError(click.ClickException):
    """A modem or send failure: ``Error: ...`` on one line, exit status 1."""


@contextmanager
def modem_errors(port: str) -> Iterator[None]:
    """Turn gateway errors into a one-line message (never a traceback)."""
    try:
        yield
    except SendError as exc:
        code = f", +CMS ERROR: {exc.cms_code}" if exc.cms_code is not None else ""
        raise ModemCommandError(f"send failed ({exc.outcome.value}{code}): {exc}") from None
    except GatewayError as exc:
        raise ModemCommandError(f"{port}: {exc} ({type(exc).__name__})") from None

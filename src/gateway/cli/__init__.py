"""``t2m2fa-gateway``: the gateway's command line.

Each concern registers its commands from its own module; errors end in a one-line message and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import click

from gateway.cli import (
    fake_commands,
    key_commands,
    modem_commands,
    received_command,
    worker_commands,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Send SMS through GSM modems, and run the loopback modem for tests and demos."""


for _module in (fake_commands, key_commands, modem_commands, received_command, worker_commands):
    _module.register(main)

"""``t2m2fa-gateway``: the gateway's command line.

Each concern registers its commands from its own module; errors end in a one-line message and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import importlib

import click

# Modules that add commands to ``main``; each defines ``register(group)``.
_COMMAND_MODULES = ("gateway.cli.fake_commands", "gateway.cli.modem_commands",
                    "gateway.cli.worker_commands")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Send SMS through GSM modems, and run the loopback modem for tests and demos."""


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not a module still to be written
                raise
            continue
        module.register(main)


_register_all()

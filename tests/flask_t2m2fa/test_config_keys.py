"""Every ``T2M2FA_*`` name in the source is a key of config.py's table or a gateway variable.

The manual's configuration page is generated from :data:`flask_t2m2fa.config.KEYS`; a key read
(or named in a message) anywhere else would be missing from it. The gateway's command line reads
its own environment variables (click ``envvar``): the manual's CLI reference lists those.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click

from flask_t2m2fa import config
from gateway.cli import main as gateway_cli

SRC = Path(__file__).resolve().parents[2] / "src"
NAME = re.compile(r"T2M2FA_[A-Z0-9_]+")


def _names_in_source() -> dict[str, list[str]]:
    """Each ``T2M2FA_*`` name in a string of src/ (a trailing ``_`` is a prefix: skipped)."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for name in NAME.findall(node.value):
                    if not name.endswith("_"):
                        found.setdefault(name, []).append(str(path.relative_to(SRC)))
    return found


def _commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for child in command.commands.values():
            yield from _commands(child)


from gateway.worker.hooks import HOOK_ENVIRONMENT  # noqa: E402 - what hooks are given


def gateway_environment() -> set[str]:
    """The environment variables the gateway's commands read."""
    names: set[str] = set()
    for command in _commands(gateway_cli):
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
    return names


def test_every_key_read_in_the_source_is_in_the_table() -> None:
    known = set(config.KEYS) | gateway_environment() | HOOK_ENVIRONMENT
    unknown = {name: where for name, where in _names_in_source().items() if name not in known}
    assert unknown == {}, "add these keys to config.KEYS (default, bounds, meaning)"


def test_every_key_of_the_table_is_read_outside_it() -> None:
    """A key that no module reads is a dead line of the manual."""
    read = {
        name
        for name, where in _names_in_source().items()
        if any(path != "flask_t2m2fa/config.py" for path in where)
    }
    # load() reads most of them by name; purge reads the retention windows by config.RETENTION.
    load_source = (SRC / "flask_t2m2fa/config.py").read_text().split("def load(", 1)[1]
    read |= {name for name in config.KEYS if f'"{name}"' in load_source}
    read |= set(config.RETENTION)
    assert set(config.KEYS) - read == set()


def test_every_key_has_a_meaning_and_bounds_in_order() -> None:
    for name, key in config.KEYS.items():
        assert key.meaning.endswith("."), name
        if key.low is not None and key.high is not None:
            assert key.low <= key.high, name
        if key.default is not None and key.low is not None:
            assert key.low <= key.default, name

"""``t2m2fa-gateway outbox-key``: make outbox keys, rotate them; the ``--key-file`` option.

The outbox stores each message's destination and text encrypted (``gateway.outbox.sealing``);
the web app and the worker hold the same key file, current key first.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import sqlalchemy as sa

from gateway.cli.common import BadArguments, OneLineErrorCommand
from gateway.outbox import Outbox, OutboxKeyError, OutboxKeys, new_key_text
from gateway.outbox.rekeying import reseal_waiting

KEY_FILE_ENV = "T2M2FA_OUTBOX_KEY_FILE"

key_file_option = click.option(
    "--key-file",
    envvar=KEY_FILE_ENV,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help=f"Outbox key file: base64 keys, one a line, current first [env {KEY_FILE_ENV}]",
)


def load_keys(key_file: Path | None) -> OutboxKeys:
    """The keys of ``--key-file``; a one-line error when none is given or it is unusable."""
    if key_file is None:
        raise BadArguments(
            f"no outbox key: give --key-file PATH or set {KEY_FILE_ENV} "
            "(make one with `t2m2fa-gateway outbox-key new --key-file PATH`)"
        )
    try:
        return OutboxKeys.from_file(key_file)
    except OutboxKeyError as exc:
        raise BadArguments(str(exc)) from None


def add_key(path: Path) -> str:
    """Put a new key first in ``path`` (created with mode 0600); return the new key's id."""
    line = new_key_text()
    old = path.read_text(encoding="ascii") if path.exists() else ""
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(f"{line}\n{old}")
    os.replace(temporary, path)
    return OutboxKeys.from_text(line).current_id


@click.group("outbox-key")
def key_group() -> None:
    """Make and rotate the keys that encrypt queued messages."""


@key_group.command("new", cls=OneLineErrorCommand)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), required=True)
def new_command(key_file: Path) -> None:
    """Add a new current key at the top of the key file (old keys stay, to open old rows).

    Rotation: give the worker the new file and restart it, then the web app; run ``rekey``;
    then remove the old line.
    """
    try:
        kid = add_key(key_file)
    except OSError as exc:
        raise click.ClickException(f"cannot write {key_file}: {exc.strerror}") from None
    click.echo(f"new outbox key {kid} is now current in {key_file}")


@key_group.command("rekey", cls=OneLineErrorCommand)
@click.option("--database", required=True, envvar="T2M2FA_GATEWAY_DATABASE", metavar="URL")
@key_file_option
def rekey_command(database: str, key_file: Path | None) -> None:
    """Re-encrypt waiting messages under the current key, so older keys can be removed."""
    keys = load_keys(key_file)
    try:
        outbox = Outbox(database, keys=keys)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise click.BadParameter(str(exc), param_hint="--database") from None
    try:
        done = reseal_waiting(outbox.engine, keys)
    except sa.exc.OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc.orig}") from None
    finally:
        outbox.engine.dispose()
    click.echo(f"re-encrypted {done.resealed} message(s) under key {keys.current_id}")
    if done.unopenable:
        raise click.ClickException(f"{done.unopenable} message(s) sealed with a key not given")


def register(group: click.Group) -> None:
    """Add ``outbox-key`` to the gateway's command group."""
    group.add_command(key_group)

"""``t2m2fa-gateway inbox-received``: the SMS the modems received, newest first."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa

from gateway.cli.common import OneLineErrorCommand
from gateway.cli.key_commands import key_file_option
from gateway.outbox import Outbox, OutboxKeyError, OutboxKeys, ReceivedMessage


@click.command("inbox-received", cls=OneLineErrorCommand)
@click.option(
    "--database",
    required=True,
    envvar="T2M2FA_GATEWAY_DATABASE",
    metavar="URL",
    help="The outbox database [env T2M2FA_GATEWAY_DATABASE].",
)
@key_file_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def inbox_received_command(database: str, key_file: Path | None, limit: int, as_json: bool) -> None:
    """Show the SMS the modems received (replies, operator messages), newest first.

    Senders are masked; the text is shown only with the outbox key file.
    """
    keys = _keys(key_file)
    try:
        outbox = Outbox(database, keys=keys)
        try:
            outbox.create_schema()  # a database older than received messages gains the table
            messages = outbox.received(limit=limit)
        finally:
            outbox.engine.dispose()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise click.BadParameter(str(exc), param_hint="--database") from None
    except sa.exc.OperationalError as exc:
        raise click.ClickException(f"cannot read the outbox: {exc.orig}") from None
    if not messages:
        click.echo("no received SMS", err=True)
    for message in messages:
        click.echo(_format(message, as_json=as_json))


def _keys(key_file: Path | None) -> OutboxKeys | None:
    if key_file is None:
        return None
    try:
        return OutboxKeys.from_file(key_file)
    except OutboxKeyError as exc:
        raise click.BadParameter(str(exc), param_hint="--key-file") from None


def _format(message: ReceivedMessage, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "id": message.id,
                "received_at": message.received_at.isoformat(),
                "modem": message.modem,
                "from": message.sender_masked,
                "sender_digest": message.sender_digest,
                "segments": message.segments,
                "text": message.text,
            },
            ensure_ascii=False,
        )
    when = message.received_at.strftime("%Y-%m-%d %H:%M:%SZ")
    text = message.text if message.text is not None else "(sealed: give --key-file)"
    return f"{when}  {message.sender_masked}  {message.modem}  {text}"


def register(group: click.Group) -> None:
    group.add_command(inbox_received_command)

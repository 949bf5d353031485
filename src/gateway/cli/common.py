"""What every gateway command shares: usage errors on one line, never click's usage block."""

from __future__ import annotations

import click


class BadArguments(click.ClickException):
    """Arguments found wrong (by click or once parsed): one line, exit status 2."""

    exit_code = 2


class OneLineErrorCommand(click.Command):
    """A command whose bad arguments give one line, not click's usage block."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise BadArguments(f"{self.name}: {exc.format_message()}") from None

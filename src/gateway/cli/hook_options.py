"""``run``'s operator hooks: ``--on-stuck``, ``--on-alert``, ``--on-received`` and their
thresholds. What each command receives is in docs/gateway-field.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import click

from gateway.worker.hooks import Hooks
from gateway.worker.stuck import StuckPolicy

F = TypeVar("F", bound=Callable[..., object])

_DEFAULT_STUCK = StuckPolicy()


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


def hook_options(fn: F) -> F:
    """Add the hook commands and thresholds to ``run``."""
    options = [
        click.option(
            "--on-stuck",
            metavar="COMMAND",
            help="Shell command run when a modem is stuck (e.g. a uhubctl power cycle); "
            "T2M2FA_MODEM, T2M2FA_MODEM_PORT, T2M2FA_STUCK_REASON in its environment.",
        ),
        click.option(
            "--on-alert",
            metavar="COMMAND",
            help="Shell command that pages someone: T2M2FA_ALERT (modem_stuck, sim_locked, "
            "no_registration, queue_stale), T2M2FA_MODEM, T2M2FA_ALERT_DETAIL.",
        ),
        click.option(
            "--on-received",
            metavar="COMMAND",
            help="Shell command run for each received SMS (its text on standard input).",
        ),
        click.option(
            "--stuck-after-failures",
            type=click.IntRange(min=1),
            default=_DEFAULT_STUCK.after_failures,
            show_default=True,
            metavar="K",
            help="Failed reopen attempts in a row that make a modem stuck.",
        ),
        click.option(
            "--stuck-after",
            type=click.FloatRange(min=1),
            default=_seconds(_DEFAULT_STUCK.no_send_for),
            show_default=True,
            metavar="SECONDS",
            help="Time without a successful send, while messages wait, that makes it stuck.",
        ),
        click.option(
            "--hook-window",
            type=click.FloatRange(min=1),
            default=_seconds(_DEFAULT_STUCK.window),
            show_default=True,
            metavar="SECONDS",
            help="--on-stuck and each --on-alert condition run at most once per window.",
        ),
        click.option(
            "--alert-no-registration",
            type=click.FloatRange(min=1),
            default=600.0,
            show_default=True,
            metavar="SECONDS",
            help="Alert when a modem stays unregistered this long.",
        ),
        click.option(
            "--alert-queue-age",
            type=click.FloatRange(min=1),
            default=300.0,
            show_default=True,
            metavar="SECONDS",
            help="Alert when a message has been queued this long (default: a code's lifetime).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def hooks_of(on_stuck: str | None, on_alert: str | None, window: float) -> Hooks:
    return Hooks(on_stuck=on_stuck, on_alert=on_alert, window=timedelta(seconds=window))


def stuck_policy(failures: int, after: float, window: float) -> StuckPolicy:
    return StuckPolicy(
        after_failures=failures,
        no_send_for=timedelta(seconds=after),
        window=timedelta(seconds=window),
    )

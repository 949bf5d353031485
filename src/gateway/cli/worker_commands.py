"""``t2m2fa-gateway run``: the gateway worker, sending the outbox through its modems."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import click
import sqlalchemy as sa

from gateway.cli.common import OneLineErrorCommand
from gateway.cli.fake_commands import DEFAULT_STATE_DIR
from gateway.cli.hook_options import hook_options, hooks_of, stuck_policy
from gateway.cli.key_commands import key_file_option, load_keys
from gateway.cli.metrics_option import metrics_options, served_metrics
from gateway.cli.report_options import delivery_report_options, report_config
from gateway.cli.worker_modems import loopback_modems, serial_modems
from gateway.modem import ModemSettings
from gateway.outbox import Outbox, OutboxKeys, RetryPolicy
from gateway.worker import ModemSpec, SimCaps, SlotConfig, Worker, WorkerConfig
from gateway.worker.hooks import received_command

database_option = click.option(
    "--database",
    required=True,
    envvar="T2M2FA_GATEWAY_DATABASE",
    metavar="URL",
    help="SQLAlchemy URL of the outbox: sqlite:///path or postgresql+psycopg://... "
    "[env T2M2FA_GATEWAY_DATABASE]",
)


class NeedsOperatorError(click.ClickException):
    """Exit status 3: restarting cannot help (a service manager should not retry).

    Restarting after a refused PIN would send it again: three tries lock the SIM.
    """

    exit_code = 3


def _cap(value: int) -> int | None:
    return value or None


@click.command("run", cls=OneLineErrorCommand)
@database_option
@key_file_option
@click.option(
    "--modem",
    "ports",
    multiple=True,
    metavar="DEV",
    help="Serial device or pyserial URL (rfc2217://HOST:PORT, socket://HOST:PORT); repeatable.",
)
@click.option(
    "--pin",
    envvar="T2M2FA_GATEWAY_PIN",
    help="SIM PIN; prefer the environment variable T2M2FA_GATEWAY_PIN (argv is public).",
)
@click.option("--fake", type=click.IntRange(0, 16), default=0, help="Run N loopback modems.")
@click.option(
    "--fake-state",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help="Inbox directory of the loopback modems (read it with `inbox`).",
)
@click.option(
    "--fake-send-delay",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Network delay of each loopback send.",
)
@click.option(
    "--cap-per-minute",
    type=click.IntRange(min=0),
    default=SimCaps().per_minute,
    show_default=True,
    help="Messages per SIM per minute. 0: no cap.",
)
@click.option(
    "--cap-per-day",
    type=click.IntRange(min=0),
    default=SimCaps().per_day,
    show_default=True,
    help="Messages per SIM per 24 h. 0: no cap.",
)
@click.option(
    "--cap-recipients-per-day",
    type=click.IntRange(min=0),
    default=SimCaps().recipients_per_day,
    show_default=True,
    help="Distinct recipients per SIM per 24 h (operators bar SIMs above ~300). 0: no cap.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=RetryPolicy().max_attempts,
    show_default=True,
    help="Sends tried per message when the network refuses it temporarily.",
)
@click.option(
    "--send-timeout",
    type=click.FloatRange(min=1),
    default=ModemSettings().send_timeout,
    show_default=True,
    help="Seconds to wait for the network's answer to a send (vendors: up to 120).",
)
@metrics_options
@delivery_report_options
@hook_options
@click.option("--log-level", default="INFO", show_default=True)
def run_command(
    database: str,
    key_file: Path | None,
    ports: tuple[str, ...],
    pin: str | None,
    fake: int,
    fake_state: Path,
    fake_send_delay: float,
    cap_per_minute: int,
    cap_per_day: int,
    cap_recipients_per_day: int,
    max_attempts: int,
    send_timeout: float,
    metrics_port: int | None,
    metrics_host: str,
    delivery_reports: frozenset[str],
    delivery_report_window: float,
    log_level: str,
    **hook_settings: Any,
) -> None:
    """Send queued SMS through the modems until SIGTERM (which finishes the send in flight)."""
    if not ports and not fake:
        raise click.UsageError("give at least one --modem DEV, or --fake N")
    keys = load_keys(key_file)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = ModemSettings(send_timeout=send_timeout, delivery_report=bool(delivery_reports))
    caps = SimCaps(_cap(cap_per_minute), _cap(cap_per_day), _cap(cap_recipients_per_day))
    # The lease outlives the slowest send, so a live worker never loses a message it is sending.
    lease = timedelta(seconds=send_timeout + 4 * settings.command_timeout)
    reports = report_config(delivery_reports, delivery_report_window)
    on_received = hook_settings.pop("on_received")
    config = _worker_config(SlotConfig(lease=lease, caps=caps, reports=reports), **hook_settings)
    outbox = _open_outbox(database, keys, RetryPolicy(max_attempts=max_attempts))
    with ExitStack() as stack:
        metrics = stack.enter_context(served_metrics(outbox, metrics_host, metrics_port))
        modems: list[ModemSpec] = serial_modems(ports, pin=pin, settings=settings)
        if fake:
            loopbacks = loopback_modems(
                fake, fake_state, send_delay=fake_send_delay, settings=settings
            )
            modems += stack.enter_context(loopbacks)
            click.echo(f"{fake} loopback modem(s); inbox in {fake_state}", err=True)
        hook = received_command(on_received, config.hooks.timeout) if on_received else None
        worker = Worker(outbox, modems, config=config, observer=metrics, on_received=hook)
        if metrics is not None:
            metrics.watch(lambda: worker.slots, caps)
        with _stop_on_signals(worker):
            ok = worker.run()
    outbox.engine.dispose()
    if not ok:
        raise NeedsOperatorError("every modem needs an operator (PIN, PUK or SIM); see the log")


def _worker_config(
    slot: SlotConfig,
    *,
    on_stuck: str | None,
    on_alert: str | None,
    stuck_after_failures: int,
    stuck_after: float,
    hook_window: float,
    alert_no_registration: float,
    alert_queue_age: float,
) -> WorkerConfig:
    """The worker's settings with the operator hooks and their thresholds."""
    slot = replace(
        slot,
        stuck=stuck_policy(stuck_after_failures, stuck_after, hook_window),
        no_registration_for=timedelta(seconds=alert_no_registration),
    )
    return WorkerConfig(
        slot=slot,
        hooks=hooks_of(on_stuck, on_alert, hook_window),
        queue_alert_after=timedelta(seconds=alert_queue_age),
    )


def _open_outbox(database: str, keys: OutboxKeys, policy: RetryPolicy) -> Outbox:
    try:
        outbox = Outbox(database, keys=keys, policy=policy)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise click.BadParameter(str(exc), param_hint="--database") from None
    try:
        outbox.create_schema()
    except sa.exc.OperationalError as exc:
        outbox.engine.dispose()
        raise click.ClickException(f"cannot reach the database: {exc.orig}") from None
    return outbox


@contextmanager
def _stop_on_signals(worker: Worker) -> Iterator[None]:
    """SIGTERM and SIGINT stop the worker after the message in flight."""

    def handler(signum: int, frame: FrameType | None) -> None:
        worker.stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def register(group: click.Group) -> None:
    """Add ``run`` to the gateway's command group."""
    group.add_command(run_command)

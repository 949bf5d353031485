"""``run``'s delivery-report options: which message kinds ask for a report, and how long for."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import click

from gateway.outbox import DEFAULT_REPORT_WINDOW
from gateway.worker.reports import ReportConfig

F = TypeVar("F", bound=Callable[..., object])

_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _kinds(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str]:
    kinds = frozenset(k.strip() for k in (value or "").split(",") if k.strip())
    bad = sorted(k for k in kinds if not _KIND.fullmatch(k))
    if bad:
        raise click.BadParameter(f"not a message kind: {', '.join(bad)}")
    return kinds


def delivery_report_options(fn: F) -> F:
    """Add ``--delivery-reports KINDS`` and ``--delivery-report-window MINUTES``."""
    fn = click.option(
        "--delivery-report-window",
        type=click.FloatRange(min=1),
        default=DEFAULT_REPORT_WINDOW.total_seconds() / 60,
        show_default=True,
        metavar="MINUTES",
        help="How long a status report is waited for; then the message has 'no report'.",
    )(fn)
    return click.option(
        "--delivery-reports",
        callback=_kinds,
        metavar="KINDS",
        help="Message kinds sent with a status report request, e.g. code,notice "
        "(operators may charge for reports). Default: none.",
    )(fn)


def report_config(kinds: frozenset[str], window_minutes: float) -> ReportConfig:
    return ReportConfig(kinds=kinds, window=timedelta(minutes=window_minutes))

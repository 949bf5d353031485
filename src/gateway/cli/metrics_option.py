"""``run --metrics-port N [--metrics-host H]``: the worker's Prometheus endpoint.

``prometheus_client`` is imported only when the option is given: it is the optional
``metrics`` extra, and a worker without metrics does not need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from gateway.outbox import Outbox

if TYPE_CHECKING:
    from gateway.metrics import GatewayMetrics

F = Callable[..., Any]


def metrics_options(command: F) -> F:
    """Add ``--metrics-port`` and ``--metrics-host`` to ``command``."""
    command = click.option(
        "--metrics-host",
        default="127.0.0.1",
        show_default=True,
        help="Address the metrics endpoint listens on (the metrics name modems, not people).",
    )(command)
    return click.option(
        "--metrics-port",
        type=click.IntRange(0, 65535),
        metavar="N",
        help="Serve Prometheus metrics at http://HOST:N/metrics (0: any free port).",
    )(command)


@contextmanager
def served_metrics(outbox: Outbox, host: str, port: int | None) -> Iterator[GatewayMetrics | None]:
    """The worker's metrics served on ``host:port`` while the block runs; None without a port."""
    if port is None:
        yield None
        return
    try:
        from gateway.metrics import GatewayMetrics, MetricsServer
    except ImportError:
        raise click.ClickException(
            "--metrics-port needs prometheus_client: pip install 'flask-t2m2fa[metrics]'"
        ) from None
    metrics = GatewayMetrics(outbox)
    try:
        server = MetricsServer(metrics.registry, host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot serve metrics on {host}:{port}: {exc}") from None
    click.echo(f"metrics on {server.url}", err=True)
    try:
        yield metrics
    finally:
        server.close()

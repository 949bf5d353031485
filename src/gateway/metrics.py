"""Prometheus metrics of one gateway worker (``t2m2fa-gateway run --metrics-port N``).

Each worker has its own :class:`~prometheus_client.CollectorRegistry`, never the library's
global one: two workers (or two tests) in one process do not share counters. Send counters
and the latency histogram are updated by the modem threads (:class:`SendObserver`); queue
figures and each modem's state are read when Prometheus scrapes, so an idle worker does no
work for them. Needs the ``metrics`` extra (``pip install flask-t2m2fa[metrics]``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from wsgiref.simple_server import WSGIServer

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric

from gateway.outbox import Outbox, queue_depth
from gateway.registration import REGISTERED_NAMES
from gateway.sim_identity import mask_identifier
from gateway.worker import ModemSlot, SimCaps

log = logging.getLogger("gateway.metrics")

#: Seconds: a send takes 1-5 s on a good network, up to the 120 s vendors allow.
SEND_BUCKETS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
#: The states :class:`gateway.worker.slot_report.SlotReporter` reports.
MODEM_STATES = ("starting", "opening", "ready", "sending", "cooldown", "capped", "stopped")
CAPS = ("per_minute", "per_day", "recipients_per_day")


class GatewayMetrics:
    """The metrics of one worker; pass it as the worker's ``observer``.

    :param outbox: queried at each scrape for queue depth and the oldest queued age.
    :param registry: defaults to a fresh, private registry.
    """

    def __init__(self, outbox: Outbox, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._sends = Counter(
            "gateway_sends_total",
            "Sends by modem and outcome (sent, temporary, permanent, unknown).",
            ["modem", "outcome"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "gateway_send_duration_seconds",
            "Time from handing a message to the modem to the network's answer.",
            ["modem"],
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self._reports = Counter(
            "gateway_delivery_reports_total",
            "Delivery reports by outcome (delivered, not_delivered, none, ...).",
            ["outcome"],
            registry=self.registry,
        )
        self._received = Counter(
            "gateway_received_total",
            "SMS received by each modem (read off the SIM and stored).",
            ["modem"],
            registry=self.registry,
        )
        self._stuck = Counter(
            "gateway_modem_stuck_total",
            "Times a modem was found stuck and its --on-stuck command ran.",
            ["modem"],
            registry=self.registry,
        )
        self._alerts = Counter(
            "gateway_alerts_total",
            "Alerts raised, by condition (modem_stuck, sim_locked, no_registration, queue_stale).",
            ["condition"],
            registry=self.registry,
        )
        self.registry.register(OutboxCollector(outbox))

    def watch(self, slots: Callable[[], Sequence[ModemSlot]], caps: SimCaps) -> None:
        """Report each modem of ``slots()`` (read at scrape time) and its use of ``caps``."""
        self.registry.register(ModemCollector(slots, caps))

    def send_finished(self, modem: str, outcome: str, seconds: float) -> None:
        self._sends.labels(modem=modem, outcome=outcome).inc()
        self._latency.labels(modem=modem).observe(seconds)

    def delivery_report(self, outcome: str) -> None:
        self._reports.labels(outcome=outcome).inc()

    def message_received(self, modem: str) -> None:
        self._received.labels(modem=modem).inc()

    def modem_stuck(self, modem: str) -> None:
        self._stuck.labels(modem=modem).inc()

    def alert(self, condition: str) -> None:
        self._alerts.labels(condition=condition).inc()


class OutboxCollector:
    """Queue depth by waiting state and the oldest queued message's age, read at scrape time."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "gateway_outbox_up", "1 when the last scrape could read the outbox database."
        )
        try:
            depth = queue_depth(self._outbox.engine, self._outbox.clock())
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            log.debug("metrics: outbox unreadable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        messages = GaugeMetricFamily(
            "gateway_outbox_messages", "Messages waiting, by state (capped).", labels=["state"]
        )
        for state, count in depth.counts.items():
            messages.add_metric([state.value], count)
        oldest = GaugeMetricFamily(
            "gateway_outbox_oldest_queued_age_seconds",
            "Age of the oldest queued message; 0 when none is queued.",
        )
        age = depth.oldest_queued_age
        oldest.add_metric([], 0.0 if age is None else age.total_seconds())
        return [up, messages, oldest]


class ModemCollector:
    """Each modem's state, signal, registration, SIM and cap use, as its thread last saw them."""

    def __init__(self, slots: Callable[[], Sequence[ModemSlot]], caps: SimCaps) -> None:
        self._slots = slots
        self._caps = caps

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        families = _modem_families()
        state, signal, registered, sim_ready, info, used, limit, stored, size = families
        for slot in self._slots():
            report, name = slot.report, slot.name
            for value in sorted({*MODEM_STATES, report.state}):
                state.add_metric([name, value], int(value == report.state))
            if report.signal_dbm is not None:
                signal.add_metric([name], report.signal_dbm)
            if report.registration is not None:
                registered.add_metric([name], int(report.registration in REGISTERED_NAMES))
            if report.sim_state is not None:
                sim_ready.add_metric([name], int(report.sim_state == "ready"))
            sim = report.sim
            info.add_metric(
                [
                    name,
                    _masked(sim.imsi),
                    _masked(sim.iccid),
                    report.registration or "",
                    report.sim_state or "",
                ],
                1,
            )
            storage = slot.received.storage
            if storage is not None:
                stored.add_metric([name], storage.used)
                size.add_metric([name], storage.total)
            use = slot.sim.use
            for cap in CAPS:
                used.add_metric([name, cap], getattr(use, cap))
                cap_limit = getattr(self._caps, cap)
                if cap_limit is not None:
                    limit.add_metric([name, cap], cap_limit)
        return families


def _modem_families() -> list[GaugeMetricFamily]:
    def gauge(name: str, doc: str, *labels: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, labels=["modem", *labels])

    return [
        gauge("gateway_modem_state", "1 for the modem thread's current state.", "state"),
        gauge("gateway_modem_signal_dbm", "Received signal strength (absent when unknown)."),
        gauge("gateway_modem_registered", "1 when registered on a network (home, roaming...)."),
        gauge("gateway_modem_sim_ready", "1 when the SIM is ready (no PIN/PUK needed, present)."),
        gauge(
            "gateway_modem_info",
            "The modem's SIM (masked) and last registration and SIM state words.",
            "imsi",
            "iccid",
            "registration",
            "sim_state",
        ),
        gauge("gateway_sim_cap_used", "Sends (or recipients) the SIM used of each cap.", "cap"),
        gauge("gateway_sim_cap_limit", "Each cap's limit (absent when uncapped).", "cap"),
        gauge("gateway_modem_sms_storage_used", "SMS in the SIM storage (AT+CPMS?), last read."),
        gauge("gateway_modem_sms_storage_size", "SMS the SIM storage holds (AT+CPMS?)."),
    ]


def _masked(value: str | None) -> str:
    return mask_identifier(value) if value else ""


class MetricsServer:
    """``/metrics`` over HTTP from a daemon thread; :meth:`close` stops it."""

    def __init__(self, registry: CollectorRegistry, host: str = "127.0.0.1", port: int = 0) -> None:
        server, thread = start_http_server(port, addr=host, registry=registry)
        self._server: WSGIServer = server
        self._thread: threading.Thread = thread
        self.host = host
        self.port = int(server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

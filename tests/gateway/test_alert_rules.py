"""The example Prometheus alert rules name only metrics a running worker exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client.core import Metric

from doubles import OUTBOX_KEYS, eventually
from gateway.fake import FakeModem
from gateway.metrics import GatewayMetrics
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox
from gateway.worker import ModemSpec, Sender, SimCaps, SlotConfig, Worker, WorkerConfig

RULES = Path(__file__).resolve().parents[2] / "docs" / "gateway-alerts.yml"
_METRIC = re.compile(r"\bgateway_[a-z_]+\b")


def exported_names(families: list[Metric]) -> set[str]:
    """Every name a scrape can show: families and their samples' suffixed names."""
    names = set()
    for family in families:
        names.add(family.name)
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
        names.update(family.name + s for s in suffixes.get(family.type, []))
    return names


def test_every_metric_the_rules_name_exists(tmp_path: Path, fake_modem: FakeModem) -> None:
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    named = {name for rule in rules for name in _METRIC.findall(rule["expr"])}
    assert len(rules) >= 8 and "gateway_modem_stuck_total" in named

    outbox = Outbox(f"sqlite:///{tmp_path / 'outbox.db'}", keys=OUTBOX_KEYS)
    outbox.create_schema()
    metrics = GatewayMetrics(outbox)
    settings = ModemSettings(registration_timeout=2.0, command_timeout=1.0)

    def factory() -> Sender:
        return Modem(fake_modem.device, settings=settings)

    caps = SimCaps(per_minute=None, per_day=None, recipients_per_day=None)
    config = WorkerConfig(slot=SlotConfig(idle_poll=0.05, caps=caps))
    worker = Worker(outbox, [ModemSpec("fake1", factory)], config=config, observer=metrics)
    metrics.watch(lambda: worker.slots, caps)
    with worker:
        eventually(lambda: worker.slots[0].received.storage is not None, timeout=20)
        exported = exported_names(list(metrics.registry.collect()))
    outbox.engine.dispose()
    assert named <= exported, f"not exported: {sorted(named - exported)}"

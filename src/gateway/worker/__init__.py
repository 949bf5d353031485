"""The gateway worker: owns the modems and sends what the outbox holds.

Usage::

    worker = Worker(Outbox(url), [ModemSpec("host:/dev/ttyUSB0", lambda: Modem("/dev/ttyUSB0"))])
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    worker.run()
"""

from __future__ import annotations

from gateway.worker.caps import CapState, SimCaps, SimUsage, cap_state
from gateway.worker.cooldown import CoolDownPolicy
from gateway.worker.modem_slot import ModemSlot
from gateway.worker.observer import NoObserver, SendObserver
from gateway.worker.sender import Health, ModemSpec, Sender
from gateway.worker.slot_config import SlotConfig
from gateway.worker.wakeup import Wakeup
from gateway.worker.worker import Worker, WorkerConfig, default_worker_id

__all__ = [
    "CapState",
    "CoolDownPolicy",
    "Health",
    "ModemSlot",
    "ModemSpec",
    "NoObserver",
    "SendObserver",
    "Sender",
    "SimCaps",
    "SimUsage",
    "SlotConfig",
    "Wakeup",
    "Worker",
    "WorkerConfig",
    "cap_state",
    "default_worker_id",
]

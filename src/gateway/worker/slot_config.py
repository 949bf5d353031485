"""How a modem thread paces itself, and when it asks for a person: :class:`SlotConfig`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from gateway.outbox import DEFAULT_LEASE
from gateway.worker.caps import SimCaps
from gateway.worker.cooldown import CoolDownPolicy
from gateway.worker.reports import ReportConfig
from gateway.worker.stuck import StuckPolicy


@dataclass(frozen=True)
class SlotConfig:
    """How a modem thread paces itself.

    :param lease: how long a claimed message stays reserved; longer than the slowest send.
    :param idle_poll: seconds between queue checks when nothing wakes the thread.
    :param heartbeat: seconds between health checks and reports while idle.
    :param mark_grace: seconds a stopping thread keeps trying to record a finished send
        while the database is down.
    :param no_registration_for: an unregistered modem raises an alert after this long.
    """

    lease: timedelta = DEFAULT_LEASE
    idle_poll: float = 1.0
    heartbeat: float = 30.0
    mark_grace: float = 30.0
    caps: SimCaps = field(default_factory=SimCaps)
    cooldown: CoolDownPolicy = field(default_factory=CoolDownPolicy)
    reports: ReportConfig = field(default_factory=ReportConfig)
    stuck: StuckPolicy = field(default_factory=StuckPolicy)
    no_registration_for: timedelta = timedelta(minutes=10)

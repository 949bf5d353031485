"""The fake modem's device state: volatile settings, the SIM, and error replies."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.fake.faults import Faults
from gateway.fake.incoming import Received
from gateway.fake.reports import Report

# Verbose texts for AT+CMEE=2 (27.007 §9.2.1, 27.005 §3.2.5).
CME_TEXTS = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    30: "no network service",
    100: "unknown",
}
CMS_TEXTS = {
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    305: "invalid text mode parameter",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    500: "unknown error",
}

#: Messages each memory (SM/ME, SR) holds.
STORAGE_SIZE = 50
#: Who sends the operator's messages that fill a SIM.
OPERATOR = "+447700900123"

PIN_TRIES = 3
PUK_TRIES = 10


class AtError(Exception):
    """A command failed: ``family`` is ``""`` (plain ERROR), ``"CME"`` or ``"CMS"``."""

    def __init__(self, family: str = "", code: int = 0) -> None:
        super().__init__(f"{family} {code}".strip())
        self.family = family
        self.code = code

    def result(self, cmee: int) -> str:
        """The final result line this error gives under ``AT+CMEE=cmee``."""
        if not self.family or cmee == 0:
            return "ERROR"
        if cmee == 2:
            texts = CME_TEXTS if self.family == "CME" else CMS_TEXTS
            return f"+{self.family} ERROR: {texts.get(self.code, str(self.code))}"
        return f"+{self.family} ERROR: {self.code}"


@dataclass
class Settings:
    """What a modem reboot forgets (27.007/27.005 volatile parameters)."""

    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    cmee: int = 0
    text_mode: bool = False
    charset: str = "IRA"
    cnmi: tuple[int, ...] = (0, 0, 0, 0, 0)
    creg_n: int = 0
    cgreg_n: int = 0
    cereg_n: int = 0
    cops_format: int = 0
    csmp: tuple[int, int, int, int] = (17, 167, 0, 0)
    cfun: int = 1
    cmms: int = 0
    storage: tuple[str, str, str] = ("ME", "ME", "ME")


@dataclass
class Prompt:
    """An ``AT+CMGS`` waiting for its body: ``length`` in PDU mode, ``destination`` in text mode."""

    text_mode: bool
    length: int = 0
    destination: str = ""


@dataclass
class ModemState:
    """Everything the command handlers read and change."""

    faults: Faults
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    settings: Settings = field(default_factory=Settings)
    pin_entered: bool = False
    pin_tries_left: int = PIN_TRIES
    puk_tries_left: int = PUK_TRIES
    sim_busy_until: float = 0.0
    next_reference: int = 1
    status_reports: dict[int, Report] = field(default_factory=dict)
    #: SMS received and kept on the SIM ("SM"; "ME" is the same store here), by index.
    received: dict[int, Received] = field(default_factory=dict)
    prompt: Prompt | None = None

    def __post_init__(self) -> None:
        self.settings.cfun = self.faults.cfun_at_boot
        if self.faults.storage_full:
            for index in range(1, STORAGE_SIZE + 1):
                self.received[index] = Received(OPERATOR, f"Offer {index}: 1 GB free", self.now())

    def store_received(self, message: Received) -> int | None:
        """Keep ``message`` on the SIM; its index, or None when the storage is full."""
        free = [i for i in range(1, STORAGE_SIZE + 1) if i not in self.received]
        if not free:
            return None
        self.received[free[0]] = message
        return free[0]

    def storage_full(self) -> bool:
        return len(self.received) >= STORAGE_SIZE

    def sim_status(self) -> str:
        """``READY``, ``SIM PIN``, ``SIM PUK`` or ``BLOCKED`` (PUK tries used up)."""
        if self.puk_tries_left <= 0:
            return "BLOCKED"
        if self.pin_tries_left <= 0:
            return "SIM PUK"
        if self.faults.pin is not None and not self.pin_entered:
            return "SIM PIN"
        return "READY"

    def require_sim(self) -> None:
        """Raise the error a SIM-touching command gets while the SIM is locked or busy."""
        status = self.sim_status()
        if status == "BLOCKED":
            raise AtError("CME", 13)
        if status == "SIM PUK":
            raise AtError("CME", 12)
        if status == "SIM PIN":
            raise AtError("CME", 11)
        if self.clock() < self.sim_busy_until:
            raise AtError("CME", 14)

    def take_reference(self) -> int:
        """The next TP-MR, counting up modulo 256."""
        reference = self.next_reference
        self.next_reference = (reference + 1) % 256
        return reference

    def stats(self) -> tuple[int, int, int]:
        """Current ``(creg, cgreg, cereg)`` stats; a radio switched off is not registered."""
        if self.settings.cfun != 1:
            return (0, 0, 0)
        return self.faults.registration_stats()

    def reboot(self) -> None:
        """Forget volatile settings and the PIN, as a power cycle does."""
        self.settings = Settings(cfun=self.faults.cfun_at_boot)
        self.pin_entered = False
        self.sim_busy_until = 0.0
        self.prompt = None

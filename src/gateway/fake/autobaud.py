"""An autobauding modem (SIMCom SIM800, many Quectel at power-up), for the loopback modem.

Until it has found the baud rate from what the host sends, such a modem loses every command
line: no answer, no echo. The line after the last lost one is answered, then the modem prints
its boot lines; SIMCom: "RDY" is not reported when autobauding.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Printed once the rate is found.
BOOT_LINES = ("+CFUN: 1", "+CPIN: {sim}", "Call Ready", "SMS Ready")


@dataclass
class Autobaud:
    """``lines``: command lines still to lose (0: the rate is known)."""

    lines: int = 0
    _announce: bool = False

    @property
    def searching(self) -> bool:
        return self.lines > 0

    def lose(self) -> bool:
        """Whether this command line is lost; the answer to the next one brings the boot lines."""
        if not self.lines:
            return False
        self.lines -= 1
        self._announce = self.lines == 0
        return True

    def boot_lines(self, sim: str) -> list[str]:
        """The boot lines due after the answer being written (once), else none."""
        if not self._announce:
            return []
        self._announce = False
        return [line.format(sim=sim) for line in BOOT_LINES]

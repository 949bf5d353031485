"""What a worker tells whoever watches it (metrics), without depending on a metrics library.

:class:`gateway.metrics.GatewayMetrics` implements :class:`SendObserver` with
``prometheus_client``; a worker without one uses :class:`NoObserver`.
"""

from __future__ import annotations

from typing import Protocol

#: The ``outcome`` of a send that the network accepted; failures use ``Outcome`` values.
SENT = "sent"


class SendObserver(Protocol):
    """Called from the modem threads, so implementations must be thread-safe and quick."""

    def send_finished(self, modem: str, outcome: str, seconds: float) -> None:
        """One send ended: ``outcome`` is ``sent``, ``temporary``, ``permanent`` or ``unknown``."""

    def delivery_report(self, outcome: str) -> None:
        """A delivery report arrived (``delivered``, ``not_delivered``, ...) or never did."""

    def message_received(self, modem: str) -> None:
        """``modem`` received an SMS (now stored in the outbox)."""

    def modem_stuck(self, modem: str) -> None:
        """``modem`` was found stuck and its ``--on-stuck`` command ran (if there is one)."""

    def alert(self, condition: str) -> None:
        """An alert was raised (see :data:`gateway.worker.hooks.ALERT_CONDITIONS`)."""


class NoObserver:
    """Watches nothing."""

    def send_finished(self, modem: str, outcome: str, seconds: float) -> None:
        pass

    def delivery_report(self, outcome: str) -> None:
        pass

    def message_received(self, modem: str) -> None:
        pass

    def modem_stuck(self, modem: str) -> None:
        pass

    def alert(self, condition: str) -> None:
        pass

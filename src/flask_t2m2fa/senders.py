"""Senders for development: the SMS goes to the log instead of a phone.

Any object with ``send`` and ``status`` is a sender (see :class:`.sending.SmsSender`); the
default is the gateway outbox. A code must never reach a log in production, so this one
refuses an app that is neither in debug nor in testing mode, when it is created and again at
every send.
"""

from __future__ import annotations

import itertools
import logging
import threading
from datetime import datetime

from flask import Flask, current_app

from gateway.message import DeliveryState, MessageStatus

from .rules.phones import mask

logger = logging.getLogger(__name__)


class ProductionAppError(RuntimeError):
    """A development sender was given an app that runs neither in debug nor in testing mode."""


def _require_development(app: Flask) -> None:
    if not (app.debug or app.testing):
        raise ProductionAppError(
            "DevelopmentSender writes login codes to the log: use it only with app.debug or "
            "app.testing set (flask --debug run, TESTING=True); in production leave sender= "
            "unset (the gateway outbox) or pass a real sender"
        )


class DevelopmentSender:
    """Writes each SMS to the ``flask_t2m2fa.senders`` log at WARNING, so it shows by default.

    The number is masked; the text, code included, is written in full.

    :param app: the app it sends for; refused unless ``app.debug`` or ``app.testing``.
    :raises ProductionAppError: the app is in neither mode.
    """

    def __init__(self, app: Flask) -> None:
        _require_development(app)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        _require_development(current_app)
        with self._lock:
            message_id = str(next(self._ids))
        logger.warning("development SMS %s to %s: %s", message_id, mask(to), text)
        return message_id

    def status(self, message_id: str) -> MessageStatus | None:
        if not message_id.isdecimal():
            return None
        return MessageStatus(id=int(message_id), state=DeliveryState.SENT)

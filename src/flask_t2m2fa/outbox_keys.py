"""The web app's outbox keys: the same ones the gateway worker holds (``T2M2FA_OUTBOX_KEY*``).

The default sender queues each code in the gateway outbox encrypted (``gateway.outbox.sealing``)
so that no database file, WAL or backup holds a code or a full number in clear. The keys are
kept out of the database: in a key file shared with the worker (``T2M2FA_OUTBOX_KEY_FILE``, the
worker's ``--key-file``), or in the configuration itself (``T2M2FA_OUTBOX_KEY``). When the
configuration names neither, the environment variable ``T2M2FA_OUTBOX_KEY_FILE`` is used: the
one the worker reads too, so one line in a service's environment serves both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gateway.outbox.sealing import OutboxKeyError, OutboxKeys

from .config import ConfigError

MISSING = (
    "no outbox key: set T2M2FA_OUTBOX_KEY_FILE (the file the gateway worker gets as --key-file) "
    "or T2M2FA_OUTBOX_KEY; make a key file with `t2m2fa-gateway outbox-key new --key-file PATH`"
)


def outbox_keys(cfg: Mapping[str, Any]) -> OutboxKeys:
    """The keys named by ``cfg``, current first.

    :raises ConfigError: none given, both given, or unusable; raised by ``init_app``, so a
        missing key stops the app at start-up, not at the first login.
    """
    text, path = cfg.get("T2M2FA_OUTBOX_KEY"), cfg.get("T2M2FA_OUTBOX_KEY_FILE")
    if not (text or path):
        path = os.environ.get("T2M2FA_OUTBOX_KEY_FILE")
    if text and path:
        raise ConfigError("set T2M2FA_OUTBOX_KEY or T2M2FA_OUTBOX_KEY_FILE, not both")
    try:
        if path:
            return OutboxKeys.from_file(path)
        if text:
            lines = text if isinstance(text, str) else "\n".join(text)
            return OutboxKeys.from_text(lines, source="T2M2FA_OUTBOX_KEY")
    except (OutboxKeyError, TypeError) as exc:
        raise ConfigError(f"unusable outbox key: {exc}") from None
    raise ConfigError(MISSING)

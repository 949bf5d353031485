"""What of a phone number may be logged or kept once a message is final."""

from __future__ import annotations

import hashlib

_MASK = "•••"


def mask_number(number: str) -> str:
    """Keep only the last two digits: ``+32470123467`` -> ``+•••67``."""
    digits = "".join(ch for ch in number if ch.isdigit())
    prefix = "+" if number.startswith("+") else ""
    return f"{prefix}{_MASK}{digits[-2:]}"


def recipient_key(number: str) -> str:
    """A coarse fingerprint of a number, to count distinct recipients per SIM per day.

    The last two digits plus 12 bits of a hash (~410,000 keys): among 250 recipients a day the
    count is off by one with odds under 8 %, which a cap set below the operator's limit absorbs;
    yet each key matches hundreds of numbers even of a small country's 10⁸ mobile range, so a
    stored key does not give the number back.
    """
    digits = "".join(ch for ch in number if ch.isdigit())
    digest = hashlib.sha256(f"t2m2fa-recipient:{digits}".encode()).hexdigest()
    return f"{digits[-2:]}{digest[:3]}"

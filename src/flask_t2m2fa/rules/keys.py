"""Keys kept outside the database, and the keyed primitives built on them.

Each purpose (code HMAC, phone encryption, cookie names) gets its own key, derived with
HMAC-SHA256 from the configured secret and a purpose label, so one leaked derived key does not
give the others away.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_LABEL_PREFIX = b"flask-t2m2fa/v1/"
_NONCE_BYTES = 12


def derive_key(secret: str | bytes, label: str) -> bytes:
    """Derive a 256-bit key for ``label`` from ``secret`` (the app's ``SECRET_KEY``)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _LABEL_PREFIX + label.encode(), hashlib.sha256).digest()


def keyed_digest(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of ``parts`` (joined unambiguously) as hex."""
    message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def encrypt(key: bytes, plaintext: str, *, context: str) -> bytes:
    """AES-256-GCM encrypt ``plaintext``, bound to ``context`` (e.g. the user id and role)."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())


def decrypt(key: bytes, blob: bytes, *, context: str) -> str | None:
    """Decrypt what :func:`encrypt` made; None when the key, context or data do not match."""
    try:
        plain = AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()

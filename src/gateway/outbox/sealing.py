"""Encryption at rest of each outbox message's destination and text (AES-256-GCM).

A queued row holds a login code and a full phone number until it is sent. SQLite keeps old
row versions in its WAL until a checkpoint and PostgreSQL in its WAL and backups, so clearing
the columns after sending is not enough: the row is written encrypted in the first place. The
keys live outside the database (a key file, or the web app's configuration).

A sealed value carries the id of its key, so a worker holding the current key and older ones
opens rows sealed before a rotation. The row id and the message kind are authenticated with
it (associated data): a ciphertext copied into another row does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: AES-256.
KEY_BYTES = 32
_NONCE_BYTES = 12
_VERSION = 1
_KEY_ID_BYTES = 4


class OutboxKeyError(ValueError):
    """No usable outbox key: the web app and the worker refuse to start without one."""


class SealedMessageError(ValueError):
    """A sealed message does not open: unknown key id (give the old key too), or altered."""


def key_id(key: bytes) -> str:
    """A short public name of ``key`` (8 hex digits), stored with each value it seals."""
    return hashlib.sha256(b"t2m2fa-outbox-key-id\0" + key).hexdigest()[: 2 * _KEY_ID_BYTES]


def new_key_text() -> str:
    """A fresh random key, as one line of a key file."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _associated_data(header: bytes, row_id: int, kind: str) -> bytes:
    return b"t2m2fa_outbox\0%d\0%s\0" % (row_id, kind.encode()) + header


class OutboxKeys:
    """The outbox keys of one process: the first seals, any of them opens by its id.

    :param keys: raw 32-byte keys, current first; older ones only open what they sealed.
    """

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise OutboxKeyError("no outbox key given")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise OutboxKeyError(f"an outbox key must be {KEY_BYTES} bytes, got {len(key)}")
        self.current_id = key_id(keys[0])
        # A separate key for digests: the sealing key itself is used for nothing else.
        self._digest_key = hmac.new(keys[0], b"t2m2fa-outbox-digest", hashlib.sha256).digest()
        self._ciphers = {key_id(key): AESGCM(key) for key in reversed(keys)}

    @classmethod
    def generate(cls) -> OutboxKeys:
        """One random key, for tests and throw-away stacks."""
        return cls([secrets.token_bytes(KEY_BYTES)])

    @classmethod
    def from_text(cls, text: str, *, source: str = "the key text") -> OutboxKeys:
        """Keys from base64 lines (``#`` starts a comment), current first."""
        return cls([_decode(line, source) for line in _key_lines(text.splitlines())])

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> OutboxKeys:
        """Keys from a key file (see :meth:`from_text`); its errors name the file."""
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise OutboxKeyError(f"cannot read the outbox key file {path}: {exc}") from None
        if not list(_key_lines(text.splitlines())):
            raise OutboxKeyError(f"the outbox key file {path} holds no key")
        return cls.from_text(text, source=str(path))

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._ciphers)

    def seal(self, row_id: int, kind: str, destination: str, text: str) -> bytes:
        """Encrypt ``destination`` and ``text`` for row ``row_id`` under the current key."""
        kid = self.current_id.encode()
        header = bytes([_VERSION, len(kid)]) + kid
        nonce = secrets.token_bytes(_NONCE_BYTES)
        plain = json.dumps([destination, text]).encode()
        aad = _associated_data(header, row_id, kind)
        return header + nonce + self._ciphers[self.current_id].encrypt(nonce, plain, aad)

    def open(self, row_id: int, kind: str, sealed: bytes) -> tuple[str, str]:
        """Decrypt what :meth:`seal` gave for this row: ``(destination, text)``.

        :raises SealedMessageError: unknown key id, another row's value, or altered bytes.
        """
        kid, header, rest = _split(bytes(sealed))
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise SealedMessageError(f"sealed with outbox key {kid}, which this process lacks")
        nonce, body = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, body, _associated_data(header, row_id, kind))
        except InvalidTag:
            raise SealedMessageError("the sealed message was altered or moved") from None
        destination, text = json.loads(plain)
        return str(destination), str(text)

    def digest(self, label: str, value: str) -> str:
        """A keyed digest of ``value`` (32 hex digits) under the current key: equal values
        give equal digests, and without the key file nobody can test a guess."""
        message = label.encode() + b"\0" + value.encode()
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()[:32]

    def is_current(self, sealed: bytes) -> bool:
        """Whether ``sealed`` is under the current key (else a rotation re-seals it)."""
        return _split(bytes(sealed))[0] == self.current_id


def _split(sealed: bytes) -> tuple[str, bytes, bytes]:
    if len(sealed) < 2 or sealed[0] != _VERSION:
        raise SealedMessageError("not a sealed outbox message")
    end = 2 + sealed[1]
    header = sealed[:end]
    return header[2:].decode("ascii", "replace"), header, sealed[end:]


def _key_lines(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        stripped = line.split("#", 1)[0].strip()
        if stripped:
            yield stripped


def _decode(line: str, source: str) -> bytes:
    try:
        key = base64.b64decode(line, validate=True)
    except binascii.Error:
        raise OutboxKeyError(f"{source}: an outbox key must be base64") from None
    if len(key) != KEY_BYTES:
        raise OutboxKeyError(f"{source}: an outbox key must be {KEY_BYTES} bytes of base64")
    return key

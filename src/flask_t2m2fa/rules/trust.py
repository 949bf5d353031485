"""Remember-this-PC tokens: random, shown to the browser once, stored only as a hash.

A token is ``selector.validator``: the selector finds the row, the validator (256 bits) is
checked against its SHA-256 in constant time. A plain hash is enough here, unlike for codes:
nobody can try 2²⁵⁶ validators offline. Pure functions.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass

from .keys import keyed_digest

_SELECTOR_BYTES = 12
_VALIDATOR_BYTES = 32
_TOKEN_RE = re.compile(r"([0-9a-f]{24})\.([A-Za-z0-9_-]{43})", re.ASCII)


@dataclass(frozen=True)
class NewToken:
    selector: str
    validator_hash: str
    #: The token for the cookie or the JSON body; never stored or logged.
    token: str


def new_token() -> NewToken:
    """A fresh token and what the server keeps of it."""
    selector = secrets.token_hex(_SELECTOR_BYTES)
    validator = secrets.token_urlsafe(_VALIDATOR_BYTES)
    return NewToken(selector, hash_validator(validator), f"{selector}.{validator}")


def hash_validator(validator: str) -> str:
    return hashlib.sha256(validator.encode()).hexdigest()


def split(token: object) -> tuple[str, str] | None:
    """``(selector, validator)`` of a well-formed token, else None."""
    if not isinstance(token, str):
        return None
    found = _TOKEN_RE.fullmatch(token)
    return (found.group(1), found.group(2)) if found else None


def validator_matches(validator: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_validator(validator), stored_hash)


def cookie_name(key: bytes, prefix: str, user_id: str) -> str:
    """One cookie per user, so several users can share a PC.

    The name is keyed, so it does not tell which user ids this browser remembers.
    """
    return prefix + keyed_digest(key, "cookie", user_id)[:20]


def coarse_network(address: str | None) -> str | None:
    """Where a remembered PC was created, coarsely: the /24 (IPv4) or /48 (IPv6) network.

    Enough for an administrator to tell "office" from "abroad", not to locate a person.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))

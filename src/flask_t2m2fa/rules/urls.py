"""Where a ``next`` URL may send the user after login: only to this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_same_site(target: str | None, *, host: str, scheme: str) -> bool:
    """True when ``target`` is a relative path, or an absolute URL on ``host`` with ``scheme``.

    Rejects protocol-relative (``//evil``), backslash (``/\\evil``), other schemes
    (``javascript:``) and any control character, which browsers strip before parsing.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return False
    if any(ord(ch) < 0x21 or ch == "\\" for ch in target):
        return False
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc:
        return target.startswith("/") and not target.startswith("//")
    return parts.scheme == scheme and parts.netloc == host

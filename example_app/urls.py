"""Where a ``next`` parameter may send the browser: only to a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None.

    Only plain absolute paths pass: no scheme, no host, no ``//`` (protocol-relative) and no
    backslash or control character, which some browsers turn into ``/`` or ignore.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target

"""Small URL checks: where a ``next`` parameter may send the browser, and same-origin requests."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request


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


def is_cross_site(request: Request) -> bool:
    """True when a browser says the request comes from another site.

    Desktop clients send neither ``Origin`` nor ``Sec-Fetch-Site`` and pass; a page on another
    site cannot hide its origin on a JSON ``POST``. Same rule as the extension's JSON endpoints.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        return (parts.scheme, parts.netloc) != (request.scheme, request.host)
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")

"""Anti-framing headers on every page of the host, not only on the extension's.

The extension sets ``X-Frame-Options`` and CSP ``frame-ancestors`` on its own pages
(``T2M2FA_FRAME_OPTIONS``); the host's login page holds the password, so it needs them as much:
a site that frames it can trick a user into typing there (clickjacking). One ``after_request``
on the app covers every blueprint; an answer that already carries them (the extension's) keeps
its own.
"""

from __future__ import annotations

from flask import Flask, Response

NO_FRAMING = "frame-ancestors 'none'"


def deny_framing(response: Response) -> Response:
    response.headers.setdefault("X-Frame-Options", "DENY")
    policy = response.headers.get("Content-Security-Policy")
    if policy is None:
        response.headers["Content-Security-Policy"] = NO_FRAMING
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {NO_FRAMING}"
    return response


def init_headers(app: Flask) -> None:
    app.after_request(deny_framing)

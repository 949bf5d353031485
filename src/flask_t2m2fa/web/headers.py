"""Headers on every answer of the extension (admin pages too): never stored, never framed.

The code and enrolment pages and the JSON answers carry masked numbers and remember-PC tokens:
``Cache-Control: no-store`` keeps them out of browser and proxy caches (and the back button).
``X-Frame-Options`` and CSP ``frame-ancestors`` stop another site from framing the code page
to trick a user into typing a code (clickjacking); ``T2M2FA_FRAME_OPTIONS`` is ``"DENY"``
(default), ``"SAMEORIGIN"`` for a host that frames its own pages, or None for a host that sets
these headers itself.
"""

from __future__ import annotations

from flask import Response

from ..state import get_state
from .blueprint import bp

FRAME_OPTIONS = ("DENY", "SAMEORIGIN")
_FRAME_ANCESTORS = {"DENY": "'none'", "SAMEORIGIN": "'self'"}


def no_store(response: Response) -> Response:
    """Mark ``response`` as never to be stored by any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def secure_headers(response: Response) -> Response:
    """``no_store`` and the framing rule, on every response of the ``t2m2fa`` blueprint and of
    the ``t2m2fa_admin`` one (registered there by :mod:`.admin_blueprint`)."""
    no_store(response)
    frame = get_state().settings.frame_options
    if frame is None:
        return response
    response.headers["X-Frame-Options"] = frame
    ancestors = f"frame-ancestors {_FRAME_ANCESTORS[frame]}"
    policy = response.headers.get("Content-Security-Policy")
    if policy is None:
        response.headers["Content-Security-Policy"] = ancestors
    elif "frame-ancestors" not in policy:  # the host's own policy: add ours to it
        response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {ancestors}"
    return response

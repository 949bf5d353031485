"""Other methods on the JSON endpoints answer JSON, never Flask's HTML page.

Werkzeug refuses a method before any view runs, and a blueprint's error handlers never see a
routing error, so each JSON path gets a second rule for the other methods that answers here:
405 ``method_not_allowed`` with ``Allow``, and ``OPTIONS`` the allowed methods as JSON, with no
CORS header (a cross-site pre-flight is never granted, see :mod:`.guards`). The HTML pages keep
Flask's own answers.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, jsonify, request

from ..i18n import gettext as _
from .blueprint import api_bp
from .guards import OTHER_METHOD, problem

#: The JSON paths of the blueprint and the methods their views take.
JSON_ROUTES = {
    "/api/challenge": ("GET", "HEAD"),
    "/api/verify": ("POST",),
    "/api/resend": ("POST",),
    "/api/enrol": ("POST",),
    "/api/security": ("GET", "HEAD"),
    "/api/security/pcs/revoke": ("POST",),
    "/api/security/pcs/revoke-others": ("POST",),
    "/api/security/phone": ("POST",),
    "/api/security/phone/confirm": ("POST",),
    "/api/security/backup/remove": ("POST",),
}
#: The methods answered here when a path does not take them.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def _use(allowed: tuple[str, ...]) -> str:
    """``Use POST here.``, ``Use GET or HEAD here.`` in the reader's language."""
    if len(allowed) == 1:
        return _("Use %(method)s here.", method=allowed[0])
    return _("Use %(methods)s or %(last)s here.", methods=", ".join(allowed[:-1]), last=allowed[-1])


def _other_methods(allowed: tuple[str, ...]) -> Callable[[], Response]:
    allow = [*allowed, "OPTIONS"]

    def other_method() -> Response:
        if request.method == "OPTIONS":
            response = jsonify({"status": "options", "allow": allow})
        else:
            message = _use(allowed)
            response = problem("method_not_allowed", 405, message=message)
        response.headers["Allow"] = ", ".join(allow)
        return response

    return other_method


for _path, _allowed in JSON_ROUTES.items():
    api_bp.add_url_rule(
        _path,
        endpoint=f"{OTHER_METHOD}{_path.removeprefix('/api/').replace('/', '_')}",
        view_func=_other_methods(_allowed),
        methods=[method for method in METHODS if method not in _allowed],
        provide_automatic_options=False,
    )

"""Guards for JSON endpoints, shared with hosts that offer a JSON login of their own.

A JSON endpoint takes JSON bodies only and refuses cross-site callers (``Origin`` /
``Sec-Fetch-Site``): a page on another site cannot send a JSON body without a CORS pre-flight,
which is never granted, so these endpoints need no CSRF token. Bodies are capped by the bytes
actually read (a chunked body has no ``Content-Length`` to trust), and their nesting is counted
on the raw bytes before any decoding: deeper than :data:`MAX_JSON_DEPTH` is a 400 that counts
nothing. Why before: the stdlib decoder's own limit is the interpreter's recursion limit, which
3.11 hits at about 1,000 levels and 3.13 does not, so the same body would be refused on one
Python and decoded (and its code counted as wrong) on the next.

The extension's JSON endpoints live in JSON blueprints (:func:`json_blueprint`): the guard runs
before every view of the blueprint, so a new endpoint cannot be left out, and Flask-WTF's
``CSRFProtect`` exempts the blueprint as a whole (:mod:`.csrf`). A host decorates its own JSON
login view with :func:`json_endpoint` and reads the body with :func:`json_object`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..i18n import gettext as _
from ..rules.notices import N_

#: No JSON body of the extension (nor of a login) needs more.
MAX_JSON_BODY = 4096
#: No JSON body of the extension (nor of a login) nests deeper than 2; 32 leaves hosts room.
MAX_JSON_DEPTH = 32
#: A JSON string, escapes included: brackets inside one do not nest.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: Every byte but the brackets, deleted before counting.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: The endpoint names of the rules that only answer 405 for other methods (:mod:`.api_methods`).
OTHER_METHOD = "other_method_"
#: The refusal of a cross-site request (a message id: translated when answered).
CROSS_SITE = N_("Cross-site requests are refused.")

P = ParamSpec("P")
R = TypeVar("R")


def problem(status: str, http_status: int, **extra: Any) -> Response:
    """A JSON error answer: ``{"status": ..., **extra}`` with ``http_status``."""
    response = jsonify({"status": status, **extra})
    response.status_code = http_status
    return response


def is_cross_site() -> bool:
    """True when a browser says the request comes from another site.

    Desktop clients send neither ``Origin`` nor ``Sec-Fetch-Site`` and pass.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        return (parts.scheme, parts.netloc) != (request.scheme, request.host)
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")


def refusal(max_body: int = MAX_JSON_BODY) -> Response | None:
    """The problem answer for a request a JSON endpoint must refuse, else None."""
    if is_cross_site():
        return problem("forbidden_origin", 403, message=_(CROSS_SITE))
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    # One byte more than allowed: Werkzeug stops a chunked body at the limit without an
    # error, so only reading past it tells a body of exactly ``max_body`` from a longer one.
    request.max_content_length = max_body + 1
    if request.mimetype != "application/json":
        return problem("json_required", 415, message=_("Send the body as application/json."))
    try:
        too_large = len(request.get_data(cache=True)) > max_body
    except RequestEntityTooLarge:
        too_large = True
    if too_large:
        message = _("The body is larger than %(max)s bytes.", max=max_body)
        return problem("too_large", 413, message=message)
    if too_deep(request.get_data(cache=True)):
        message = _("The JSON body nests deeper than %(max)s levels.", max=MAX_JSON_DEPTH)
        return problem("bad_request", 400, message=message)
    return None


def nesting_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, counted without decoding it.

    Malformed text gets a number too (the decoder refuses it later); an unterminated string's
    brackets count, which can only refuse a body that was never valid.
    """
    depth = deepest = 0
    for byte in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def too_deep(body: bytes) -> bool:
    """True when ``body`` nests deeper than :data:`MAX_JSON_DEPTH`."""
    return nesting_depth(body) > MAX_JSON_DEPTH


def json_endpoint(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Decorate a JSON view: refuse cross-site callers, non-JSON and oversize bodies."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        refused = refusal()
        return refused if refused is not None else view(*args, **kwargs)

    return guarded


def json_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of JSON endpoints: every request to it passes :func:`refusal` first.

    Register it inside the HTML blueprint (``parent.register_blueprint(child)``): URLs, headers
    and error handlers stay the parent's, and the CSRF exemption covers this child only.
    """
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(_guard)
    return blueprint


def _guard() -> Response | None:
    if (request.endpoint or "").rpartition(".")[2].startswith(OTHER_METHOD):
        return None  # it answers 405 and reads no body
    return refusal()


def json_body() -> Any:
    """The request's JSON, or None when it is absent, malformed or nested too deep.

    The depth is checked here too, before decoding, for a host's view without
    :func:`json_endpoint`.
    """
    try:
        if request.is_json and too_deep(request.get_data(cache=True)):
            return None
        return request.get_json(silent=True)
    except RequestEntityTooLarge:
        return None


def json_object() -> dict[str, Any]:
    """The request's JSON object, or {} for anything else (an array, a number, junk)."""
    data = json_body()
    return cast(dict[str, Any], data) if isinstance(data, dict) else {}


def json_object_or_problem() -> dict[str, Any] | Response:
    """The request's JSON object, or a 400 answer for any other body (an array, a number,
    nesting too deep to decode): such a body is no request at all, so nothing is counted."""
    data = json_body()
    if isinstance(data, dict):
        return cast(dict[str, Any], data)
    return problem("bad_request", 400, message=_("Send a JSON object."))

"""The ``t2m2fa`` blueprint: the code and enrolment pages (HTML) and the JSON endpoints."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import template_helpers

# static/: the stylesheet of its pages and the admin pages (t2m2fa.css, see page.html).
bp = Blueprint("t2m2fa", __name__, template_folder="../templates", static_folder="../static")
#: The extension's templates translate with its own domain (``_`` in them).
bp.context_processor(template_helpers)

from . import (  # noqa: E402,F401  (they register on bp)
    api_methods,
    api_views,
    code_views,
    enrol_views,
    headers,
    security_api,
    security_views,
    step_up_views,
)

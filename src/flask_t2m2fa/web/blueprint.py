"""The ``t2m2fa`` blueprint: the code, enrolment and security pages (HTML forms, with their CSRF
token), and inside it ``t2m2fa.api``, the JSON endpoints (CSRF-exempt as a blueprint, guarded by
:func:`.guards.refusal` instead). Both serve under ``T2M2FA_URL_PREFIX``."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import template_helpers
from .guards import json_blueprint

# static/: the stylesheet of its pages and the admin pages (t2m2fa.css, see page.html).
bp = Blueprint("t2m2fa", __name__, template_folder="../templates", static_folder="../static")
#: The extension's templates translate with its own domain (``_`` in them).
bp.context_processor(template_helpers)
api_bp = json_blueprint("api", __name__)

from . import (  # noqa: E402,F401  (they register on bp)
    api_methods,
    api_views,
    code_views,
    enrol_views,
    headers,
    recovery_views,
    security_api,
    security_views,
    step_up_views,
)

bp.register_blueprint(api_bp)

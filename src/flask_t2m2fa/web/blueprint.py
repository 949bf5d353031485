"""The ``t2m2fa`` blueprint: the code and enrolment pages (HTML) and the JSON endpoints."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("t2m2fa", __name__, template_folder="../templates")

from . import (  # noqa: E402,F401  (they register on bp)
    api_views,
    code_views,
    enrol_views,
    headers,
    step_up_views,
)

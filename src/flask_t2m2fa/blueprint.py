"""The ``t2m2fa`` blueprint: the code page (HTML) and the JSON endpoints."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("t2m2fa", __name__, template_folder="templates")

from . import enrol_views, headers, json_api, views  # noqa: E402,F401  (they register on bp)

"""The optional ``t2m2fa_admin`` blueprint: account administration pages and JSON endpoints.

A host registers it with ``two_factor.init_app(..., admin=True)`` (under
``T2M2FA_URL_PREFIX + "/admin"``) or ``app.register_blueprint(two_factor.admin_blueprint,
url_prefix=...)``. Every view goes through :func:`admin_guard.admin_only`; the JSON endpoints
are in ``t2m2fa_admin.api``, a blueprint inside it (CSRF-exempt, see :mod:`.guards`).
"""

from __future__ import annotations

from flask import Blueprint

from ..i18n import template_helpers
from .guards import json_blueprint
from .headers import secure_headers

admin_bp = Blueprint("t2m2fa_admin", __name__, template_folder="../templates")
#: The admin pages translate with the extension's domain too (``_`` and ``t2m2fa_lang``).
admin_bp.context_processor(template_helpers)
admin_api_bp = json_blueprint("api", __name__)

#: Never stored by a cache, never framed (clickjacking an administrator's buttons), as the
#: extension's other pages.
admin_bp.after_request(secure_headers)


from . import admin_api, admin_views  # noqa: E402,F401  (they register on admin_bp)

admin_bp.register_blueprint(admin_api_bp)

"""The JSON blueprints are exempt from Flask-WTF's ``CSRFProtect``, whenever the host sets it up.

A JSON endpoint refuses cross-site and non-JSON requests instead (:mod:`.guards`), which a page
of another site cannot get past without a CORS pre-flight. The exemption is by blueprint
(``csrf.exempt(blueprint)``), so a new JSON view needs nothing, and every HTML form stays
checked. A host may call ``CSRFProtect(app)`` before or after ``two_factor.init_app``: the
exemption is made now if it exists, else by a ``before_request`` registered now, which runs
before the one ``CSRFProtect`` registers later.
"""

from __future__ import annotations

from flask import Blueprint, Flask


def json_blueprints() -> tuple[Blueprint, ...]:
    """Every JSON blueprint of the extension (the admin one even when not registered)."""
    from .admin_blueprint import admin_api_bp
    from .blueprint import api_bp

    return (api_bp, admin_api_bp)


def init_app(app: Flask) -> None:
    """Exempt the JSON blueprints from ``app``'s ``CSRFProtect``, now or when it comes."""
    blueprints = json_blueprints()

    def exempt() -> None:
        csrf = app.extensions.get("csrf")
        if csrf is not None:  # a set: exempting again changes nothing
            for blueprint in blueprints:
                csrf.exempt(blueprint)

    exempt()
    app.before_request(exempt)

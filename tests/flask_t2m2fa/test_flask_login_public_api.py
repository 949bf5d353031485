"""The extension talks to Flask-Login through its public API only (issue 20).

A Flask-Login upgrade may rename or drop anything private: the loader it keeps
(``_user_callback``), how it loads (``_load_user``...), or the keys it writes in the session
(``_user_id``, ``_remember``...). None of them is named in ``src/``.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

PRIVATE = {
    "Flask-Login's private loader attribute": r"\b_user_callback\b|\b_request_callback\b",
    "Flask-Login's private loading methods": r"\b_load_user\w*\b|_update_request_context",
    "a session key Flask-Login writes": (
        r"""["'](_user_id|_remember|_remember_seconds|_fresh|_id)["']"""
    ),
    "a private attribute of a login manager": r"login_manager\._\w|manager\._\w",
}


def offences() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for what, pattern in PRIVATE.items():
                if re.search(pattern, line):
                    found.append(f"{path.relative_to(SRC)}:{number}: {what}: {line.strip()}")
    return found


def test_no_private_flask_login_api_in_src() -> None:
    assert offences() == []


def test_the_patterns_catch_what_they_name() -> None:
    lines = [
        "callback = manager._user_callback",
        "current_app.login_manager._load_user()",
        'session["_user_id"] = token',
        "session['_remember'] = 'clear'",
    ]
    for line in lines:
        assert any(re.search(p, line) for p in PRIVATE.values()), line

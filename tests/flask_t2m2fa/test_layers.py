"""The extension's layers keep their direction: pure rules, services without responses."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import flask_t2m2fa

PACKAGE = Path(flask_t2m2fa.__file__).parent


def test_rules_import_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys, importlib, pkgutil, flask_t2m2fa.rules as rules\n"
        "for m in pkgutil.walk_packages(rules.__path__, 'flask_t2m2fa.rules.'):\n"
        "    importlib.import_module(m.name)\n"
        "roots = ('flask', 'flask_login', 'flask_sqlalchemy', 'flask_wtf', 'sqlalchemy',"
        " 'werkzeug')\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in roots)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.name for alias in node.names}
    return names


def test_services_never_build_a_response() -> None:
    offenders = {
        path.name
        for path in (PACKAGE / "services").glob("*.py")
        if _names_used(path) & {"Response", "jsonify", "redirect", "render_template"}
    }
    assert offenders == set()


def test_only_the_unit_of_work_commits_in_services_and_web() -> None:
    offenders = {
        f"{path.parent.name}/{path.name}"
        for layer in ("services", "web")
        for path in (PACKAGE / layer).glob("*.py")
        if path.name != "unit_of_work.py" and ".commit()" in path.read_text()
    }
    assert offenders == set()

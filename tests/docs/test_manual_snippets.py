"""The manual's Python snippets marked runnable run as they are written.

In docs/*.md a ``{code-block} python`` with ``:class: runnable`` is executed, the runnable
blocks of one page in order in one namespace, in a temporary directory; one with
``:class: pytest-file`` and ``:caption: NAME`` is written to NAME, and pytest runs the files of
the page in its own process, as a host's own test suite would (the plugin loaded only by the
example's ``pytest_plugins``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```\{code-block\} python\n((?::[a-z-]+:[^\n]*\n)*)\n(.*?)^```$", re.M | re.S)


@dataclass(frozen=True)
class Snippet:
    page: str
    line: int
    kind: str
    caption: str
    code: str


def snippets(kind: str) -> list[Snippet]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for match in BLOCK.finditer(text):
            options = dict(re.findall(r"^:([a-z-]+): *(.*)$", match.group(1), re.M))
            if options.get("class") == kind:
                line = text.count("\n", 0, match.start()) + 1
                found.append(
                    Snippet(page.name, line, kind, options.get("caption", ""), match.group(2))
                )
    return found


def _pages(kind: str) -> list[str]:
    return sorted({snippet.page for snippet in snippets(kind)})


def test_the_manual_has_runnable_snippets() -> None:
    assert _pages("runnable"), "no snippet of docs/*.md is marked runnable"
    assert _pages("pytest-file")


@pytest.mark.parametrize("page", _pages("runnable"))
def test_runnable_snippets_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"manual_{page[:-3]}"}
    for snippet in (s for s in snippets("runnable") if s.page == page):
        code = compile(snippet.code, f"docs/{page}:{snippet.line}", "exec")
        exec(code, namespace)
    # The snippets' apps keep in-memory SQLite databases (their one pooled connection): close
    # them, or Python 3.13 reports the connection collected open in a later test.
    for app in (v for v in namespace.values() if isinstance(v, Flask)):
        if "sqlalchemy" in app.extensions:
            with app.app_context():
                for engine in app.extensions["sqlalchemy"].engines.values():
                    engine.dispose()


@pytest.mark.parametrize("page", _pages("pytest-file"))
def test_pytest_file_snippets_pass(page: str, tmp_path: Path) -> None:
    for snippet in (s for s in snippets("pytest-file") if s.page == page):
        assert snippet.caption, f"docs/{page}:{snippet.line}: a pytest-file needs its :caption:"
        (tmp_path / snippet.caption).write_text(snippet.code)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
    done = subprocess.run(
        [*command, "-c", os.devnull, "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b[1-9][0-9]* passed\b", done.stdout), done.stdout

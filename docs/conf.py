"""Sphinx configuration of the flask-t2m2fa manual (pages in Markdown, read by MyST)."""

from __future__ import annotations

import sys
from importlib.metadata import version as _version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
# The example app is documented beside the package (``example_app.demo:cli_app``).
sys.path.insert(0, str(HERE.parent))

project = "flask-t2m2fa"
copyright = "the flask-t2m2fa authors"
release = _version("flask-t2m2fa")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_click",
    "sphinxcontrib.openapi",
    "pallets_sphinx_themes",
    "t2m2fa_docs",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}

html_theme = "flask"
html_title = f"flask-t2m2fa {version}"
html_static_path = ["_static"]
html_sidebars = {"**": ["localtoc.html", "relations.html", "searchbox.html"]}


def _load_public_names() -> None:
    """flask_t2m2fa loads its public names on first use (PEP 562): load them for autodoc."""
    import flask_t2m2fa

    for name in flask_t2m2fa.__all__:
        getattr(flask_t2m2fa, name)


_load_public_names()

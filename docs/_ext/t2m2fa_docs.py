"""The manual's generated parts: the configuration table and the list of signals.

``t2m2fa-config`` (an RST directive: in a Markdown page, inside ``{eval-rst}``) renders every
key of :data:`flask_t2m2fa.config.KEYS` with its default, bounds and meaning, so the page cannot
drift from the code that checks the values; ``t2m2fa-signals`` lists the signals of
``flask_t2m2fa.signals``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 60:
        return f"{seconds} s"
    return f"{seconds // 60} min"


def show(value: Any) -> str:
    """A default or bound as the manual writes it."""
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, tuple):
        return "``" + repr(list(value)) + "``"
    return f"``{value!r}``"


def bounds(low: Any, high: Any) -> str:
    if low is None:
        return "—"
    if high is None:
        return f"≥ {show(low)}"
    return f"{show(low)} to {show(high)}"


class ConfigTable(SphinxDirective):
    """Every ``T2M2FA_*`` key: default, bounds, meaning."""

    def run(self) -> list[nodes.Node]:
        from flask_t2m2fa.config import KEYS

        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 15 15 40", ""]
        lines += ["   * - key", "     - default", "     - bounds", "     - meaning"]
        for name, key in KEYS.items():
            default = key.shown if key.shown is not None else show(key.default)
            lines += [
                f"   * - ``{name}``",
                f"     - {default}",
                f"     - {bounds(key.low, key.high)}",
                f"     - {key.meaning}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="flask_t2m2fa.config"), 0, container)
        return container.children


class SignalList(SphinxDirective):
    """The blinker signals of ``flask_t2m2fa.signals``, by name, as the module defines them."""

    def run(self) -> list[nodes.Node]:
        from blinker import NamedSignal

        from flask_t2m2fa import signals

        names = [name for name, value in vars(signals).items() if isinstance(value, NamedSignal)]
        items = nodes.bullet_list()
        for name in names:
            items += nodes.list_item("", nodes.paragraph("", "", nodes.literal(name, name)))
        return [items]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("t2m2fa-config", ConfigTable)
    app.add_directive("t2m2fa-signals", SignalList)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

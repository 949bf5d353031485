"""Browser and OS of a remembered PC, from its stored user agent, for the security page.

A small ordered table of patterns is enough to tell a person which of his PCs is which; it is
not a device database. Pure: no Flask, no database.
"""

from __future__ import annotations

import re

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"OPR/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"),
)
_SYSTEMS = (
    ("Windows", r"Windows NT"),
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux|X11"),
)


def parse(user_agent: str) -> tuple[str | None, str | None]:
    """(``"Firefox 128"``, ``"Linux"``); None for a part the table does not know."""
    browser = None
    for name, pattern in _BROWSERS:
        match = re.search(pattern, user_agent)
        if match:
            browser = f"{name} {match.group(1)}"
            break
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), None)
    return browser, system


def names(user_agent: str) -> tuple[str | None, str | None]:
    """(``"Firefox"``, ``"Linux"``): :func:`parse` without the version, for an SMS."""
    browser, system = parse(user_agent)
    return (browser.split(" ")[0] if browser else None), system

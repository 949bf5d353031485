"""Refresh the translation catalogues: extract the .pot, update the .po files, compile the .mo.

    ./dev.sh catalogues            (or: python scripts/catalogues.py)
    ./dev.sh catalogues --check    change nothing; fail when a catalogue is out of date

It does what ``pybabel extract`` / ``update`` / ``compile`` do (same ``babel.cfg``, keywords
``N_``, ``_`` and ``ngettext``, no source locations), except that ``pybabel update`` rewraps the
.po files at 76 columns: this keeps their 100-column layout, drops obsolete entries, and leaves
a file untouched (dates included) when nothing in it changed. The English catalogue is the
source text itself: each msgstr is its msgid. New French messages are added empty (or
``fuzzy`` with a close earlier translation): the script lists them, and ``test_i18n`` fails
until they are translated.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "flask_t2m2fa"
DOMAIN = "flask_t2m2fa"
TRANSLATIONS = PACKAGE / "translations"
POT = TRANSLATIONS / f"{DOMAIN}.pot"
#: The source language first: its catalogue copies the msgids.
LANGUAGES = ("en", "fr", "pl")
#: The layout of the .po files (the .pot keeps pybabel's own).
PO_WIDTH = 100


def extracted() -> bytes:
    """The .pot of the sources as ``pybabel extract`` writes it (no header, no locations)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{DOMAIN}.pot"
        CommandLineInterface().run(  # type: ignore[no-untyped-call]
            ["pybabel", "--quiet", "extract", "-F", str(ROOT / "babel.cfg"),
             "-k", "N_", "-k", "_", "-k", "ngettext:1,2", "--no-location", "--omit-header",
             "-o", str(out), str(PACKAGE)]
        )  # fmt: skip
        return out.read_bytes()


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(data: bytes, language: str | None = None) -> Catalog:
    return read_po(io.BytesIO(data), locale=language, domain=DOMAIN)


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=PO_WIDTH, no_location=True, ignore_obsolete=True)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def updated(language: str, pot: bytes, old: bytes) -> tuple[bytes, Catalog]:
    """The .po of ``language`` with the messages of ``pot`` (``old`` when unchanged)."""
    catalog = read(old, language)
    # A template of its own: update() adopts the template's new Message objects.
    catalog.update(read(pot), update_creation_date=False)
    if language == LANGUAGES[0]:
        for message in catalog:
            if message.id:
                message.string = message.id
                message.flags.discard("fuzzy")
    new = po_bytes(catalog)
    if new != old and po_bytes(read(old, language)) != new:
        catalog.creation_date = datetime.now(UTC)
        new = po_bytes(catalog)
    else:
        new = old
    return new, catalog


def still_english(catalog: Catalog) -> list[str]:
    """The msgids of ``catalog`` without a usable translation (empty or fuzzy)."""
    left = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            left.append(message.id if isinstance(message.id, str) else message.id[0])
    return left


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    check = parser.parse_args(argv).check
    pot = extracted()
    planned: dict[Path, bytes] = {POT: pot}
    untranslated: dict[str, list[str]] = {}
    for language in LANGUAGES:
        path = po_path(language)
        po, catalog = updated(language, pot, path.read_bytes())
        planned[path] = po
        planned[path.with_suffix(".mo")] = mo_bytes(catalog)
        if language != LANGUAGES[0] and (left := still_english(catalog)):
            untranslated[language] = left
    stale = [p for p, data in planned.items() if not p.is_file() or p.read_bytes() != data]
    for path in stale:
        name = path.relative_to(ROOT)
        if check:
            print(f"out of date: {name}", file=sys.stderr)
        else:
            path.write_bytes(planned[path])
            print(f"wrote {name}")
    for language, ids in untranslated.items():
        print(f"{language}: {len(ids)} message(s) to translate:", file=sys.stderr)
        for msgid in ids:
            print(f"  {msgid!r}", file=sys.stderr)
    if check and (stale or untranslated):
        print("run ./dev.sh catalogues, then translate what it lists", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

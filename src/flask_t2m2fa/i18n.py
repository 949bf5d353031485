"""Translations of the pages and SMS texts, through Flask-Babel, in the extension's own domain.

The extension ships ``translations/flask_t2m2fa.pot`` and compiled English and French
catalogues (domain ``flask_t2m2fa``), so a host's own ``messages`` catalogues never clash
with them.

The hook: the locale is Flask-Babel's. A host that already set up Flask-Babel keeps its own
``locale_selector`` (user preference, URL, …) and the extension's texts follow it. A host
without Flask-Babel gets one from :func:`init_app`, choosing from ``T2M2FA_LANGUAGES`` by the
browser's ``Accept-Language`` (English when none matches). To add a language, compile a
catalogue of the domain ``flask_t2m2fa`` into a directory of the host and add that directory
to ``BABEL_TRANSLATION_DIRECTORIES``-like lists through :data:`domain`
(``domain.translation_directories.append(path)``) before the first request.

Templates rendered for the extension's blueprints (``t2m2fa`` and the admin one) get ``_`` of
this domain and ``t2m2fa_lang``, the language of the page for ``<html lang>``; a host layout
that the extension's pages extend can use ``{{ t2m2fa_lang|default("en") }}`` (its own pages
then stay ``en``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from gettext import find
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, Domain, get_locale  # type: ignore[import-untyped]

from .rules.phones import unbreakable

DOMAIN = "flask_t2m2fa"
TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES_KEY = "T2M2FA_LANGUAGES"

domain = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)


def gettext(text: str, **variables: Any) -> str:
    """``text`` translated to the current locale, with ``%(name)s`` filled from ``variables``.

    Outside an app (a CLI without request, a pure test) the English text is used.
    """
    if not _babel_ready():
        return text % variables if variables else text
    return str(domain.gettext(text, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    if not _babel_ready():
        return (singular if num == 1 else plural) % {"num": num, **variables}
    return str(domain.ngettext(singular, plural, num, **variables))


def _babel_ready() -> bool:
    try:
        return "babel" in current_app.extensions
    except RuntimeError:  # no app context
        return False


def select_locale(languages: Sequence[str]) -> str:
    """The browser's preferred language among ``languages``, else the first of them."""
    if has_request_context():
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return languages[0]


def init_app(app: Flask) -> None:
    """Set Flask-Babel up on ``app`` unless the host did; give the extension's templates ``_``."""
    if "babel" not in app.extensions:
        languages = tuple(app.config[LANGUAGES_KEY])
        Babel(app, locale_selector=lambda: select_locale(languages))


def page_language() -> str:
    """The language tag of the extension's texts in this request (``fr``, ``pt-BR``).

    The chosen locale when the domain has a catalogue for it, else English: a host whose own
    selector picks a language the extension lacks (say ``de``) shows the English texts.
    """
    if not has_request_context() or not _babel_ready():
        return "en"
    locale = get_locale()
    if locale is None:
        return "en"
    tag = str(locale)
    if not _has_catalogue(tag, tuple(domain.translation_directories)):
        return "en"
    return tag.replace("_", "-")


@functools.lru_cache(maxsize=64)
def _has_catalogue(locale: str, directories: tuple[str, ...]) -> bool:
    # Keyed by the directories too: a host may add one before the first request.
    return any(find(DOMAIN, directory, [locale]) for directory in directories)


def template_helpers() -> dict[str, Any]:
    """For the extension's own templates: ``_`` and ``ngettext`` of its domain,
    ``t2m2fa_lang`` (:func:`page_language`) for ``<html lang>``, and ``nobreak``
    (:func:`~flask_t2m2fa.rules.phones.unbreakable`) for sentences that carry a number."""
    return {
        "_": gettext,
        "ngettext": ngettext,
        "t2m2fa_lang": page_language(),
        "nobreak": unbreakable,
    }

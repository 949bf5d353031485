"""Polish: a language GSM-7 cannot carry (ą ć ę ł ń ó ś ź ż). Its catalogue is complete, its
code SMS is one UCS-2 SMS even with the longest app name, its notices fit three."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask.testing import FlaskClient

from flask_t2m2fa.i18n import DOMAIN, TRANSLATIONS
from flask_t2m2fa.rules import codes, notices
from flask_t2m2fa.rules.notices import Notice
from flask_t2m2fa.rules.sms_text import NOTICE_MAX_SEGMENTS, encoding, segments
from flask_t2m2fa.testing import RecordingSender

PL = {"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}
LONGEST_APP = "x" * 30  # T2M2FA_APP_NAME allows at most 30 characters
HELD = re.compile(r"%\(\w+\)s")


def polish() -> Translations:
    found = Translations.load(str(TRANSLATIONS), ["pl"], DOMAIN)
    assert isinstance(found, Translations), "no Polish catalogue"
    return found


def as_tuple(string: Any) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, tuple | list) else (string,)


def test_every_message_has_a_polish_text_with_the_same_placeholders() -> None:
    with (TRANSLATIONS / f"{DOMAIN}.pot").open("rb") as f:
        template = read_po(f)
    with (TRANSLATIONS / f"pl/LC_MESSAGES/{DOMAIN}.po").open("rb") as f:
        catalog = read_po(f, locale="pl")
    with (TRANSLATIONS / f"pl/LC_MESSAGES/{DOMAIN}.mo").open("rb") as f:
        compiled = read_mo(f)
    ids = [message.id for message in template if message.id]
    assert len(ids) > 200
    for msgid in ids:
        message = catalog.get(msgid)
        assert message is not None and not message.fuzzy, f"not translated: {msgid!r}"
        strings = as_tuple(message.string)
        assert all(strings), f"empty Polish text: {msgid!r}"
        english = as_tuple(msgid)[-1]
        for text in strings:
            assert sorted(HELD.findall(text)) == sorted(HELD.findall(english)), msgid
        shipped = compiled.get(msgid)
        assert shipped is not None and as_tuple(shipped.string) == strings, msgid


def test_polish_has_three_plural_forms() -> None:
    one, few, many = (
        polish().ngettext(
            "Wrong code. %(num)s attempt left for this code.",
            "Wrong code. %(num)s attempts left for this code.",
            n,
        )
        % {"num": n}
        for n in (1, 2, 5)
    )
    assert (one, few, many) == (
        "Błędny kod. Dla tego kodu została 1 próba.",
        "Błędny kod. Dla tego kodu zostały 2 próby.",
        "Błędny kod. Dla tego kodu zostało 5 prób.",
    )


def test_the_polish_code_sms_is_one_ucs2_sms_with_the_longest_app_name() -> None:
    template = polish().gettext(codes.SMS_TEMPLATE)
    text = codes.sms_text(LONGEST_APP, "12345678", 10, template)
    assert "ważny" in text and "12345678" in text
    assert (encoding(text), segments(text)) == ("ucs2", 1)


@pytest.mark.parametrize("notice", list(Notice))
def test_each_polish_notice_is_ucs2_within_three_sms(notice: Notice) -> None:
    template = polish().gettext(notices.TEXTS[notice])
    assert template != notices.TEXTS[notice]
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    device = "Firefox w systemie ChromeOS"  # the longest Polish %(device)s
    text = notices.render(template, app_name=LONGEST_APP, moment=moment, device=device)
    count = segments(text)
    assert encoding(text) == "ucs2" and count is not None and count <= NOTICE_MAX_SEGMENTS


def test_the_code_page_and_the_sms_come_in_polish_when_the_browser_asks(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    client.post("/login", data={"username": "alice"}, headers=PL)
    assert "ważny" in sms.last.text and "Nie podawaj" in sms.last.text
    assert encoding(sms.last.text) == "ucs2" and segments(sms.last.text) == 1
    page = client.get("/t2m2fa/code", headers=PL).text
    assert '<html lang="pl">' in page
    assert "Wpisz swój kod" in page and "Wysłaliśmy kod SMS-em" in page
    assert "Enter your code" not in page

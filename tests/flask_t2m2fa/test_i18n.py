"""Translations: the shipped catalogues, French pages on ``Accept-Language: fr``, GSM-7 SMS."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from flask.testing import FlaskClient
from t2m2fa_support import json_login, json_verify

from flask_t2m2fa.i18n import DOMAIN, TRANSLATIONS
from flask_t2m2fa.rules import codes, notices
from flask_t2m2fa.rules.notices import Notice
from flask_t2m2fa.rules.sms_text import fits_one_segment
from flask_t2m2fa.testing import RecordingSender

FR = {"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}
LONGEST_APP = "x" * 30  # T2M2FA_APP_NAME allows at most 30 characters


def french() -> Translations:
    found = Translations.load(str(TRANSLATIONS), ["fr"], DOMAIN)
    assert isinstance(found, Translations), "no French catalogue"
    return found


@pytest.mark.parametrize(
    "name",
    ["flask_t2m2fa.pot", "en/LC_MESSAGES/flask_t2m2fa.mo", "fr/LC_MESSAGES/flask_t2m2fa.mo",
     "en/LC_MESSAGES/flask_t2m2fa.po", "fr/LC_MESSAGES/flask_t2m2fa.po"],
)  # fmt: skip
def test_the_package_ships_the_catalogues(name: str) -> None:
    assert resources.files("flask_t2m2fa").joinpath("translations", *name.split("/")).is_file()


def test_every_french_text_keeps_the_placeholders_of_its_english_one() -> None:
    with (TRANSLATIONS / "fr/LC_MESSAGES/flask_t2m2fa.po").open("rb") as f:
        catalog = read_po(f)
    held = re.compile(r"%\(\w+\)s")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strs), f"untranslated: {ids[0]!r}"
        for text in strs:
            assert sorted(held.findall(text)) == sorted(held.findall(ids[-1])), ids[0]


def test_the_french_code_sms_is_gsm7_in_one_segment() -> None:
    template = french().gettext(codes.SMS_TEMPLATE)
    assert template != codes.SMS_TEMPLATE
    text = codes.sms_text(LONGEST_APP, "12345678", 10, template)
    assert fits_one_segment(text) and "12345678" in text


@pytest.mark.parametrize("notice", list(Notice))
def test_each_french_notice_is_gsm7_in_one_segment(notice: Notice) -> None:
    template = french().gettext(notices.TEXTS[notice])
    assert template != notices.TEXTS[notice]
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert fits_one_segment(notices.render(template, app_name=LONGEST_APP, moment=moment))


def test_the_english_sms_text_is_unchanged() -> None:
    assert codes.sms_text("Talk2M", "0042", 5) == (
        "Talk2M: your login code is 0042. It expires in 5 min. Never share this code."
    )


def test_the_code_page_and_the_sms_come_in_french_when_the_browser_asks(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    client.post("/login", data={"username": "alice"}, headers=FR)
    assert "votre code de connexion est" in sms.last.text
    page = client.get("/t2m2fa/code", headers=FR).text
    assert "Entrez votre code" in page and "Nous avons envoyé un code par SMS" in page
    assert "Enter your code" not in page


def test_pages_are_in_english_by_default(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    client.post("/login", data={"username": "alice"})
    assert "your login code is" in sms.last.text
    page = client.get("/t2m2fa/code").text
    assert "Enter your code" in page and "Entrez" not in page
    json_verify(client, sms.last.code)
    page = client.get("/t2m2fa/security", headers={"Accept-Language": "de"}).text
    assert "Your phones" in page and "Vos téléphones" not in page


def test_the_security_page_comes_in_french_when_the_browser_asks(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    json_verify(client, sms.last.code)
    page = client.get("/t2m2fa/security", headers=FR).text
    assert "Sécurité" in page and "Vos téléphones" in page and "Téléphone principal" in page
    assert "Déconnecter les autres PC" in page or "Aucun PC n" in page
    assert "Your phones" not in page

"""Translations: the shipped catalogues, French pages on ``Accept-Language: fr`` (refusals
included, and ``<html lang>``), GSM-7 SMS."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from admin_support import logged_in
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    BACKUP,
    PRIMARY,
    FakeClock,
    Host,
    csrf_token,
    enrolling_user,
    json_login,
    json_verify,
)

from flask_t2m2fa.i18n import DOMAIN, TRANSLATIONS
from flask_t2m2fa.rules import codes, notices, phones
from flask_t2m2fa.rules.notices import Notice
from flask_t2m2fa.rules.sms_text import fits_one_segment
from flask_t2m2fa.testing import RecordingSender
from flask_t2m2fa.web import step_up

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


@pytest.mark.parametrize(
    "msgid",
    [phones.NOT_A_NUMBER, phones.NOT_VALID, phones.NOT_MOBILE, phones.COUNTRY_REFUSED,
     phones.SAME_AS_PRIMARY, phones.UNUSABLE, step_up.MESSAGE],
)  # fmt: skip
def test_the_refusal_reasons_have_a_french_text(msgid: str) -> None:
    assert french().gettext(msgid) != msgid


def test_an_invalid_number_at_enrolment_is_explained_in_french(
    client: FlaskClient, host: Host, sms: RecordingSender
) -> None:
    enrolling_user(host)
    json_login(client, "eve", **FR)
    answer = client.post("/t2m2fa/api/enrol", json={"phone": "+32 470"}, headers=FR)
    assert (answer.status_code, answer.json) == (
        400,
        {"status": "invalid_phone", "message": "ce n'est pas un numéro de téléphone valable"},
    )
    token = csrf_token(client.get("/t2m2fa/enrol", headers=FR).text)
    page = client.post(
        "/t2m2fa/enrol", data={"phone": "+32 2 555 00 00", "csrf_token": token}, headers=FR
    )
    assert page.status_code == 400
    assert "Ce numéro ne peut pas être utilisé : ce n&#39;est pas un numéro de mobile." in page.text
    assert sms.messages == []


def test_an_invalid_new_number_is_explained_in_french_on_the_security_page_and_in_json(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    json_verify(client, sms.last.code)
    token = csrf_token(client.get("/t2m2fa/security").text)
    fields = {"role": "primary", "phone": BACKUP, "csrf_token": token}
    page = client.post("/t2m2fa/security/phone", data=fields, headers=FR)
    assert page.status_code == 400
    assert "le téléphone de secours doit être différent du téléphone principal" in page.text
    answer = client.post(
        "/t2m2fa/api/security/phone", json={"role": "primary", "phone": "+3247"}, headers=FR
    )
    assert answer.status_code == 400 and answer.json["message"] == (
        "Ce numéro ne peut pas être utilisé : ce n'est pas un numéro de téléphone valable. "
        "Rien n'a été envoyé."
    )


def test_an_administrator_keeping_his_backup_is_told_in_french(
    client: FlaskClient, host: Host, sms: RecordingSender
) -> None:
    boss = host.add_user("boss", admin=True)
    host.two_factor.enable_for(boss, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
    json_login(client, "boss")
    json_verify(client, sms.last.code)
    answer = client.post("/t2m2fa/api/security/backup/remove", json={}, headers=FR)
    assert answer.status_code == 409
    assert answer.json["message"] == "un administrateur doit garder un téléphone de secours"


def test_step_up_refusals_come_in_french(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender, clock: FakeClock
) -> None:
    json_login(client, "alice")
    json_verify(client, sms.last.code)
    clock.advance(minutes=21)  # past the step-up window of a number change
    stale = client.post(
        "/t2m2fa/api/security/phone", json={"role": "primary", "phone": BACKUP}, headers=FR
    )
    assert stale.status_code == 403 and stale.json["status"] == "step_up_required"
    assert stale.json["message"] == (
        "Confirmez que c'est bien vous : entrez un nouveau code envoyé à votre téléphone."
    )
    host.add_user("bob")  # 2FA off: logged in by his password, no phone to confirm it is him
    other = client.application.test_client()
    assert json_login(other, "bob").json["status"] == "ok"
    before = len(sms.messages)
    refused = other.post("/t2m2fa/api/step-up", json={}, headers=FR)
    assert (refused.status_code, refused.json["status"]) == (403, "setup_required")
    assert refused.json["message"].startswith("Vous n'avez aucun téléphone vérifié")
    token = csrf_token(other.get("/t2m2fa/step-up", headers=FR).text)
    page = other.post("/t2m2fa/step-up", data={"send": "1", "csrf_token": token}, headers=FR)
    assert page.status_code == 403 and "Vous n&#39;avez aucun téléphone vérifié" in page.text
    assert len(sms.messages) == before


def test_admin_refusals_come_in_french(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    url = f"/t2m2fa/admin/api/users/{people['bob'].id}/enable"
    answer = admin.post(url, json={"primary": "+32 470 12 34 5"}, headers=FR)
    assert (answer.status_code, answer.json["field"]) == (400, "primary")
    assert answer.json["message"] == (
        "« +32 470 12 34 5 » ne peut pas être utilisé : ce n'est pas un numéro de téléphone "
        "valable."
    )
    unlock = f"/t2m2fa/admin/api/users/{people['alice'].id}/unlock"
    refused = admin.post(unlock, json={}, headers=FR)
    assert refused.json["message"] == "Cet utilisateur n'est pas bloqué."
    english = admin.post(unlock, json={})
    assert english.json["message"] == "This user is not locked."


def test_the_page_language_follows_the_locale(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    client.post("/login", data={"username": "alice"}, headers=FR)
    assert '<html lang="fr">' in client.get("/t2m2fa/code", headers=FR).text
    assert '<html lang="en">' in client.get("/t2m2fa/code").text
    german = {"Accept-Language": "de"}
    assert '<html lang="en">' in client.get("/t2m2fa/code", headers=german).text


@pytest.mark.options({"T2M2FA_LANGUAGES": ["en", "fr", "de"]})
def test_a_language_without_a_catalogue_gives_an_english_page(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    german = {"Accept-Language": "de"}
    client.post("/login", data={"username": "alice"}, headers=german)
    page = client.get("/t2m2fa/code", headers=german).text
    assert "Enter your code" in page and '<html lang="en">' in page


def test_the_admin_pages_are_english_so_say_so(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    page = admin.get("/t2m2fa/admin/users", headers=FR)
    assert page.status_code == 200 and '<html lang="en">' in page.text

"""Translations: the shipped catalogues, French pages on ``Accept-Language: fr`` (refusals
included, and ``<html lang>``), GSM-7 SMS."""

from __future__ import annotations

import html
import importlib.util
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from admin_support import logged_in
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import (
    BACKUP,
    BACKUP_STEP,
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
from flask_t2m2fa.rules.sms_text import encoding, fits_one_segment
from flask_t2m2fa.testing import RecordingSender
from flask_t2m2fa.web import step_up

FR = {"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}
LONGEST_APP = "x" * 30  # T2M2FA_APP_NAME allows at most 30 characters
ROOT = Path(__file__).resolve().parents[2]


def texts(string: Any) -> tuple[str, ...]:
    """A message's text(s): one string, or the plural forms (a tuple or, from a .mo, a list)."""
    return tuple(string) if isinstance(string, tuple | list) else (string,)


def admin_token(page: str) -> str:
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def french() -> Translations:
    found = Translations.load(str(TRANSLATIONS), ["fr"], DOMAIN)
    assert isinstance(found, Translations), "no French catalogue"
    return found


@pytest.mark.parametrize(
    "name",
    ["flask_t2m2fa.pot", "en/LC_MESSAGES/flask_t2m2fa.mo", "fr/LC_MESSAGES/flask_t2m2fa.mo",
     "en/LC_MESSAGES/flask_t2m2fa.po", "fr/LC_MESSAGES/flask_t2m2fa.po",
     "pl/LC_MESSAGES/flask_t2m2fa.po", "pl/LC_MESSAGES/flask_t2m2fa.mo"],
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
    assert fits_one_segment(text) and encoding(text) == "gsm7" and "12345678" in text


@pytest.mark.parametrize("notice", list(Notice))
def test_each_french_notice_is_gsm7_in_one_segment(notice: Notice) -> None:
    template = french().gettext(notices.TEXTS[notice])
    assert template != notices.TEXTS[notice]
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    device = "Firefox sous ChromeOS"  # the longest French %(device)s (the failed-code notice)
    text = notices.render(template, app_name=LONGEST_APP, moment=moment, device=device)
    assert fits_one_segment(text) and encoding(text) == "gsm7"


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
    host.db.session.commit()
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


def test_an_admin_page_comes_in_french_when_the_browser_asks(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    users = admin.get("/t2m2fa/admin/users", headers=FR)
    assert users.status_code == 200 and '<html lang="fr">' in users.text
    assert "Politique de sécurité" in users.text and "<h1>Utilisateurs</h1>" in users.text
    assert "Dernière connexion par code" in users.text and "3 utilisateur(s)." in users.text
    assert "Last code login" not in users.text and "user(s)" not in users.text
    page = admin.get(f"/t2m2fa/admin/users/{people['alice'].id}", headers=FR)
    text = html.unescape(page.text)
    assert '<strong id="state">activée</strong>' in text and "Codes erronés comptés" in text
    assert "Téléphones" in text and "Désactiver l'authentification à deux facteurs" in text
    assert "Two-factor login:" not in text and "Phones" not in text
    policy = html.unescape(admin.get("/t2m2fa/admin/policy", headers=FR).text)
    assert "Modifier la politique d'authentification à deux facteurs" in policy
    audit = admin.get("/t2m2fa/admin/audit", headers=FR).text
    assert "Exporter en CSV" in audit and "Quand (UTC)" in audit
    english = admin.get("/t2m2fa/admin/users")
    assert '<html lang="en">' in english.text and "Last code login" in english.text


def test_an_administrator_action_and_its_notice_come_in_french(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    admin = logged_in(admin_app, sms, "boss", clock)
    url = f"/t2m2fa/admin/users/{people['bob'].id}"
    token = admin_token(admin.get(url, headers=FR).text)
    done = admin.post(url, data={"action": "enable", "csrf_token": token}, headers=FR)
    assert done.status_code == 302
    page = html.unescape(admin.get(url, headers=FR).text)
    assert (
        "La connexion à deux facteurs est activée. L'utilisateur entrera et vérifiera son "
        "numéro à sa prochaine connexion."
    ) in page
    waiting = "activée : l'utilisateur entrera son numéro à sa prochaine connexion"
    assert f'<strong id="state">{waiting}</strong>' in page
    answer = admin.post(f"/t2m2fa/admin/api/users/{people['bob'].id}/disable", json={}, headers=FR)
    assert answer.json["message"] == (
        "La connexion à deux facteurs est désactivée pour cet utilisateur."
    )
    english = admin.post(f"/t2m2fa/admin/api/users/{people['bob'].id}/enable", json={})
    assert english.json["message"] == (
        "Two-factor login is on. The user enters and verifies his number at his next login."
    )


def test_admin_guard_refusals_come_in_french(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    anonymous = admin_app.test_client()
    answer = anonymous.get("/t2m2fa/admin/api/users", headers=FR)
    assert (answer.status_code, answer.json["message"]) == (401, "Connectez-vous d'abord.")
    alice = logged_in(admin_app, sms, "alice", clock)
    page = alice.get("/t2m2fa/admin/users", headers=FR)
    assert page.status_code == 403 and '<html lang="fr">' in page.text
    assert "Seul un administrateur du compte peut faire cela." in page.text
    answer = alice.get("/t2m2fa/admin/api/users", headers=FR)
    assert answer.json["message"] == "Seul un administrateur du compte peut faire cela."
    admin = logged_in(admin_app, sms, "boss", clock)
    stranger = admin.get(f"/t2m2fa/admin/api/users/{people['stranger'].id}", headers=FR)
    assert (stranger.status_code, stranger.json["message"]) == (
        404, "Cet utilisateur n'existe pas dans votre compte."
    )  # fmt: skip
    expired = admin.post("/t2m2fa/admin/policy", data={"mode": "standard"}, headers=FR)
    assert expired.status_code == 400
    assert "Le formulaire a expiré : rechargez la page et réessayez." in expired.text
    cross = admin.post("/t2m2fa/admin/policy", headers={**FR, "Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert "Les requêtes venant d&#39;un autre site sont refusées." in cross.text
    clock.advance(minutes=16)  # past the administrator's step-up window
    stale = admin.get("/t2m2fa/admin/api/users", headers=FR)
    assert (stale.status_code, stale.json["status"]) == (403, "step_up_required")
    assert stale.json["message"].startswith("Confirmez que c'est bien vous")


def test_the_json_guards_refuse_in_french(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    json_login(client, "alice")
    cross = client.post(
        "/t2m2fa/api/verify",
        json={"code": "0000"},
        headers={**FR, "Origin": "https://evil.example"},
    )
    assert (cross.status_code, cross.json) == (
        403,
        {
            "status": "forbidden_origin",
            "message": "Les requêtes venant d'un autre site sont refusées.",
        },
    )
    form = client.post("/t2m2fa/api/verify", data={"code": "0000"}, headers=FR)
    assert (form.status_code, form.json) == (
        415,
        {"status": "json_required", "message": "Envoyez le corps en application/json."},
    )
    big = client.post("/t2m2fa/api/verify", json={"code": "0" * 5000}, headers=FR)
    assert (big.status_code, big.json) == (
        413,
        {"status": "too_large", "message": "Le corps dépasse 4096 octets."},
    )
    array = client.post("/t2m2fa/api/verify", json=[1, 2], headers=FR)
    assert (array.status_code, array.json["message"]) == (400, "Envoyez un objet JSON.")
    method = client.get("/t2m2fa/api/verify", headers=FR)
    assert (method.status_code, method.json["message"]) == (405, "Utilisez POST ici.")
    nowhere = client.post("/t2m2fa/api/resend", json={"destination": "fax"}, headers=FR)
    assert nowhere.json["message"] == 'destination doit valoir "primary" ou "backup".'
    assert len(sms.messages) == 1  # the login's code only


def test_a_resend_to_a_missing_backup_phone_is_refused_in_french(
    client: FlaskClient, host: Host, sms: RecordingSender
) -> None:
    carol = host.add_user("carol")
    host.two_factor.enable_for(carol, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    json_login(client, "carol")
    answer = client.post("/t2m2fa/api/resend", json={"destination": "backup"}, headers=FR)
    assert (answer.status_code, answer.json) == (
        409,
        {"status": "no_such_phone", "message": "Vous n'avez pas de téléphone de secours vérifié."},
    )
    english = client.post("/t2m2fa/api/resend", json={"destination": "backup"})
    assert english.json["message"] == "You have no verified backup phone."


def test_the_number_needed_step_comes_in_french(
    app: Flask, host: Host, sms: RecordingSender
) -> None:
    enrolling_user(host, "root", admin=True)
    client = app.test_client()
    asked = json_login(client, "root", **FR).json
    assert (asked["status"], asked["role"]) == ("enrolment_required", "primary")
    assert asked["message"] == (
        "Entrez votre numéro de mobile principal : un code y sera envoyé pour le vérifier."
    )
    early = client.post("/t2m2fa/api/verify", json={"code": "0000"}, headers=FR)
    assert (early.status_code, early.json["message"]) == (
        409, "Entrez d'abord votre numéro de mobile."
    )  # fmt: skip
    client.post("/t2m2fa/api/enrol", json={"phone": PRIMARY}, headers=FR)
    backup = client.post("/t2m2fa/api/verify", json={"code": sms.last.code}, headers=FR).json
    assert (backup["status"], backup["role"]) == ("enrolment_required", "backup")
    assert backup["message"] == (
        "Entrez votre numéro de mobile de secours : un code y sera envoyé pour le vérifier."
    )
    again = client.get("/t2m2fa/api/challenge", headers=FR).json
    assert again["message"] == backup["message"]
    assert client.get("/t2m2fa/api/challenge").json == BACKUP_STEP


def test_a_body_that_is_no_form_is_explained_in_french(
    client: FlaskClient, alice: Any, sms: RecordingSender
) -> None:
    client.post("/login", data={"username": "alice"}, headers=FR)
    page = client.post("/t2m2fa/code", json={"code": 1234}, headers={**FR, "Accept": "text/html"})
    assert page.status_code == 400
    assert "Envoyez un objet JSON dont les valeurs sont des chaînes" in page.text


def test_every_message_of_the_template_has_a_french_translation() -> None:
    with (TRANSLATIONS / f"{DOMAIN}.pot").open("rb") as f:
        template = read_po(f)
    with (TRANSLATIONS / f"fr/LC_MESSAGES/{DOMAIN}.po").open("rb") as f:
        catalog = read_po(f, locale="fr")
    with (TRANSLATIONS / f"fr/LC_MESSAGES/{DOMAIN}.mo").open("rb") as f:
        compiled = read_mo(f)
    ids = [message.id for message in template if message.id]
    assert len(ids) > 200
    for msgid in ids:
        message = catalog.get(msgid)
        assert message is not None and not message.fuzzy, f"not translated: {msgid!r}"
        assert all(texts(message.string)), f"empty French text: {msgid!r}"
        shipped = compiled.get(msgid)
        assert shipped is not None, f"not in the .mo: {msgid!r}"
        assert texts(shipped.string) == texts(message.string), f".mo stale: {msgid!r}"


def test_the_catalogues_are_up_to_date_with_the_sources() -> None:
    """The .pot holds every text of the code and templates, and the .po and .mo follow it
    (``./dev.sh catalogues`` refreshes them)."""
    spec = importlib.util.spec_from_file_location("catalogues", ROOT / "scripts/catalogues.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--check"]) == 0

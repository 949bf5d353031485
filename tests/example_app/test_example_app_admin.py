"""The example app's administrators: links to the admin pages, two accounts kept apart, and the
administrator's steps 2 and 4 in a real browser (Playwright + Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import PASSWORDS, Person, chromium, make_app, served, user_id
from example_app.seed import DEMO_ACCOUNT, OTHER_ACCOUNT
from flask import Flask

from doubles import FakeClock, RecordingSender
from example_app import User, db
from flask_t2m2fa.models import UserSettings

TRAINEE_NUMBER = "+32470123488"
GUEST_NUMBER = "+32470123499"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock) -> Flask:
    return make_app(tmp_path, clock)


def login(client: Any, sms: RecordingSender, clock: FakeClock, account: str, name: str) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf_token" type="hidden" value="', 1)[-1].split('"', 1)[0]
    if 'value="' in token or len(token) > 200:
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = {"account": account, "username": name, "password": PASSWORDS[name], "csrf_token": token}
    client.post("/login", data=data)
    code_page = client.get("/t2m2fa/code").text
    code_token = code_page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post("/t2m2fa/code", data={"code": sms.last.code, "csrf_token": code_token})
    clock.advance(seconds=61)


def test_home_links_the_admin_pages_for_administrators_only(app: Flask, clock: FakeClock) -> None:
    sms = app.extensions["sms"]
    admin, plain = app.test_client(), app.test_client()
    login(admin, sms, clock, DEMO_ACCOUNT, "admin")
    login(plain, sms, clock, DEMO_ACCOUNT, "user")
    assert "/t2m2fa/admin/users" in admin.get("/").text
    assert "/t2m2fa/admin/users" not in plain.get("/").text
    assert plain.get("/t2m2fa/admin/users").status_code == 403
    page = admin.get("/t2m2fa/admin/users")
    assert "Udo User" in page.text and "Otto Other" not in page.text
    assert 'class="topbar"' in page.text  # the host's layout through base.html


def test_the_other_accounts_administrator_cannot_see_or_touch_the_demo_account(
    app: Flask, clock: FakeClock
) -> None:
    sms = app.extensions["sms"]
    other = app.test_client()
    login(other, sms, clock, OTHER_ACCOUNT, "other-admin")
    listed = other.get("/t2m2fa/admin/api/users").json
    assert {u["name"] for u in listed["users"]} == {"Otto Other", "Olga Other"}
    demo_user = user_id(app, "user")
    assert other.get(f"/t2m2fa/admin/users/{demo_user}").status_code == 404
    assert other.post(f"/t2m2fa/admin/api/users/{demo_user}/disable", json={}).status_code == 404
    assert other.get("/t2m2fa/admin/api/audit?kind=two_factor_enabled").json["total"] == 2


def test_the_cli_names_users_by_their_login_names(app: Flask) -> None:
    """guest has no 2FA settings; "user" is a login name in two accounts once other-account
    has one too."""
    runner = app.test_cli_runner()
    enabled = runner.invoke(args=["t2m2fa", "user", "enable", "Guest", "--primary", GUEST_NUMBER])
    assert enabled.exit_code == 0, enabled.output
    with app.app_context():
        other = db.session.scalars(sa.select(User).filter_by(username="other-user")).one()
        db.session.add(User(account_id=other.account_id, username="user", password_hash="x"))
        db.session.commit()
    shown = runner.invoke(args=["t2m2fa", "user", "show", "user"])
    assert shown.exit_code == 1 and "add --account ACCOUNT" in shown.output
    shown = runner.invoke(args=["t2m2fa", "user", "show", "user", "--account", DEMO_ACCOUNT])
    assert shown.exit_code == 0 and "enabled=True" in shown.output
    guest = runner.invoke(args=["t2m2fa", "user", "show", "guest"])
    assert "pending=+32 ••• ••• •99" in guest.output


# --- In a real browser ------------------------------------------------------------------------


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    with served(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_administrator_steps_in_a_real_browser(
    app: Flask, site: str, browser: Any, tmp_path: Path, clock: FakeClock
) -> None:
    sms: RecordingSender = app.extensions["sms"]
    names = ("pc1", "pc2", "admin", "trainee")
    people = {n: Person(browser, site, tmp_path, n) for n in names}
    try:
        _steps(app, sms, clock, site, people)
    except Exception:
        for person in people.values():  # kept in tmp_path for the failed run
            person.shot("failure")
        raise


def _steps(
    app: Flask, sms: RecordingSender, clock: FakeClock, base: str, people: dict[str, Person]
) -> None:
    pc1, pc2, admin = people["pc1"], people["pc2"], people["admin"]
    for pc in (pc1, pc2):  # the user remembers two PCs
        assert pc.login(DEMO_ACCOUNT, "user")
        pc.enter_code(sms.last.code, remember=True)
        pc.logout()
        clock.advance(seconds=61)
    assert admin.login(DEMO_ACCOUNT, "admin")
    admin.enter_code(sms.last.code)
    clock.advance(seconds=61)
    page = admin.page

    # Revoke one remembered PC (the last used, listed first): the other still stands in.
    page.click("text=Users")
    page.click("#users >> text=Udo User")
    assert page.locator("#pcs tbody tr").count() == 2
    page.locator("#pcs tbody tr").first.locator("button").click()
    page.wait_for_selector("#notice")
    assert page.locator("#pcs tbody tr").count() == 1
    assert not pc1.login(DEMO_ACCOUNT, "user")  # pc1: no code
    pc1.logout()
    assert pc2.login(DEMO_ACCOUNT, "user")  # pc2 was revoked: a code is asked for
    clock.advance(seconds=61)

    # Switch to Enforced: the remaining remembered PC stops skipping the code.
    page.click("text=Security policy")
    page.check("input[name=mode][value=enforced]")
    page.click("#policy-form button[type=submit]")
    page.click("#confirm-yes")  # "This revokes 1 remembered PC(s) and ends every session..."
    page.wait_for_selector("#notice")
    assert pc1.login(DEMO_ACCOUNT, "user")
    clock.advance(seconds=61)

    # Enable 2FA for the guest by typing his number; the code is entered in the dialog.
    page.click("text=Users")
    page.click("#users >> text=Gus Guest")
    page.fill("#primary", "+32 470 12 34 5")  # one digit short: named next to the field
    page.click("#enable-form button")
    assert "cannot be used: not a valid phone number" in page.inner_text("#primary-error")
    page.fill("#primary", "+32 470 12 34 99")
    page.click("#enable-form button")
    page.wait_for_selector("#primary_code")
    assert sms.last.to == GUEST_NUMBER
    page.fill("#primary_code", sms.last.code)
    page.click("form:has(#primary_code) button")
    page.wait_for_selector("#notice")
    assert page.inner_text("#state") == "on"
    admin.shot("guest-enabled")
    clock.advance(seconds=61)

    # Enable it for the trainee, leaving the number to him: he enrols at his next login.
    page.click("text=Users")
    page.click("#users >> text=Tess Trainee")
    page.click("#enable-form button")
    page.wait_for_selector("#notice")
    assert page.inner_text("#state") == "on: the user enters his number at his next login"
    trainee = people["trainee"]
    trainee.login(DEMO_ACCOUNT, "trainee")
    trainee.page.wait_for_url("**/t2m2fa/enrol")
    trainee.page.fill("#phone", "+32 470 12 34 88")
    trainee.page.click("form button[type=submit]")
    trainee.page.wait_for_url("**/t2m2fa/code")
    assert sms.last.to == TRAINEE_NUMBER
    trainee.enter_code(sms.last.code)
    assert "Welcome, Tess Trainee" in trainee.page.inner_text("h1")

    # Unlock a locked user.
    with app.app_context():
        row = db.session.get(UserSettings, str(user_id(app, "user")))
        assert row is not None
        row.locked_at = clock()
        db.session.commit()
    page.click("text=Users")
    page.click("#users >> text=Udo User")
    assert page.inner_text("#state") == "locked"
    page.click("#unlock")
    page.wait_for_selector("#notice")
    assert page.inner_text("#state") == "on"
    admin.shot("unlocked")

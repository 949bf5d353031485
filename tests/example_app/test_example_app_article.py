"""The vendor article (``reference/talk2m-2fa-kb-article.txt``) walked end to end in Chromium,
as the administrator and as users of the example host: policy, enable by typed number with
the code in the dialog, enable left to the user, backup, resend to the same and to the backup
phone, Remember this PC, allow/forbid and N days, Revoke all, Enforced, Disable, enable again,
a new user under "2FA for new users", a promoted administrator who must add a backup.

Each step takes a screenshot (``T2M2FA_SCREENSHOTS=DIR`` keeps them) and checks the sentences
on the page against what is true at that moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import Person, chromium, make_app, served, shots_dir, user_id
from example_app.seed import DEMO_ACCOUNT
from flask import Flask

from doubles import FakeClock, RecordingSender

ADMIN_PRIMARY, UDO_PRIMARY, UDO_BACKUP = "+32470123456", "+32470123458", "+32470123459"
GUS_PRIMARY, GUS_BACKUP = "+32470123499", "+32470123498"
TESS_PRIMARY, TESS_BACKUP = "+32470123488", "+32470123487"
NINA_PRIMARY, NINA_PASSWORD = "+32470123477", "nina-password-5"
NBSP = "\u00a0"


def masked(ends: str) -> str:
    """A masked Belgian mobile number as the pages show it (non-breaking spaces)."""
    return NBSP.join(("+32", "•••", "•••", "•" + ends))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock) -> Flask:
    return make_app(tmp_path, clock)


class Walk:
    """The people of the story, each on his own PC, and the world they share."""

    def __init__(self, app: Flask, browser: Any, base: str, shots: Path, clock: FakeClock):
        self.app, self.clock, self.base = app, clock, base
        self.sms: RecordingSender = app.extensions["sms"]
        self.people = {
            name: Person(browser, base, shots, f"article-{name}")
            for name in ("admin", "udo-pc1", "udo-pc2", "tess", "nina")
        }

    def later(self, **delta: int) -> None:
        """Time passes (at least the 60 s cool-down between two SMS of one user)."""
        self.clock.advance(**(delta or {"seconds": 61}))

    def admin_page(self, name: str) -> Any:
        admin = self.people["admin"]
        admin.go(f"/t2m2fa/admin/users/{user_id(self.app, name)}")
        return admin.page

    def notice(self) -> str:
        page = self.people["admin"].page
        page.wait_for_selector("#notice")
        return str(page.inner_text("#notice"))

    def code_login(self, who: str, user: str, to: str, *, remember: bool = False) -> None:
        person = self.people[who]
        assert person.login(DEMO_ACCOUNT, user), f"{user} was not asked for a code"
        assert self.sms.last.to == to
        person.enter_code(self.sms.last.code, remember=remember)
        self.later()


@pytest.fixture
def walk(app: Flask, tmp_path: Path, clock: FakeClock) -> Iterator[Walk]:
    with served(app) as base, chromium() as browser:
        yield Walk(app, browser, base, shots_dir(tmp_path), clock)


def test_the_vendor_article_end_to_end(walk: Walk) -> None:
    try:
        _story(walk)
    except BaseException:
        for person in walk.people.values():  # what each saw when it failed
            person.shot("failure")
        raise


def _story(walk: Walk) -> None:
    _administrator_logs_in_and_sets_the_policy(walk)
    _enable_by_typed_number_with_the_code_in_the_dialog(walk)
    _enable_left_to_the_user(walk)
    _resend_to_the_same_and_to_the_backup_then_remember_this_pc(walk)
    _forbid_then_allow_for_n_days(walk)
    _revoke_all(walk)
    _enforced(walk)
    _disable_then_enable_again(walk)
    _a_new_user_under_2fa_for_new_users(walk)
    _a_promoted_administrator_must_add_a_backup(walk)


def _administrator_logs_in_and_sets_the_policy(walk: Walk) -> None:
    """Step 1 (account, user, password) and step 2A (Account > Security Policy)."""
    admin = walk.people["admin"]
    assert admin.login(DEMO_ACCOUNT, "admin")
    assert admin.text("#code-status") == f"We sent a code by SMS to {masked('56')}."
    assert "Remember this PC" in admin.text("form[action$='/code']")  # Standard allows it
    admin.shot("code-page")
    admin.enter_code(walk.sms.last_code_for(ADMIN_PRIMARY))
    walk.later()
    admin.page.click("text=Security policy")
    page = admin.page
    assert page.is_checked("input[name=mode][value=standard]")
    assert page.is_checked("input[name=remember_pc_allowed]")
    assert page.is_checked("input[name=expiry][value=never]")  # Standard: allowed, never expires
    admin.shot("policy")


def _enable_by_typed_number_with_the_code_in_the_dialog(walk: Walk) -> None:
    """Step 2B: Users > Properties > Security > Enable, typing the number; then a backup."""
    page, admin = walk.admin_page("guest"), walk.people["admin"]
    assert page.inner_text("#state") == "off"
    page.fill("#primary", "+32 470 12 34 99")
    page.click("#enable-form button")
    assert walk.notice() == f"Two-factor login is on. A code was sent to {masked('99')}."
    assert page.inner_text("#state") == "on: the number waits for its code"
    assert walk.sms.last.to == GUS_PRIMARY
    admin.shot("guest-code-sent")
    page.fill("#primary_code", walk.sms.last.code)  # the user reads it out
    page.click("form:has(#primary_code) button")
    assert walk.notice() == f"{masked('99')} is now the verified primary number."
    assert page.inner_text("#state") == "on"
    walk.later()
    page.fill("#backup-number", "+32 470 12 34 98")
    page.click("#backup-form button")
    assert walk.notice() == f"A code was sent to {masked('98')}."
    page.fill("#backup_code", walk.sms.last_code_for(GUS_BACKUP))
    page.click("form:has(#backup_code) button")
    assert walk.notice() == f"{masked('98')} is now the verified backup number."
    admin.shot("guest-enabled-with-backup")
    walk.later()


def _enable_left_to_the_user(walk: Walk) -> None:
    """Step 2B: "let the user encode and validate his phone number on next login"."""
    page, admin, tess = walk.admin_page("trainee"), walk.people["admin"], walk.people["tess"]
    page.click("#enable-form button")  # no number typed
    said = walk.notice()
    assert said == (
        "Two-factor login is on. The user enters and verifies his number at his next login."
    )
    assert page.inner_text("#state") == "on: the user enters his number at his next login"
    admin.shot("trainee-left-to-him")
    tess.login(DEMO_ACCOUNT, "trainee")
    tess.page.wait_for_url("**/t2m2fa/enrol")
    tess.shot("enrol")
    tess.page.fill("#phone", "+32 470 12 34 88")
    tess.page.click("form button[type=submit]")
    tess.page.wait_for_url("**/t2m2fa/code")
    assert tess.text("#code-status") == f"We sent a code by SMS to {masked('88')}."
    tess.enter_code(walk.sms.last_code_for(TESS_PRIMARY))
    assert "Welcome, Tess Trainee" in tess.text("h1")
    admin.go("/t2m2fa/admin/users")
    row = admin.text("#users tr[data-user='Tess Trainee']")
    assert "never" not in row and "ago)" in row  # her enrolment login is her last code login
    admin.shot("users-after-enrolment")
    walk.later()


def _resend_to_the_same_and_to_the_backup_then_remember_this_pc(walk: Walk) -> None:
    """Step 3 (resend the SMS, same or backup phone) and step 4 (Remember this PC)."""
    udo = walk.people["udo-pc1"]
    assert udo.login(DEMO_ACCOUNT, "user")
    first = walk.sms.last_code_for(UDO_PRIMARY)
    assert udo.page.is_disabled("button.t2m2fa-resend")  # the cool-down is counted down
    walk.later()
    udo.page.reload()
    udo.page.click("text=Resend the SMS")
    assert udo.text("#resend-notice") == (
        f"A new code was sent to {masked('58')}. Codes sent before it no longer work."
    )
    assert walk.sms.last_code_for(UDO_PRIMARY) != first
    udo.shot("resent-same")
    walk.later()
    udo.page.reload()
    udo.page.click("text=Send it to my backup phone")
    assert masked("59") in udo.text("#resend-notice")
    assert udo.text("#code-status") == f"We sent a code by SMS to {masked('59')}."
    assert udo.page.locator("text=Send it to my primary phone").count() == 1  # the other one
    udo.shot("resent-backup")
    udo.enter_code(walk.sms.last_code_for(UDO_BACKUP), remember=True)
    walk.later()
    udo.logout()
    assert not udo.login(DEMO_ACCOUNT, "user")  # this PC stands in for the code
    assert "on a remembered PC: no code was needed" in udo.text(".lead")
    udo.shot("remembered")
    walk.code_login("udo-pc2", "user", UDO_PRIMARY, remember=True)


def _forbid_then_allow_for_n_days(walk: Walk) -> None:
    """Step 4: the administrator forbids Remember this PC, then allows it for 30 days."""
    admin, udo = walk.people["admin"], walk.people["udo-pc1"]
    admin.go("/t2m2fa/admin/policy")
    admin.page.uncheck("input[name=remember_pc_allowed]")
    admin.page.click("#policy-form button[type=submit]")
    said = admin.text("#confirm-text")
    assert "revokes 2 remembered PC(s)" in said, said
    admin.shot("confirm-forbid")
    admin.page.click("#confirm-yes")
    assert walk.notice() == "Policy saved. 2 remembered PC(s) revoked."
    udo.logout()
    assert udo.login(DEMO_ACCOUNT, "user")
    assert udo.page.locator("input[name=remember_pc]").count() == 0  # not offered now
    udo.shot("no-remember-box")
    udo.enter_code(walk.sms.last_code_for(UDO_PRIMARY))
    walk.later()
    admin.page.check("input[name=remember_pc_allowed]")
    admin.page.check("#expiry-days")
    admin.page.fill("#days", "30")
    admin.page.click("#policy-form button[type=submit]")
    assert walk.notice() == "Policy saved."
    admin.shot("allowed-30-days")
    udo.logout()
    walk.code_login("udo-pc1", "user", UDO_PRIMARY, remember=True)
    udo.logout()
    walk.later(days=31)  # "at least every month, the passcode received by text message"
    assert udo.login(DEMO_ACCOUNT, "user")
    udo.shot("expired-after-30-days")
    udo.enter_code(walk.sms.last_code_for(UDO_PRIMARY), remember=True)
    walk.later()
    walk.code_login("udo-pc2", "user", UDO_PRIMARY, remember=True)
    _step_up(walk)  # a month later, the administrator's code is too old for admin pages


def _step_up(walk: Walk) -> None:
    admin = walk.people["admin"]
    admin.go("/t2m2fa/admin/users")
    admin.page.wait_for_url("**/t2m2fa/step-up**")
    admin.shot("step-up")
    admin.page.click("#step-up-send")
    admin.page.fill("#code", walk.sms.last_code_for(ADMIN_PRIMARY))
    admin.page.click("form:has(#code) button")
    admin.page.wait_for_url("**/t2m2fa/admin/users")
    walk.later()


def _revoke_all(walk: Walk) -> None:
    """Step 4, note: "An administrator can revoke all Remember this PC of a user"."""
    page, admin, udo = walk.admin_page("user"), walk.people["admin"], walk.people["udo-pc1"]
    rows = page.locator("#pcs tbody tr")
    assert rows.count() == 3  # pc1's first one expired after 30 days: listed as such
    assert page.locator("#pcs .t2m2fa-expired").count() == 1
    admin.shot("pcs-one-expired")
    page.click("#revoke-all")
    said = admin.text("#confirm-text")
    assert "This revokes 3 remembered PC(s) of Udo User and ends all his sessions" in said
    admin.shot("confirm-revoke-all")
    page.click("#confirm-yes")
    assert walk.notice() == "3 remembered PC(s) revoked."
    udo.go("/")
    udo.page.wait_for_url("**/login**")  # his session ended with them
    assert udo.login(DEMO_ACCOUNT, "user")  # "the text message again on the next logon"
    udo.enter_code(walk.sms.last_code_for(UDO_PRIMARY))
    walk.later()


def _enforced(walk: Walk) -> None:
    """Step 4: Remember this PC is not allowed under the Enforced policy."""
    admin, udo = walk.people["admin"], walk.people["udo-pc1"]
    admin.go("/t2m2fa/admin/policy")
    admin.page.check("input[name=mode][value=enforced]")
    admin.page.click("#policy-form button[type=submit]")
    said = admin.text("#confirm-text")
    assert "ends every session of the account's 3 other user(s), those that entered a code" in said
    admin.shot("confirm-enforced")
    admin.page.click("#confirm-yes")
    assert walk.notice() == "Policy saved."
    udo.go("/")
    udo.page.wait_for_url("**/login**")  # his code session ended too
    assert udo.login(DEMO_ACCOUNT, "user")
    assert udo.page.locator("input[name=remember_pc]").count() == 0
    udo.shot("enforced-code-page")
    udo.enter_code(walk.sms.last_code_for(UDO_PRIMARY))
    walk.later()
    page = walk.admin_page("user")
    assert "cannot be turned off for one" in page.inner_text("#disable-note")
    admin.shot("enforced-no-disable")
    admin.go("/t2m2fa/admin/policy")
    admin.page.check("input[name=mode][value=standard]")
    admin.page.click("#policy-form button[type=submit]")  # nothing destroyed: no question
    assert walk.notice() == "Policy saved."


def _disable_then_enable_again(walk: Walk) -> None:
    page, admin, udo = walk.admin_page("user"), walk.people["admin"], walk.people["udo-pc1"]
    page.click("#disable")
    assert "This turns two-factor login off for Udo User" in admin.text("#confirm-text")
    page.click("#confirm-yes")
    assert walk.notice() == "Two-factor login is off for this user."
    assert page.inner_text("#state") == "off"
    admin.shot("disabled")
    udo.go("/")
    udo.page.wait_for_url("**/login**")
    assert not udo.login(DEMO_ACCOUNT, "user")
    assert "two-factor login is off for you" in udo.text(".lead")
    udo.logout()
    page.click("#enable-form button")  # ENABLE AGAIN: his numbers are used again
    assert walk.notice() == "Two-factor login is on."
    assert page.inner_text("#state") == "on"
    admin.shot("enabled-again")
    walk.code_login("udo-pc1", "user", UDO_PRIMARY)


def _a_new_user_under_2fa_for_new_users(walk: Walk) -> None:
    admin, nina = walk.people["admin"], walk.people["nina"]
    admin.go("/t2m2fa/admin/policy")
    admin.page.check("input[name=enable_for_new_users]")
    admin.page.click("#policy-form button[type=submit]")
    assert walk.notice() == "Policy saved."
    admin.go("/")
    admin.page.click("#host-users-link")
    admin.page.fill("#username", "nina")
    admin.page.fill("#full_name", "Nina New")
    admin.page.fill("#password", NINA_PASSWORD)
    admin.page.click("#new-user button[type=submit]")
    assert (
        "User nina created: two-factor login is on; at the first login the user enters and "
        "verifies a number."
    ) in admin.text(".alert")
    admin.shot("nina-created")
    nina.login(DEMO_ACCOUNT, "nina", NINA_PASSWORD)
    nina.page.wait_for_url("**/t2m2fa/enrol")
    nina.page.fill("#phone", "+32 470 12 34 77")
    nina.page.click("form button[type=submit]")
    nina.page.wait_for_url("**/t2m2fa/code")
    nina.enter_code(walk.sms.last_code_for(NINA_PRIMARY))
    assert "password and a code sent by SMS" in nina.text(".lead")
    nina.shot("nina-home")
    walk.later()


def _a_promoted_administrator_must_add_a_backup(walk: Walk) -> None:
    admin, tess = walk.people["admin"], walk.people["tess"]
    admin.go("/users")
    admin.page.click("#host-users tr[data-user=trainee] button")
    assert "trainee is now an administrator: an administrator also needs" in admin.text(".alert")
    admin.shot("trainee-promoted")
    tess.go("/")
    tess.page.wait_for_url("**/login**")  # the promotion ended his sessions
    assert tess.login(DEMO_ACCOUNT, "trainee")
    tess.page.fill("#code", walk.sms.last_code_for(TESS_PRIMARY))
    tess.page.click("form[action$='/code'] button")
    tess.page.wait_for_url("**/t2m2fa/enrol")
    assert "Register a backup phone" in tess.text("h1")
    tess.shot("backup-required")
    tess.page.fill("#phone", "+32 470 12 34 87")
    tess.page.click("form button[type=submit]")
    tess.page.wait_for_url("**/t2m2fa/code")
    tess.enter_code(walk.sms.last_code_for(TESS_BACKUP))
    assert "Administration" in tess.text("main")
    tess.shot("promoted-home")

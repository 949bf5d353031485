"""Every page of the extension in the example host, in Chromium: no horizontal overflow at
1280 and 390 px, no serious or critical axe-core violation, masked numbers on one line; and a
keyboard-only walk (Tab and Enter) through login, code, resend and one admin action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    WIDTHS,
    Person,
    axe_blocking,
    chromium,
    make_app,
    overflow,
    served,
    shots_dir,
    user_id,
)
from example_app.seed import DEMO_ACCOUNT
from flask import Flask

from doubles import FakeClock, RecordingSender


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock) -> Flask:
    return make_app(tmp_path, clock)


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    with served(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def check(person: Person, label: str, problems: list[str]) -> None:
    """The page now shown, at each width: no overflow, numbers unbroken; axe at full width."""
    page = person.page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        extra = overflow(page)
        if extra > 0:
            problems.append(f"{label} @{width}px: {extra}px wider than the window")
        broken = page.evaluate(
            "() => [...document.querySelectorAll('.t2m2fa-phone')]"
            ".filter(e => e.getClientRects().length > 1).map(e => e.textContent)"
        )
        if broken:
            problems.append(f"{label} @{width}px: a number breaks across lines: {broken}")
        person.shot(f"{label}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    problems.extend(f"{label}: {line}" for line in axe_blocking(page))


def test_every_page_fits_both_widths_and_passes_axe(
    app: Flask, site: str, browser: Any, tmp_path: Path, clock: FakeClock
) -> None:
    sms: RecordingSender = app.extensions["sms"]
    shots, problems = shots_dir(tmp_path), []
    user = Person(browser, site, shots, "pages-user")
    user.go("/login")
    check(user, "login", problems)
    assert user.login(DEMO_ACCOUNT, "user")
    check(user, "code", problems)
    user.enter_code(sms.last.code)
    check(user, "home", problems)
    user.go("/t2m2fa/security")
    check(user, "security", problems)
    user.go("/t2m2fa/admin/users")  # not an administrator: the extension's message page
    check(user, "forbidden", problems)

    admin = Person(browser, site, shots, "pages-admin")
    clock.advance(seconds=61)
    assert admin.login(DEMO_ACCOUNT, "admin")
    admin.enter_code(sms.last.code)
    pages: dict[str, Callable[[], None]] = {
        "policy": lambda: admin.go("/t2m2fa/admin/policy"),
        "users": lambda: admin.go("/t2m2fa/admin/users"),
        "user": lambda: admin.go(f"/t2m2fa/admin/users/{user_id(app, 'user')}"),
        "user-off": lambda: admin.go(f"/t2m2fa/admin/users/{user_id(app, 'guest')}"),
        "audit": lambda: admin.go("/t2m2fa/admin/audit"),
        "host-users": lambda: admin.go("/users"),
    }
    for label, show in pages.items():
        show()
        check(admin, label, problems)
    admin.go(f"/t2m2fa/admin/users/{user_id(app, 'user')}")
    admin.page.click("#disable")
    admin.page.wait_for_selector("#confirm")
    check(admin, "confirm", problems)
    clock.advance(minutes=16)  # the admin step-up window is over
    admin.go("/t2m2fa/admin/users")
    admin.page.wait_for_url("**/t2m2fa/step-up**")
    check(admin, "step-up", problems)

    trainee = Person(browser, site, shots, "pages-trainee")
    app.test_cli_runner().invoke(args=["t2m2fa", "user", "enable", "trainee"])
    clock.advance(seconds=61)
    trainee.login(DEMO_ACCOUNT, "trainee")
    trainee.page.wait_for_url("**/t2m2fa/enrol")
    check(trainee, "enrol", problems)
    assert not problems, "\n".join(problems)


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until ``selector`` has the focus (a keyboard user's way there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_keyboard_only_login_code_resend_and_an_admin_action(
    app: Flask, site: str, browser: Any, tmp_path: Path, clock: FakeClock
) -> None:
    sms: RecordingSender = app.extensions["sms"]
    admin = Person(browser, site, shots_dir(tmp_path), "keyboard")
    page, keys = admin.page, admin.page.keyboard
    admin.go("/login")
    for selector, text in (("#account", DEMO_ACCOUNT), ("#username", "admin"),
                           ("#password", "pw-admin-1")):  # fmt: skip
        _tab_to(page, selector)
        keys.type(text)
    keys.press("Enter")
    page.wait_for_url("**/t2m2fa/code")
    first = sms.last.code
    clock.advance(seconds=61)
    page.reload()  # the countdown is over: the resend buttons are enabled
    _tab_to(page, "button.t2m2fa-resend")
    keys.press("Enter")
    page.wait_for_selector("#resend-notice")
    assert sms.last.code != first and "A new code was sent" in admin.text("#resend-notice")
    _tab_to(page, "#code")
    keys.type(sms.last.code)
    keys.press("Enter")
    page.wait_for_url(site + "/")
    admin.go(f"/t2m2fa/admin/users/{user_id(app, 'user')}")
    _tab_to(page, "#disable")
    keys.press("Enter")
    page.wait_for_selector("#confirm")
    _tab_to(page, "#confirm-yes")
    keys.press("Enter")
    page.wait_for_selector("#notice")
    assert admin.text("#state") == "off"
    assert "Two-factor login is off for this user." in admin.text("#notice")
    admin.shot("done")

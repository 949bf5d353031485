"""The example host in a real browser: Debian's Chromium driven by Playwright, on a served app
with a fake clock, and the checks every page of the extension must pass (no horizontal
overflow at 1280 and 390 px, no serious or critical axe-core violation).

The tests skip without Playwright or without ``/usr/bin/chromium`` (CI installs both).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from example_app.seed import seed_demo_data
from flask import Flask
from werkzeug.serving import make_server

from doubles import FakeClock, RecordingSender
from example_app import User, create_app, db, init_database

PASSWORDS = {
    "admin": "pw-admin-1",
    "user": "pw-user-2",
    "other-admin": "pw-other-3",
    "trainee": "pw-trainee-4",
}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = (1280, 390)
#: axe-core's impacts that fail a page.
BLOCKING = ("serious", "critical")


def make_app(tmp_path: Path, clock: FakeClock) -> Flask:
    """The example host seeded with the demo data, on a SQLite file, sending to a recorder."""
    sms = RecordingSender(clock)
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-of-the-example-app-0123456789",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'example.sqlite3'}",
        "EXAMPLE_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "T2M2FA_REMEMBER_COOKIE_SECURE": False,
        "T2M2FA_LOGIN_VIEW": "site.login",
        "T2M2FA_RECOVERY_HASH_MEMORY_KIB": 8,  # the argon2 floor: fast tests
    }
    app = create_app(settings, instance_path=str(tmp_path), sender=sms, clock=clock)
    app.extensions["sms"] = sms
    init_database(app)
    with app.app_context():
        seed_demo_data(PASSWORDS)
    return app


def user_id(app: Flask, name: str) -> int:
    with app.app_context():
        return int(db.session.scalars(sa.select(User.id).filter_by(username=name)).one())


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """``app`` on 127.0.0.1 (a free port) in a thread; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium, or the test skips."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shots_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``T2M2FA_SCREENSHOTS`` (to keep and read them), else tmp_path."""
    chosen = os.environ.get("T2M2FA_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Person:
    """One browser context (one PC) of a demo user."""

    def __init__(self, browser: Any, base: str, shots: Path, name: str, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base, self.shots, self.name = base, shots, name
        self.step = 0

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def login(self, account: str, user: str, password: str | None = None) -> bool:
        """Log in with the password (logging out first); True when a code is asked for."""
        self.go("/login")
        if "/login" not in self.page.url:  # still logged in: the login page sent him home
            self.logout()
        self.page.fill("#account", account)
        self.page.fill("#username", user)
        self.page.fill("#password", password or PASSWORDS[user])
        self.page.click("form button[type=submit]")
        self.page.wait_for_load_state()
        return "/t2m2fa/code" in self.page.url

    def enter_code(self, code: str, *, remember: bool = False) -> None:
        self.page.fill("#code", code)
        if remember:
            self.page.check("input[name=remember_pc]")
        self.page.click("form[action$='/code'] button")
        self.page.wait_for_url(self.base + "/")

    def logout(self) -> None:
        self.page.click("header form button")
        self.page.wait_for_url("**/login")

    def shot(self, label: str) -> Path:
        """A full-page screenshot, numbered in the order taken."""
        self.step += 1
        path = self.shots / f"{self.name}-{self.step:02d}-{label}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def text(self, selector: str) -> str:
        return str(self.page.inner_text(selector))


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scroll)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


def axe_blocking(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response.get("violations", [])
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v.get("impact") in BLOCKING
    ]

"""The demo in Polish, a language GSM-7 cannot carry: pages, the code SMS and a notice, read on
the demo phone after the loopback modem put them together (UCS-2, one and two SMS).

One walk over HTTP (always), and the same walk in headless Chromium with screenshots when
Playwright and ``/usr/bin/chromium`` are installed.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import time
from pathlib import Path

import pytest
import test_example_app_demo as demo_tests
from test_example_app_demo import SMS_TIMEOUT, Browser, Demo

#: The running demo, started as test_example_app_demo.py starts it.
demo = demo_tests.demo
POLISH = "pl-PL,pl;q=0.9,en;q=0.5"
CHROMIUM = Path("/usr/bin/chromium")
CARD_RE = re.compile(r'<span class="encoding">([^<]*)</span>.*?<p class="text">([^<]*)</p>', re.S)


def phone_cards(browser: Browser, count: int) -> list[tuple[str, str]]:
    """``(encoding line, text)`` of the newest SMS on the demo phone, once ``count`` came."""
    deadline = time.monotonic() + SMS_TIMEOUT
    while time.monotonic() < deadline:
        cards = [(e, html.unescape(t)) for e, t in CARD_RE.findall(browser.get("/demo/phone"))]
        if len(cards) >= count:
            return cards
        time.sleep(0.2)
    pytest.fail(f"fewer than {count} SMS reached the demo phone")


def test_the_demo_in_polish_over_http(demo: Demo) -> None:
    logins = json.loads((demo.state_dir / "demo-logins.json").read_text())
    browser = Browser(demo.url)
    browser.opener.addheaders = [("Accept-Language", POLISH)]
    fields = {"account": "demo-account", "username": "user", "password": logins["user"]}
    page = browser.submit("/login?next=/", fields)
    assert '<html lang="pl">' in page and "Wpisz swój kod" in page
    ((encoding, text),) = phone_cards(browser, 1)
    assert encoding == "UCS-2 · 1 SMS" and "ważny 5 min. Nie podawaj." in text
    code = re.search(r"\b(\d{4})\b", text)
    assert code is not None
    home = browser.submit("/t2m2fa/code", {"code": code.group(1), "remember_pc": "y"})
    assert browser.url == demo.url and "Welcome" in home
    notice, _ = phone_cards(browser, 2)  # newest first
    assert notice[0] == "UCS-2 · 2 SMS"
    assert "zapamiętano nowy komputer dla Twojego konta" in notice[1]
    assert "Zapamiętane komputery" in browser.get("/t2m2fa/security")


def test_the_demo_in_polish_in_chromium(demo: Demo, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    logins = json.loads((demo.state_dir / "demo-logins.json").read_text())
    shots = tmp_path / "screenshots"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = chromium.new_context(
            locale="pl-PL", extra_http_headers={"Accept-Language": POLISH}
        )
        page, phone = context.new_page(), context.new_page()
        page.goto(demo.url)
        page.fill("#account", "demo-account")
        page.fill("#username", "user")
        page.fill("#password", logins["user"])
        page.click("button[type=submit]")
        page.wait_for_selector("#code")
        assert "Wpisz swój kod" in page.inner_text("main")
        page.screenshot(path=str(shots / "code-page.png"), full_page=True)

        phone.goto(demo.url + "demo/phone")
        first = phone.locator("p.text").first
        first.wait_for(timeout=SMS_TIMEOUT * 1000)
        code = re.search(r"\b(\d{4})\b", first.inner_text())
        assert code is not None and "Nie podawaj" in first.inner_text()
        phone.screenshot(path=str(shots / "phone-code.png"), full_page=True)

        page.fill("#code", code.group(1))
        page.check("#remember_pc")
        page.click("form[action='/t2m2fa/code'] button[type=submit]")
        page.wait_for_url(demo.url)
        deadline = time.monotonic() + SMS_TIMEOUT
        while phone.locator("p.text").count() < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
            # The page's own 3 s refresh may come first: the browser aborts this reload then.
            with contextlib.suppress(sync_api.Error):
                phone.reload()
        assert "zapamiętano nowy komputer" in phone.locator("p.text").first.inner_text()
        assert "UCS-2 · 2 SMS" in phone.locator(".encoding").first.inner_text()
        phone.screenshot(path=str(shots / "phone-notice.png"), full_page=True)

        page.goto(demo.url + "t2m2fa/security")
        assert "Twoje telefony" in page.inner_text("main")
        page.screenshot(path=str(shots / "security-page.png"), full_page=True)
        chromium.close()
    assert len(list(shots.glob("*.png"))) == 4

"""Recovery codes walked in Chromium on the example host (issue 23): generate them on the
Security page, log in with one from the code page, see "9 left", generate a new set; each new
page fits both widths and passes axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import Person, chromium, make_app, served, shots_dir
from example_app.seed import DEMO_ACCOUNT
from flask import Flask
from test_example_app_pages import check

from doubles import FakeClock, RecordingSender

CODE_RE = re.compile(r"[2-9a-z]{5}-[2-9a-z]{5}")


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


def test_generate_log_in_with_one_see_nine_left_regenerate(
    app: Flask, site: str, browser: Any, tmp_path: Path, clock: FakeClock
) -> None:
    sms: RecordingSender = app.extensions["sms"]
    problems: list[str] = []
    user = Person(browser, site, shots_dir(tmp_path), "recovery")
    assert user.login(DEMO_ACCOUNT, "user")
    user.enter_code(sms.last.code)
    user.go("/t2m2fa/security")
    user.page.click("#generate-recovery-codes button")
    user.page.wait_for_selector("#recovery-codes")
    check(user, "recovery-codes", problems)
    codes = CODE_RE.findall(user.text("#recovery-codes"))
    assert len(set(codes)) == 10
    href = user.page.get_attribute("#download-recovery-codes", "href") or ""
    assert (
        href.startswith("data:text/plain")
        and user.page.get_attribute("#download-recovery-codes", "download") == "recovery-codes.txt"
    )
    user.page.click("#saved-recovery-codes")
    user.page.wait_for_url("**/t2m2fa/security")
    assert "You have 10 recovery codes left." in user.text("#recovery-left")

    clock.advance(seconds=61)
    assert user.login(DEMO_ACCOUNT, "user")
    user.page.click("#use-recovery-code")
    user.page.wait_for_url("**/t2m2fa/recovery")
    check(user, "recovery", problems)
    user.page.fill("#code", codes[0].upper())
    user.page.click("form[action$='/recovery'] button")
    user.page.wait_for_url("**/t2m2fa/security")
    assert "9 left" in user.text("#security-notice")
    assert "You have 9 recovery codes left." in user.text("#recovery-left")
    user.page.click("#generate-recovery-codes button")
    user.page.wait_for_selector("#recovery-codes")
    assert not set(CODE_RE.findall(user.text("#recovery-codes"))) & set(codes)
    assert not problems, "\n".join(problems)

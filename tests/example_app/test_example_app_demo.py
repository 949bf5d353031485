"""End to end: ``python -m example_app`` with its loopback modem and gateway worker, over HTTP.

A user logs in with password, reads the SMS on the demo phone page, enters the code and reaches
the landing page; Ctrl-C then stops the whole stack.
"""

from __future__ import annotations

import html
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Generous: two cores shared with other test runs; the stack needs a few seconds.
START_TIMEOUT = 60.0
SMS_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
CSRF_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
SMS_RE = re.compile(r'<p class="text">([^<]*)</p>')
CODE_RE = re.compile(r"\b([0-9]{4})\b")


@dataclass
class Demo:
    process: subprocess.Popen[str]
    state_dir: Path
    metrics_port: int
    url: str = ""
    output: list[str] = field(default_factory=list)


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    # Drains the pipe so the demo (and its worker's log) never blocks on a full pipe.
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)


def _wait_for_banner(demo: Demo, lines: queue.Queue[str]) -> str:
    """Collect the start-up banner; return the web app's URL from it."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if demo.process.poll() is not None:
                break
            continue
        demo.output.append(line)
        if "Press Ctrl-C to stop." in line:
            match = re.search(r"Web app:\s+(http://127\.0\.0\.1:\d+/)", "".join(demo.output))
            assert match is not None
            return match.group(1)
    pytest.fail("the demo did not start:\n" + "".join(demo.output))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    state_dir = tmp_path / "demo"
    command = [sys.executable, "-m", "example_app", "--port", "0", "--state-dir", str(state_dir)]
    with socket.socket() as probe:  # a free port for the worker's metrics
        probe.bind(("127.0.0.1", 0))
        metrics_port = probe.getsockname()[1]
    command += ["--metrics-port", str(metrics_port)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    pump = threading.Thread(target=_pump, args=(process, lines), daemon=True)
    pump.start()
    running = Demo(process, state_dir, metrics_port)
    try:
        running.url = _wait_for_banner(running, lines)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            pump.join(timeout=STOP_TIMEOUT)  # EOF once the worker, which shares the pipe, is gone
            assert process.stdout is not None
            process.stdout.close()
        while not lines.empty():
            running.output.append(lines.get())


class Browser:
    """Just enough of a browser: cookies, redirects, forms with a CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.url = base

    def get(self, path: str) -> str:
        with self.opener.open(urllib.parse.urljoin(self.base, path), timeout=30) as answer:
            self.url = answer.geturl()
            return str(answer.read().decode())

    def submit(self, path: str, fields: dict[str, str]) -> str:
        """GET the form page, then POST ``fields`` with its CSRF token; follow redirects."""
        token = CSRF_RE.search(self.get(path))
        assert token is not None, f"no CSRF token on {path}"
        body = urllib.parse.urlencode({**fields, "csrf_token": html.unescape(token.group(1))})
        url = urllib.parse.urljoin(self.base, path)
        with self.opener.open(url, data=body.encode(), timeout=30) as answer:
            self.url = answer.geturl()
            return str(answer.read().decode())


def _read_code_on_phone_page(browser: Browser) -> str:
    deadline = time.monotonic() + SMS_TIMEOUT
    while time.monotonic() < deadline:
        texts = SMS_RE.findall(browser.get("/demo/phone"))
        if texts:
            match = CODE_RE.search(html.unescape(texts[0]))  # newest first
            assert match is not None, texts[0]
            return match.group(1)
        time.sleep(0.2)  # the worker sends in another process: poll the page like a person
    pytest.fail("no SMS reached the demo phone")


def test_demo_login_with_code_read_on_the_phone_page(demo: Demo) -> None:
    logins = json.loads((demo.state_dir / "demo-logins.json").read_text())
    browser = Browser(demo.url)
    assert browser.get("/").count('name="password"') == 1  # the landing page needs a login

    fields = {"account": "demo-account", "username": "admin", "password": logins["admin"]}
    page = browser.submit("/login?next=/", fields)
    assert browser.url.endswith("/t2m2fa/code")
    assert "/demo/phone" in page  # the demo links its phone page from the code page

    code = _read_code_on_phone_page(browser)
    home = browser.submit("/t2m2fa/code", {"code": code})
    assert browser.url == demo.url
    assert "Welcome, Ada Admin" in home

    # While the demo runs, the worker's metrics are on 127.0.0.1 (named in the banner).
    metrics_url = f"http://127.0.0.1:{demo.metrics_port}/metrics"
    assert metrics_url in "".join(demo.output)
    with urllib.request.urlopen(metrics_url, timeout=30) as answer:
        metrics = answer.read().decode()
    assert re.search(r'^gateway_sends_total\{[^}]*outcome="sent"[^}]*\} 1\.0$', metrics, re.M)

    worker = re.search(r"Gateway worker:\s+pid (\d+)", "".join(demo.output))
    assert worker is not None
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=STOP_TIMEOUT) == 0
    assert not Path(f"/proc/{worker.group(1)}").exists()  # Ctrl-C stopped the worker too


def _secrets_in(directory: Path, needles: dict[str, bytes]) -> list[str]:
    """``file: what`` for each needle found in the raw bytes of any file under ``directory``."""
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.name}: {what}" for what, needle in needles.items() if needle in data]
    return found


def test_running_demo_keeps_no_code_and_no_number_in_its_state_files(demo: Demo) -> None:
    """Issue 8.5: database, WAL, journal, keys, logins: no code and no full number in clear."""
    logins = json.loads((demo.state_dir / "demo-logins.json").read_text())
    browser = Browser(demo.url)
    fields = {"account": "demo-account", "username": "admin", "password": logins["admin"]}
    browser.submit("/login?next=/", fields)
    code = _read_code_on_phone_page(browser)  # the SMS went out: its row was sent and redacted
    needles: dict[str, bytes] = {"the SMS text": f"code is {code}".encode()}
    for number in ("+32470123456", "+32470123457"):  # the admin's primary and backup phones
        national = "0" + number[3:]
        for shown in (number, number[1:], national):
            needles[shown] = shown.encode()
    assert _secrets_in(demo.state_dir, needles) == []  # while the stack runs, WAL not merged

    assert "Welcome, Ada Admin" in browser.submit("/t2m2fa/code", {"code": code})
    assert _secrets_in(demo.state_dir, needles) == []
    database_files = list(demo.state_dir.glob("example.sqlite3*"))
    assert {p.name for p in database_files} >= {"example.sqlite3", "example.sqlite3-wal"}
    assert {oct(p.stat().st_mode & 0o777) for p in database_files} == {"0o600"}
    assert oct((demo.state_dir / "outbox.key").stat().st_mode & 0o777) == "0o600"


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BRAND_BLUE = "rgb(11, 107, 203)"


def test_demo_in_a_real_browser(demo: Demo, tmp_path: Path) -> None:
    """Headless Chromium logs in through the pages a person sees; screenshots in ``tmp_path``."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    logins = json.loads((demo.state_dir / "demo-logins.json").read_text())
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.set_default_timeout(30_000)
            page.goto(demo.url + "login")
            # The stylesheet is served and applied.
            button = page.locator("button[type=submit]")
            assert button.evaluate("b => getComputedStyle(b).backgroundColor") == BRAND_BLUE
            page.screenshot(path=tmp_path / "login.png", full_page=True)

            page.fill("#account", "demo-account")
            page.fill("#username", "user")
            page.fill("#password", logins["user"])
            button.click()
            page.wait_for_url("**/t2m2fa/code")
            status = page.inner_text("#code-status")  # the masked number of the primary phone
            assert status.startswith("We sent a code by SMS to +32") and "58" in status
            page.screenshot(path=tmp_path / "code.png", full_page=True)

            with page.context.expect_page() as opened:
                page.click("text=Open the demo phone")  # opens in its own tab
            phone = opened.value
            phone.wait_for_selector(".sms .text", timeout=SMS_TIMEOUT * 1000)
            phone.screenshot(path=tmp_path / "phone.png", full_page=True)
            match = CODE_RE.search(phone.inner_text(".sms .text"))
            assert match is not None

            page.fill("#code", match.group(1))
            page.click("form[action$='/code'] button")
            page.wait_for_url(demo.url)
            assert "Welcome, Udo User" in page.inner_text("h1")
        finally:
            browser.close()


def _sms_on_phone(phone: object, *, to_ends: str, contains: str, seen: str = "") -> str:
    """The newest SMS on the demo phone page to a number ending ``to_ends`` holding ``contains``.

    The phone page is reloaded until it arrives (the gateway worker delivers it on its own).
    The page also refreshes itself every 3 s: a reload or a read that meets that navigation is
    aborted by the browser ("frame was detached", "context was destroyed"), and simply retried.
    """
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + SMS_TIMEOUT
    while time.monotonic() < deadline:
        try:
            phone.reload()  # type: ignore[attr-defined]
            for item in phone.query_selector_all(".sms"):  # type: ignore[attr-defined]
                to = item.query_selector(".meta span").inner_text()
                text = item.query_selector(".text").inner_text()
                if to.endswith(to_ends) and contains in text and text != seen:
                    return str(text)
        except PlaywrightError:
            pass  # the page's own refresh came first: look again
        phone.wait_for_timeout(500)  # type: ignore[attr-defined]
    pytest.fail(f"no SMS to …{to_ends} with {contains!r} on the demo phone")


def _log_in_with_code(
    page: object, phone: object, demo: Demo, password: str, ends: str, seen: str = ""
) -> None:
    """Log the demo user in, reading the code sent to the number ending ``ends``."""
    page.goto(demo.url + "login")  # type: ignore[attr-defined]
    page.fill("#account", "demo-account")  # type: ignore[attr-defined]
    page.fill("#username", "user")  # type: ignore[attr-defined]
    page.fill("#password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/t2m2fa/code")  # type: ignore[attr-defined]
    status = page.inner_text("#code-status")  # type: ignore[attr-defined]
    assert f"•{ends}" in status, status
    if not status.startswith("We sent a code"):  # the number's 1-minute cool-down: resend then
        resend = "form[action$='/resend'] input[value=primary] ~ button:enabled"
        page.click(resend, timeout=(SMS_TIMEOUT + 30) * 1000)  # type: ignore[attr-defined]
        page.wait_for_selector("#resend-notice")  # type: ignore[attr-defined]
    text = _sms_on_phone(phone, to_ends=ends, contains="login code", seen=seen)
    match = CODE_RE.search(text)
    assert match is not None
    page.fill("#code", match.group(1))  # type: ignore[attr-defined]
    page.click("form[action$='/code'] button")  # type: ignore[attr-defined]
    page.wait_for_url(demo.url)  # type: ignore[attr-defined]


def test_demo_user_changes_his_primary_number_in_a_real_browser(
    demo: Demo, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Change the primary number on the Security page; the new number gets the code, the old
    one the notice; the next login goes to the new number. Screenshots on failure."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    password = json.loads((demo.state_dir / "demo-logins.json").read_text())["user"]
    new_number = "+32470999911"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pages: list[object] = []
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 900})
            context.set_default_timeout(30_000)
            page, phone = context.new_page(), context.new_page()
            phone.goto(demo.url + "demo/phone")
            pages += [page, phone]
            _log_in_with_code(page, phone, demo, password, "58")

            page.click("#security-link")
            page.wait_for_url("**/t2m2fa/security")
            page.select_option("#role", "primary")
            page.fill("#phone", new_number)
            page.click("#change-phone button")
            page.wait_for_selector("#confirm-phone")
            code_sms = _sms_on_phone(phone, to_ends="11", contains="login code")
            match = CODE_RE.search(code_sms)
            assert match is not None
            page.fill("#confirm-phone #code", match.group(1))
            page.click("#confirm-phone button")
            page.wait_for_selector("#security-notice")
            assert "is now +32" in page.inner_text("#security-notice")
            notice = _sms_on_phone(phone, to_ends="58", contains="number for your account")
            assert "999911" not in notice and match.group(1) not in notice

            second = browser.new_context().new_page()  # a fresh browser: no session
            second.set_default_timeout(30_000)
            pages.append(second)
            _log_in_with_code(second, phone, demo, password, "11", seen=code_sms)
            assert "Welcome, Udo User" in second.inner_text("h1")
        except BaseException:
            for n, shown in enumerate(pages):
                where = tmp_path / f"failed-{n}.png"
                shown.screenshot(path=where, full_page=True)  # type: ignore[attr-defined]
            print(f"screenshots in {tmp_path}")
            raise
        finally:
            browser.close()


def _banner_command(demo: Demo, label: str) -> str:
    """The shell command the banner prints after ``label`` (e.g. ``Admin CLI:``)."""
    match = re.search(rf"{re.escape(label)}\s+(?:or run: )?(.+)$", "".join(demo.output), re.M)
    assert match is not None, "".join(demo.output)
    return match.group(1).strip()


PROGRAMS = ("flask", "t2m2fa-gateway")


def _as_run_from_root(program: Path) -> str:
    relative = os.path.relpath(program, ROOT)
    return relative if not relative.startswith("..") else str(program)


def test_banner_commands_run_as_printed(demo: Demo) -> None:
    """From the directory the demo was started in, with no virtualenv on PATH."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    admin = _banner_command(demo, "Admin CLI:")
    inbox = _banner_command(demo, "(SMS codes arrive here)\n")
    # The programs of the interpreter running the demo: .venv/bin/ from a fresh clone,
    # .venv-3.13/bin/ under PYTHON=..., an absolute path for a venv outside the checkout.
    flask, gateway = (_as_run_from_root(Path(sys.executable).with_name(p)) for p in PROGRAMS)
    assert admin.startswith(f"DEMO_STATE_DIR={demo.state_dir} {flask} ")
    assert inbox.startswith(f"{gateway} inbox ")
    outputs = []
    for command in (admin, inbox):
        done = subprocess.run(
            command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
    assert "Ada Admin id=1" in outputs[0] and "Udo User id=2" in outputs[0]


def test_demo_cli_refuses_a_state_dir_without_a_database(tmp_path: Path) -> None:
    """No traceback, and nothing created where no demo ran."""
    empty = tmp_path / "never-started"
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "example_app.demo:cli_app", "t2m2fa", "user", "list"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEMO_STATE_DIR": str(empty)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"no demo database with tables at {empty}/example.sqlite3" in done.stderr
    assert "Traceback" not in done.stderr
    assert not empty.exists()


#: Where ``./dev.sh screenshots`` has the next test write the README's pictures.
SCREENSHOTS_DIR = "T2M2FA_SCREENSHOTS_DIR"


def test_screenshots_of_the_code_page_and_the_admin_users_page(demo: Demo, tmp_path: Path) -> None:
    """The README's two pictures, taken in headless Chromium (committed from docs/_static)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    target = Path(os.environ.get(SCREENSHOTS_DIR) or tmp_path)
    password = json.loads((demo.state_dir / "demo-logins.json").read_text())["admin"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 640})
            page.set_default_timeout(30_000)
            page.goto(demo.url + "login")
            page.fill("#account", "demo-account")
            page.fill("#username", "admin")
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url("**/t2m2fa/code")
            assert page.inner_text("#code-status").startswith("We sent a code by SMS to +32")
            page.screenshot(path=target / "code-page.png")
            browser_page = Browser(demo.url)  # the code, as the user reads it on his phone
            code = _read_code_on_phone_page(browser_page)
            page.fill("#code", code)
            page.click("form[action$='/code'] button")
            page.wait_for_url(demo.url)
            page.goto(demo.url + "t2m2fa/admin/users")
            assert "Udo User" in page.inner_text("body")
            page.screenshot(path=target / "admin-users.png", full_page=True)
        finally:
            browser.close()
    for name in ("code-page.png", "admin-users.png"):
        assert (target / name).read_bytes().startswith(b"\x89PNG"), name

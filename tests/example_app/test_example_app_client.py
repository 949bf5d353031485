"""The terminal client (``python -m example_app.client``) in a pty, against the running demo.

Real HTTP on 127.0.0.1, the loopback modem and the gateway worker of ``python -m example_app``:
first login with the code read from the loopback modem, second login with the remembered PC,
then the administrator switches the account to Enforced and the third login needs a code again.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

import pexpect
import pytest
import sqlalchemy as sa
import test_example_app_demo as demo_tests
from example_app.demo import DemoPaths, demo_app
from example_app.extensions import db, two_factor
from example_app.models import Account
from example_app.seed import DEMO_ACCOUNT
from test_example_app_demo import ROOT, SMS_TIMEOUT, Demo

from flask_t2m2fa.testing import Sms
from gateway.fake import DeliveredMessage, Inbox

#: The running demo, started as test_example_app_demo.py starts it.
demo = demo_tests.demo
USER_PHONE = "+32470123458"  # the demo user's primary number
TIMEOUT = 60


class Terminal:
    """The client run in a pseudo-terminal, with its own config directory."""

    def __init__(self, config_home: Path) -> None:
        self.env = {**os.environ, "XDG_CONFIG_HOME": str(config_home)}
        self.transcript = io.StringIO()

    def spawn(self, *args: str) -> pexpect.spawn:
        return pexpect.spawn(
            sys.executable,
            ["-m", "example_app.client", *args],
            cwd=str(ROOT),
            env=self.env,
            encoding="utf-8",
            timeout=TIMEOUT,
            logfile=self.transcript,
        )

    def login(self, stack: Demo, password: str) -> pexpect.spawn:
        child = self.spawn(
            "login", "--server", stack.url, "--account", DEMO_ACCOUNT, "--username", "user"
        )
        child.expect("Password: ")
        child.sendline(password)
        return child

    def finish(self, child: pexpect.spawn) -> int:
        child.expect(pexpect.EOF)
        child.close()
        assert "Traceback" not in self.transcript.getvalue()
        return int(child.exitstatus)


def code_sms(stack: Demo) -> list[DeliveredMessage]:
    """The code SMS the loopback modem delivered to the demo user (the demo also sends him a
    notice when a PC is remembered)."""
    inbox = Inbox(DemoPaths(stack.state_dir).fake_modem)
    return [m for m in inbox.messages() if m.to == USER_PHONE and "login code" in m.text]


def code_of_sms(stack: Demo, number: int) -> str:
    """The code of the ``number``-th code SMS the loopback modem delivered to the demo user."""
    deadline = time.monotonic() + SMS_TIMEOUT
    while len(found := code_sms(stack)) < number:
        assert time.monotonic() < deadline, f"fewer than {number} code SMS delivered"
        time.sleep(0.05)
    return Sms(USER_PHONE, found[number - 1].text, found[number - 1].received_at, "login").code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}"


def set_enforced(stack: Demo) -> None:
    """The administrator's switch, with the extension's API on the demo's database."""
    app = demo_app(DemoPaths(stack.state_dir))
    with app.app_context():
        account_id = db.session.scalars(sa.select(Account.id).filter_by(name=DEMO_ACCOUNT)).one()
        two_factor.set_policy(account_id, mode="enforced")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def stack(demo: Demo) -> Demo:
    """The running demo (the fixture of test_example_app_demo.py)."""
    return demo


def test_three_logins_code_then_remembered_pc_then_enforced(stack: Demo, tmp_path: Path) -> None:
    password = json.loads((stack.state_dir / "demo-logins.json").read_text())["user"]
    terminal = Terminal(tmp_path / "config")
    tokens = tmp_path / "config" / "t2m2fa-client" / "tokens.json"

    # 1. Password, then the code read on the loopback modem; a wrong one first.
    child = terminal.login(stack, password)
    child.expect(r"We sent a code by SMS to \+32 [• ]*58\.")
    child.expect(r"Remember this PC .*\? \[y/N\] ")
    child.sendline("y")
    child.expect("Code from the SMS")
    code = code_of_sms(stack, 1)
    child.sendline(wrong(code))
    child.expect("Wrong code. 2 attempts left for this code.")
    child.sendline(code)
    child.expect("This PC is remembered")
    child.expect("Logged in as user")
    assert terminal.finish(child) == 0
    assert oct(tokens.stat().st_mode & 0o777) == "0o600"
    [entry] = json.loads(tokens.read_text())["tokens"]
    assert (entry["account"], entry["username"]) == (DEMO_ACCOUNT, "user")
    assert entry["token"] not in terminal.transcript.getvalue()  # never printed

    whoami = terminal.spawn("whoami")
    whoami.expect("logged in with: code")
    assert terminal.finish(whoami) == 0

    # 2. The remembered PC stands in for the code: no SMS, no code prompt.
    start = len(terminal.transcript.getvalue())
    child = terminal.login(stack, password)
    child.expect("Logged in as user")
    assert terminal.finish(child) == 0
    assert "Code from the SMS" not in terminal.transcript.getvalue()[start:]
    assert len(code_sms(stack)) == 1
    whoami = terminal.spawn("whoami")
    whoami.expect("logged in with: remembered_pc")
    assert terminal.finish(whoami) == 0

    # 3. Enforced: the token is refused and dropped, a code is asked for again.
    set_enforced(stack)
    child = terminal.login(stack, password)
    child.expect("The server no longer accepts this PC's remembered login: a code is needed.")
    not_yet = r"No code was sent .* in (\d+) s\."
    sent = child.expect([r"We sent a code by SMS to \+32 [• ]*58\.", not_yet])
    wait = int(child.match.group(1)) + 1 if sent == 1 else 0
    child.expect("This account's policy does not allow remembering this PC.")
    child.expect("Code from the SMS")
    if sent == 1:  # the first SMS went less than a minute ago: the cool-down is the server's
        time.sleep(wait)  # a rule of time, no event to await
        child.sendline("r")
        child.expect(r"A new code was sent to \+32 [• ]*58\.")
    child.sendline(code_of_sms(stack, 2))
    child.expect("Logged in as user")
    assert terminal.finish(child) == 0
    assert json.loads(tokens.read_text())["tokens"] == []

    logout = terminal.spawn("logout")
    logout.expect("You are logged out.")
    assert terminal.finish(logout) == 0
    whoami = terminal.spawn("whoami")
    whoami.expect("Not logged in")
    assert terminal.finish(whoami) == 4


def test_unreachable_server_is_one_line_and_exit_3(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path / "config")
    child = terminal.spawn(
        "login", "--server", "http://127.0.0.1:9", "--account", "a", "--username", "u"
    )
    child.expect("Password: ")
    child.sendline("secret")
    child.expect("error: cannot reach http://127.0.0.1:9: connection refused")
    assert terminal.finish(child) == 3


@pytest.mark.parametrize("command", ["whoami", "resend", "logout"])
def test_commands_need_a_login(tmp_path: Path, command: str) -> None:
    terminal = Terminal(tmp_path / "config")
    child = terminal.spawn(command)
    child.expect("Not logged in: run `login` first.")
    assert terminal.finish(child) == 4

"""No code, token or full phone number in the logs, the signals, the CLI or any table (G-12, R-46).

One test drives every flow of the extension with canary phone numbers: JSON and HTML logins,
wrong and right codes, resends to both phones, a failed send, Remember this PC (issued, used,
forged, revoked, killed by policy), a lock and its unlock, a phone enrolment, 2FA disabled,
the administrator's CLI. Meanwhile a handler on the root logger at DEBUG (so SQLAlchemy logs
every statement and its parameters too) and a receiver on every signal keep what they see.
Then every row of every table is dumped, and everything is searched for each canary.

Codes are 8 digits here: a 4-digit code would show up by chance in any dump of dates and ids;
8 digits bounded by non-alphanumerics do not, and they take the same paths.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import phonenumbers
import pytest
import sqlalchemy as sa
from flask import Flask

from adversarial_host import Host, build_host, json_login, resend, verify
from flask_t2m2fa.signals import BY_EVENT

PHONES = {
    "alice": ("+32470918273", "+32470564738"),
    "bob": ("+32471029384", "+32472837465"),
    "carol": ("+32473645291", None),
    "dave": ("+32474512983", "+32475381946"),
}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Keeper(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def keeper() -> Iterator[Keeper]:
    root, sql, keeper = logging.getLogger(), logging.getLogger("sqlalchemy.engine"), Keeper()
    levels = root.level, sql.level
    root.addHandler(keeper)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.INFO)  # SQLAlchemy keeps its loggers at WARNING unless told
    yield keeper
    root.removeHandler(keeper)
    root.setLevel(levels[0])
    sql.setLevel(levels[1])


@pytest.fixture
def host(sqlite_url: str, keeper: Keeper) -> Iterator[Host]:
    host = build_host(sqlite_url, config={"T2M2FA_CODE_LENGTH": 8})
    yield host
    with host.app.app_context():
        host.db.session.remove()
        host.db.engine.dispose()


def _number_forms(e164: str) -> set[str]:
    """Every way a full number could be written down."""
    number = phonenumbers.parse(e164)
    formats = phonenumbers.PhoneNumberFormat
    written = {
        phonenumbers.format_number(number, f)
        for f in (formats.E164, formats.INTERNATIONAL, formats.NATIONAL, formats.RFC3966)
    }
    national = str(number.national_number)
    return written | {w.replace(" ", "") for w in written} | {e164[1:], national, "0" + national}


def _json_flows(host: Host) -> list[str]:
    """Alice by JSON: wrong code, resends, remembered PC used, forged, revoked by policy."""
    client = host.app.test_client()
    json_login(client, "alice")
    assert verify(client, "00000000").status_code == 401
    for destination in ("primary", "backup"):
        host.clock.advance(seconds=61)
        resend(client, destination)
    reply = verify(client, host.sms.messages[-1].code, remember_pc=True).get_json()
    token = reply["remember_token"]
    assert json_login(host.app.test_client(), "alice", remember_token=token)["status"] == "ok"
    forged = token[:-4] + "AAAA"
    assert json_login(host.app.test_client(), "bob", remember_token=token)["status"] != "ok"
    assert json_login(host.app.test_client(), "alice", remember_token=forged)["status"] != "ok"
    host.sms.fail_next = True
    host.clock.advance(minutes=5)
    assert json_login(host.app.test_client(), "alice")["send_failed"] is True
    with host.app.app_context():
        host.two_factor.set_policy("acme", mode="enforced")
        host.db.session.commit()
    assert json_login(host.app.test_client(), "alice", remember_token=token)["status"] != "ok"
    with host.app.app_context():
        host.two_factor.set_policy("acme", mode="standard", remember_pc_allowed=True)
        host.db.session.commit()
    return [token]


def _html_flows(host: Host) -> list[str]:
    """Bob in a browser: form login, wrong code, resend to backup, Remember this PC, revoked."""
    browser = host.app.test_client()
    host.clock.advance(minutes=5)
    form = {"username": "bob", "password": "correct horse battery staple"}
    assert browser.post("/login", data=form).status_code == 302
    found = CSRF_RE.search(browser.get("/t2m2fa/code").text)
    assert found is not None
    csrf = found.group(1)
    wrong = {"csrf_token": csrf, "code": "１２３４"}
    assert browser.post("/t2m2fa/code", data=wrong).status_code == 401
    host.clock.advance(seconds=61)
    browser.post("/t2m2fa/resend", data={"csrf_token": csrf, "destination": "backup"})
    right = {"csrf_token": csrf, "code": host.sms.messages[-1].code, "remember_pc": "y"}
    done = browser.post("/t2m2fa/code", data=right)
    assert done.status_code == 302
    cookies = [
        header.split(";", 1)[0].split("=", 1)[1]
        for header in done.headers.getlist("Set-Cookie")
        if header.startswith("t2m2fa_pc_")
    ]
    assert len(cookies) == 1
    assert browser.post("/login", data=form).headers["Location"] == "/"
    with host.app.app_context():
        assert host.two_factor.revoke_remembered_pcs(host.user(2)) == 1
        host.db.session.commit()
    assert "/t2m2fa/code" in browser.post("/login", data=form).headers["Location"]
    return cookies


def _lock_and_unlock(host: Host) -> None:
    for _ in range(2):
        host.clock.advance(days=1, minutes=1)
        for _ in range(4):
            client = host.app.test_client()
            if json_login(client, "carol").get("status") != "2fa_required":
                break
            for _ in range(3):
                verify(client, "12345678")
            host.clock.advance(minutes=2)
    assert json_login(host.app.test_client(), "carol")["status"] == "locked"
    with host.app.app_context():
        assert host.two_factor.unlock(host.user(3)) is True
        host.db.session.commit()


def _enrolment(host: Host) -> None:
    """Dave, an administrator, with both numbers entered by an admin but not yet verified."""
    primary, backup = PHONES["dave"]
    with host.app.app_context():
        host.two_factor.enable_for(host.user(4), primary_phone=primary, backup_phone=backup)
        host.db.session.commit()
    client = host.app.test_client()
    step = json_login(client, "dave")
    while step.get("status") == "2fa_required":
        step = verify(client, host.sms.messages[-1].code).get_json()
    assert step["status"] == "ok"
    with host.app.app_context():
        host.two_factor.disable_for(host.user(4))
        host.db.session.commit()


def _cli_output(app: Flask) -> str:
    runner = app.test_cli_runner()
    outputs = [runner.invoke(args=["t2m2fa", "user", "show", uid]).output for uid in "1234"]
    outputs.append(runner.invoke(args=["t2m2fa", "audit", "list", "--limit", "1000"]).output)
    return "\n".join(outputs)


def _dump_tables(host: Host) -> list[str]:
    """Every value of every row of every table, as text (bytes both decoded and as hex)."""
    values: list[str] = []
    with host.app.app_context():
        engine = host.db.engine
        for table in sa.inspect(engine).get_table_names():
            with engine.connect() as conn:
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, bytes):
                            values += [value.hex(), value.decode("latin-1")]
                        else:
                            values.append(str(value))
    return values


def _find(secret: str, haystack: str) -> bool:
    """``secret`` as a whole word: not inside a longer run of letters and digits."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", haystack) is not None


def test_no_secret_in_logs_signals_cli_or_tables(host: Host, keeper: Keeper) -> None:
    signalled: list[str] = []

    def receive(sender: Any, **kwargs: Any) -> None:
        signalled.append(repr(kwargs))

    for signal in BY_EVENT.values():
        signal.connect(receive, weak=False)
    try:
        for name, (primary, backup) in PHONES.items():
            if name == "dave":
                host.add_user(name, admin=True, two_factor=False)
            else:
                host.add_user(name, primary=primary, backup=backup)
        tokens = _json_flows(host) + _html_flows(host)
        _lock_and_unlock(host)
        _enrolment(host)
        cli = _cli_output(host.app)
    finally:
        for signal in BY_EVENT.values():
            signal.disconnect(receive)
    codes = {m.code for m in host.sms.messages if m.kind == "code"}  # notices carry none
    assert len(codes) >= 10 and all(len(code) == 8 for code in codes)
    secrets = {
        "code": codes | {m.text for m in host.sms.messages},
        "token": set(tokens) | {t.split(".", 1)[1] for t in tokens},
        "phone": {f for pair in PHONES.values() for n in pair if n for f in _number_forms(n)},
    }
    places = {
        "logs": "\n".join(keeper.lines),
        "signals": "\n".join(signalled),
        "cli": cli,
        "tables": "\n".join(_dump_tables(host)),
    }
    assert len(keeper.lines) > 100 and "t2m2fa_challenges" in places["logs"]  # SQL was logged
    assert "user_locked" in places["tables"] and "phone_verified" in places["tables"]
    leaks = [
        (kind, place)
        for kind, values in secrets.items()
        for place, text in places.items()
        for value in values
        if _find(value, text)
    ]
    assert leaks == []


def test_canary_search_finds_what_it_looks_for() -> None:
    assert _find("12345678", "code=12345678.")
    assert not _find("12345678", "a912345678b")
    assert "0470918273" in _number_forms("+32470918273")
    assert "+32 470 91 82 73" in _number_forms("+32470918273")

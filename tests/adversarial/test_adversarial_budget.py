"""An attacker who knows the password, over virtual weeks (G-03, G-13, R-10, R-16).

The clock is injected: a month passes in seconds. The attacker logs in again and again, asks
for resends to both phones without pause and tries codes; the real user keeps logging in. What
must hold: at most 20 wrong codes are ever evaluated (10 in any 24 hours), the attacker never
gets in, even with the right code once the budget is spent, and the SMS caps hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from adversarial_host import (
    BACKUP,
    PRIMARY,
    START,
    Host,
    build_host,
    json_login,
    resend,
    verify,
)
from doubles import Sms
from flask_t2m2fa.models import Failure

DAY = timedelta(days=1)
#: Always wrong, and each counts as a wrong code: malformed input is a failed attempt (R-14).
MALFORMED = ("１２３４", "12 34", "٠١٢٣", "1_234", "")


@pytest.fixture
def host() -> Iterator[Host]:
    # In-memory SQLite: thousands of commits, none waiting for a disk (one thread only).
    host = build_host("sqlite://")
    yield host
    with host.app.app_context():
        host.db.session.remove()
        host.db.engine.dispose()


def _failures(host: Host, user_id: int) -> list[datetime]:
    with host.app.app_context():
        return list(
            host.db.session.scalars(
                sa.select(Failure.failed_at).where(Failure.user_id == str(user_id))
            )
        )


def _max_in_window(moments: Sequence[datetime], window: timedelta) -> int:
    """The most events in any half-open window of this length ending at an event."""
    ordered = sorted(moments)
    return max((sum(1 for m in ordered if e - window < m <= e) for e in ordered), default=0)


def _assert_sms_caps(messages: Sequence[Sms]) -> None:
    moments = [m.at for m in messages]
    assert _max_in_window(moments, DAY) <= 10, "more than 10 SMS to one user in 24 h"
    for number in {m.to for m in messages}:
        assert _max_in_window([m.at for m in messages if m.to == number], DAY) <= 10
    # The cool-down is between codes; the lock notice follows a wrong code at once.
    codes = [m.at for m in messages if m.kind == "code"]
    gaps = [b - a for a, b in itertools.pairwise(codes)]
    assert all(gap >= timedelta(seconds=60) for gap in gaps), "cool-down not respected"


class Attacker:
    """Has the password, not the phones. ``peek`` plays the one lucky guess in 10⁴."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.guesses = 0
        self.lucky_tries = 0

    def _wrong(self, known: str | None) -> str:
        self.guesses += 1
        if known is None:  # nobody knows this code: a malformed guess is surely wrong
            return MALFORMED[self.guesses % len(MALFORMED)]
        return f"{(int(known) + self.guesses % 9999 + 1) % 10000:04d}"

    def _live_code(self, sent_before: int) -> str | None:
        """The code of this login's latest SMS, if one went out (read from the victim's phone)."""
        fresh = self.host.sms.messages[sent_before:]
        return fresh[-1].code if fresh else None

    def round(self) -> None:
        client = self.host.app.test_client()
        sent_before = len(self.host.sms.messages)
        answer = json_login(client, "victim")
        if answer["status"] in ("locked", "try_later"):  # no SMS for a code that cannot pass
            return
        assert answer["status"] == "2fa_required"
        for destination in ("primary", "backup", "primary", "backup", None):
            for _ in range(4):
                reply = verify(client, self._wrong(self._live_code(sent_before)))
                assert reply.status_code != 200 and reply.get_json()["status"] != "ok"
            if destination is not None:
                resend(client, destination)
        self._lucky_guess(client, sent_before)

    def _lucky_guess(self, client: Any, sent_before: int) -> None:
        """Once the budget is spent, even the right code of the live challenge must fail."""
        code = self._live_code(sent_before)
        failures = len(_failures(self.host, 1))
        if code is not None and failures >= 10:
            self.lucky_tries += 1
            reply = verify(client, code)
            assert reply.get_json()["status"] in ("try_later", "locked", "code_expired")


def test_attacker_with_password_gets_at_most_20_wrong_codes_in_30_days(host: Host) -> None:
    victim = host.add_user("victim")
    assert victim == 1
    real = host.app.test_client()
    assert json_login(real, "victim")["status"] == "2fa_required"
    first = verify(real, host.sms.last_to(PRIMARY).code, remember_pc=True).get_json()
    assert first["status"] == "ok"
    token = first["remember_token"]
    attacker = Attacker(host)
    for day in range(30):
        host.clock.now = START + day * DAY  # 08:00: the real user logs in from their own PC
        answer = json_login(host.app.test_client(), "victim", remember_token=token)
        assert answer["status"] == "ok", (day, answer)
        for hour in range(1, 14, 2):  # 09:00 to 21:00: the attacker, every two hours
            host.clock.now = START + day * DAY + timedelta(hours=hour)
            attacker.round()
    failures = _failures(host, victim)
    assert 10 <= len(failures) <= 20
    assert _max_in_window(failures, DAY) <= 10
    # Paused and locked logins are refused before any SMS, so fewer guesses get that far.
    assert attacker.guesses >= 150 and attacker.lucky_tries > 0
    _assert_sms_caps(host.sms.messages)
    # Still locked a month on; only an administrator's unlock lets the right code in again.
    assert json_login(host.app.test_client(), "victim")["status"] == "locked"
    with host.app.app_context():
        assert host.two_factor.unlock(host.user(victim)) is True
        host.db.session.commit()
    host.clock.advance(minutes=5)
    client = host.app.test_client()
    assert json_login(client, "victim")["status"] == "2fa_required"
    assert verify(client, host.sms.messages[-1].code).get_json()["status"] == "ok"


def test_unlimited_resends_within_a_day_send_at_most_10_sms(host: Host) -> None:
    host.add_user("victim")
    client = host.app.test_client()
    logins, per_login, answers = 0, [], set()
    for n in range(300):  # 300 resend requests spread over 24 virtual hours
        host.clock.now = START + timedelta(seconds=288 * n)
        before = before_reply = len(host.sms.messages)
        reply = resend(client, "backup" if n % 2 else "primary")
        if reply.status_code == 401:  # the pending login died (10 min): log in again
            per_login.append(0)
            logins += 1
            assert json_login(client, "victim")["status"] == "2fa_required"
            before_reply = len(host.sms.messages)
            reply = resend(client, "primary")
        sent = len(host.sms.messages) - before_reply
        # Truthful answers: 200 when a code went out, 429 with Retry-After when not.
        assert reply.status_code == (200 if sent else 429), reply.get_json()
        assert reply.get_json()["sent"] is bool(sent)
        answers.add(tuple(sorted(reply.get_json())))
        if per_login:
            per_login[-1] += len(host.sms.messages) - before
    assert host.clock() - START < DAY + timedelta(minutes=5)
    assert logins > 50
    assert len(host.sms.messages) == 10
    assert {m.to for m in host.sms.messages} == {PRIMARY, BACKUP}
    assert max(per_login) <= 5
    assert len(answers) == 1, "the resend answer changes its fields when no SMS goes out"
    _assert_sms_caps(host.sms.messages)


def test_one_login_sends_at_most_5_sms(host: Host) -> None:
    host.add_user("victim")
    client = host.app.test_client()
    assert json_login(client, "victim")["status"] == "2fa_required"
    for n in range(9):  # within the pending login's 10 minutes
        host.clock.advance(seconds=61)
        reply = resend(client, "backup" if n % 2 else "primary")
        assert reply.status_code == (200 if n < 4 else 429), n
    assert reply.get_json()["not_sent_reason"] == "login_cap"
    assert reply.get_json()["resend_available_at"] is None
    assert len(host.sms.messages) == 5
    _assert_sms_caps(host.sms.messages)

"""64 simultaneous requests of ONE user over real HTTP, on the demo and under gunicorn (issue 19).

For each of verify-right-code, verify-wrong-code, resend and login, 64 threads (each its own
HTTP client) are released by one barrier; then 8 simultaneous number changes. Whatever the
load: no answer is a 5xx, exactly one right code succeeds, at most 3 wrong codes are evaluated
per challenge (the failure rows, the challenge's attempts and the audit say so), and at most
one SMS goes out per cool-down. Today the demo answers 5xx (``QueuePool limit ... reached``)
after a 30 s hang, and two concurrent number changes both send a code.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from http_support import Answer, Server, all_at_once, assert_no_server_error

from flask_t2m2fa.rules.phones import mask

# Servers in other processes, 64 threads per test: outside the quick loop; CI runs them.
pytestmark = pytest.mark.slow

VERIFY, RESEND = "/t2m2fa/api/verify", "/t2m2fa/api/resend"
#: The demo's user with a primary and a backup phone (example_app/seed.py).
USER, ACCOUNT = "user", "demo-account"
#: Another account's user, for the number changes.
OTHER_USER, OTHER_ACCOUNT = "other-user", "other-account"
NEW_NUMBERS = [f"+3247099990{i}" for i in range(8)]


def _credentials(server: Server, username: str, account: str) -> dict[str, str]:
    return {"account": account, "username": username, "password": server.passwords[username]}


def _pending_login(
    server: Server, username: str = USER, account: str = ACCOUNT
) -> tuple[httpx.Cookies, str]:
    """Log in with the password; the session cookie of the pending login, and its code."""
    server.settle()
    seen = len(server.sms())
    with server.client() as client:
        answer = client.post("/api/login", json=_credentials(server, username, account))
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "2fa_required", answer.json()
        cookies = httpx.Cookies(client.cookies)
    return cookies, server.wait_code(seen)[1]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def _states(answers: list[Answer]) -> Counter[str]:
    return Counter(answer.state for answer in answers)


def test_right_code_64_times_at_once_succeeds_exactly_once(server: Server) -> None:
    user_id = server.user_id(USER)
    cookies, code = _pending_login(server)
    verified = server.audited(user_id, "code_verified")

    answers = all_at_once(server, lambda c, _: c.post(VERIFY, json={"code": code}), cookies)

    assert_no_server_error(server, answers)
    assert [a.state for a in answers if a.status == 200] == ["ok"], _states(answers)
    assert server.audited(user_id, "code_verified") - verified == 1


def test_wrong_code_64_times_at_once_is_evaluated_three_times(server: Server) -> None:
    user_id = server.user_id(USER)
    cookies, code = _pending_login(server)
    failures, failed = server.failures(user_id), server.audited(user_id, "code_failed")

    answers = all_at_once(server, lambda c, _: c.post(VERIFY, json={"code": _wrong(code)}), cookies)

    assert_no_server_error(server, answers)
    assert _states(answers)["invalid_code"] == 3, _states(answers)
    assert not [a for a in answers if a.status == 200]
    assert server.failures(user_id) - failures == 3
    assert server.newest_attempts(user_id) == 3
    assert server.audited(user_id, "code_failed") - failed == 3


def test_resend_64_times_at_once_sends_one_sms(server: Server) -> None:
    cookies, _ = _pending_login(server)
    server.clock.advance(seconds=61)  # the login's cool-down is over: one resend is due
    queued = server.queued()

    def resend(client: httpx.Client, index: int) -> httpx.Response:
        return client.post(RESEND, json={"destination": ("primary", "backup")[index % 2]})

    answers = all_at_once(server, resend, cookies)

    assert_no_server_error(server, answers)
    assert server.queued() - queued == 1
    # One answer says a code went out; every other one says none did, and when one can.
    assert sorted(a.status for a in answers) == [200] + [429] * (len(answers) - 1)
    assert _states(answers)["code_sent"] == 1


def test_login_64_times_at_once_sends_one_sms(server: Server) -> None:
    credentials = _credentials(server, USER, ACCOUNT)
    queued = server.queued()

    answers = all_at_once(server, lambda c, _: c.post("/api/login", json=credentials))

    assert_no_server_error(server, answers)
    assert _states(answers) == {"2fa_required": len(answers)}
    assert server.queued() - queued == 1


def test_eight_number_changes_at_once_send_at_most_one_sms(server: Server) -> None:
    cookies, code = _pending_login(server, OTHER_USER, OTHER_ACCOUNT)
    with server.client(cookies) as client:
        assert client.post(VERIFY, json={"code": code}).json()["status"] == "ok"
        cookies = httpx.Cookies(client.cookies)
    server.settle()
    queued, seen = server.queued(), len(server.sms())

    def change(client: httpx.Client, index: int) -> httpx.Response:
        body = {"role": "primary", "phone": NEW_NUMBERS[index]}
        return client.post("/t2m2fa/api/security/phone", json=body)

    answers: list[Answer] = all_at_once(server, change, cookies, count=len(NEW_NUMBERS))

    assert_no_server_error(server, answers)
    sent = server.queued() - queued
    assert sent <= 1, f"{sent} SMS for {len(answers)} simultaneous changes"
    claimed: list[Any] = [a.body["sent_to"] for a in answers if a.state == "code_sent"]
    assert len(claimed) == sent, _states(answers)  # "code sent" only for the SMS queued
    if sent:
        to, _ = server.wait_code(seen)
        assert claimed == [mask(to)]

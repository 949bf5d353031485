"""Error answers of the JSON API against the shipped OpenAPI document.

The extension's own OpenAPI test covers the main answers; every helper of ``adversarial_host``
checks what it receives too. These tests reach the rarer refusals on purpose: a paused and a
locked user (also at the host's login), a dead pending login, a dead code, a failed send, a
user who needs set-up, cross-site and malformed calls to each endpoint. Refusals for a right and
a wrong code must be the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from flask.testing import FlaskClient

from adversarial_host import (
    API,
    PRIMARY,
    Host,
    build_host,
    check_contract,
    json_login,
    resend,
    verify,
)


@pytest.fixture
def host() -> Iterator[Host]:
    host = build_host("sqlite://")
    yield host
    with host.app.app_context():
        host.db.session.remove()
        host.db.engine.dispose()


def _login(host: Host, username: str = "victim") -> tuple[FlaskClient, str]:
    client = host.app.test_client()
    assert json_login(client, username)["status"] == "2fa_required"
    return client, host.sms.messages[-1].code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}"


def _spend(host: Host, failures: int) -> tuple[FlaskClient, str]:
    """Enter ``failures`` wrong codes (3 per login); return the pending login of the last."""
    for n in range(failures):
        if n % 3 == 0:
            host.clock.advance(minutes=2)
            client, code = _login(host)
        assert verify(client, _wrong(code)).get_json()["status"] in ("invalid_code", "locked")
    return client, code


def test_paused_user_gets_429_with_retry_at_for_right_and_wrong_code(host: Host) -> None:
    host.add_user("victim")
    client, code = _spend(host, 10)
    wrong, right = verify(client, _wrong(code)), verify(client, code)
    assert wrong.status_code == right.status_code == 429
    assert wrong.get_json() == right.get_json()
    assert set(right.get_json()) == {"status", "retry_at", "message"}
    host.clock.advance(minutes=2)
    sent = len(host.sms.messages)
    login = json_login(host.app.test_client(), "victim")  # no SMS that could not be accepted
    assert login["status"] == "try_later" and login["retry_at"] == right.get_json()["retry_at"]
    assert len(host.sms.messages) == sent


def test_locked_user_gets_403_at_verify_and_at_login(host: Host) -> None:
    host.add_user("victim")
    _spend(host, 10)
    host.clock.advance(days=1, minutes=1)  # the day budget is free again; the 30-day one is not
    for n in range(10):
        if n % 3 == 0:
            client, code = _login(host)
        last = verify(client, _wrong(code))
    assert last.status_code == 403 and last.get_json()["status"] == "locked"
    answer = check_contract(
        host.app.test_client().post("/login", json={"username": "victim", "password": "x"})
    )
    assert answer.status_code == 401  # the host's own refusal: wrong password
    assert json_login(host.app.test_client(), "victim")["status"] == "locked"


def test_dead_pending_login_and_dead_code(host: Host) -> None:
    host.add_user("victim")
    client, code = _login(host)
    host.clock.advance(minutes=5, seconds=1)  # the code's lifetime
    assert verify(client, code).get_json()["status"] == "code_expired"
    assert check_contract(client.get(f"{API}/challenge")).status_code == 200
    host.clock.advance(minutes=5)  # the pending login's 10 minutes
    assert check_contract(client.get(f"{API}/challenge")).get_json()["status"] == "login_required"
    assert verify(client, code).status_code == 401
    assert resend(client, "backup").get_json()["status"] == "login_required"


@pytest.mark.parametrize("path", ["verify", "resend"])
def test_malformed_and_cross_site_calls(host: Host, path: str) -> None:
    host.add_user("victim")
    client, _ = _login(host)
    calls: list[tuple[dict[str, Any], int]] = [
        ({"data": "destination=backup", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "{}", "content_type": "text/plain"}, 415),
        ({"json": {"destination": "x" * 5000, "code": "1" * 5000}}, 413),
        ({"json": {}, "headers": {"Origin": "https://evil.example"}}, 403),
        ({"json": {}, "headers": {"Sec-Fetch-Site": "cross-site"}}, 403),
        ({"json": {}, "headers": {"Origin": "null"}}, 403),
    ]
    for kwargs, status in calls:
        answer = check_contract(client.post(f"{API}/{path}", **kwargs))
        assert answer.status_code == status, (kwargs, answer.get_json())
    cross = client.get(f"{API}/challenge", headers={"Sec-Fetch-Site": "cross-site"})
    assert check_contract(cross).get_json()["status"] == "forbidden_origin"


def test_without_a_pending_login_every_endpoint_says_login_required(host: Host) -> None:
    client = host.app.test_client()
    assert check_contract(client.get(f"{API}/challenge")).status_code == 401
    assert verify(client, "1234").get_json()["status"] == "login_required"
    assert resend(client, "primary").get_json()["status"] == "login_required"


def test_failed_send_and_setup_required(host: Host) -> None:
    host.add_user("victim")
    host.sms.fail_next = True
    answer = json_login(host.app.test_client(), "victim")
    assert answer["send_failed"] is True and answer["backup_available"] is True
    host.add_user("newbie", two_factor=False)
    with host.app.app_context():
        host.two_factor.enable_for(host.user(2))  # on, no phone: the user enters his own
        host.db.session.commit()
    expected = {"status": "enrolment_required", "role": "primary", "backup_required": False}
    assert json_login(host.app.test_client(), "newbie").items() >= expected.items()
    host.add_user("stranger", two_factor=False)
    with host.app.app_context():
        host.two_factor.set_policy("acme", mode="enforced")  # 2FA due, nobody set it up
        host.db.session.commit()
    assert json_login(host.app.test_client(), "stranger")["status"] == "enrolment_required"


def test_the_contract_check_catches_a_leaking_login_answer(host: Host) -> None:
    host.add_user("victim")
    client = host.app.test_client()
    answer = client.post("/login", json={"username": "victim", "password": "x"})
    answer.status_code = 200
    answer.set_data(b'{"status": "2fa_required", "sent_to": "' + PRIMARY.encode() + b'"}')
    with pytest.raises(jsonschema.ValidationError):
        check_contract(answer)

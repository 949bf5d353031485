"""Who may use the admin endpoints, enumerated from the URL map: a new route cannot slip by.

Every admin endpoint (HTML and JSON), every method: anonymous, half-logged-in, plain user,
administrator of another account and administrator without a recent code get their refusal,
and nothing changes. Every state-changing page refuses a missing or wrong CSRF token and a
cross-site Origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from admin_support import logged_in, snapshot
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import FakeClock, Host, RecordingSender, json_login

from flask_t2m2fa.web.admin_common import ACTIONS

SKIP = {"HEAD", "OPTIONS"}


def routes(app: Flask, user_id: str) -> Iterator[tuple[str, str, bool]]:
    """(method, url, is_json) of every admin endpoint, each action of the dialog included."""
    found = False
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("t2m2fa_admin."):
            continue
        found = True
        actions = list(ACTIONS) if "action" in rule.arguments else [None]
        for method in sorted((rule.methods or set()) - SKIP):
            for action in actions:
                values = {"user_id": user_id} if "user_id" in rule.arguments else {}
                if action is not None:
                    values["action"] = action
                with app.test_request_context():
                    from flask import url_for

                    url = url_for(rule.endpoint, **values)
                yield method, url, "/api/" in rule.rule
    assert found, "the admin blueprint is not registered"


def form_token(client: FlaskClient) -> str:
    page = client.get("/t2m2fa/admin/policy")
    assert page.status_code == 200
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def send(client: FlaskClient, method: str, url: str, is_json: bool, **extra: Any) -> Any:
    if is_json:
        body = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
        return client.open(url, method=method, **body, **extra)
    return client.open(url, method=method, data=extra.pop("data", {}), **extra)


def expect_all(
    app: Flask,
    client: FlaskClient,
    user_id: str,
    html: tuple[int, str | None],
    json: tuple[int, str],
) -> None:
    host: Host = app.extensions["test_host"]
    before = snapshot(host)
    for method, url, is_json in routes(app, user_id):
        answer = send(client, method, url, is_json)
        if is_json:
            got = (answer.status_code, answer.get_json(silent=True) or {})
            assert (got[0], got[1].get("status")) == json, (method, url)
        else:
            assert answer.status_code == html[0], (method, url)
            if html[1] is not None:
                assert answer.location.startswith(html[1]), (method, url)
    assert snapshot(host) == before


def test_anonymous(admin_app: Flask, people: dict[str, Any]) -> None:
    target = str(people["alice"].id)
    expect_all(admin_app, admin_app.test_client(), target, (302, "/login"), (401, "login_required"))


def test_half_logged_in(admin_app: Flask, people: dict[str, Any], sms: RecordingSender) -> None:
    client = admin_app.test_client()
    assert json_login(client, "boss").json["status"] == "2fa_required"  # password only
    target = str(people["alice"].id)
    expect_all(admin_app, client, target, (302, "/login"), (401, "login_required"))


def test_plain_user(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    client = logged_in(admin_app, sms, "alice", clock)
    expect_all(admin_app, client, str(people["bob"].id), (403, None), (403, "forbidden"))


def test_administrator_of_another_account_gets_404_for_our_users(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    host: Host = admin_app.extensions["test_host"]
    client = logged_in(admin_app, sms, "rival", clock)
    token = form_token(client)
    before = snapshot(host)
    checked = 0
    for method, url, is_json in routes(admin_app, str(people["alice"].id)):
        if "/users/" not in url:
            continue
        extra = {} if is_json else {"data": {"csrf_token": token, "action": "disable"}}
        answer = send(client, method, url, is_json, **extra)
        assert answer.status_code == 404, (method, url)
        checked += 1
    assert checked >= len(ACTIONS) + 3
    assert snapshot(host) == before
    listed = client.get("/t2m2fa/admin/api/users").json
    assert {u["name"] for u in listed["users"]} == {"rival", "stranger"}
    assert "0 user(s)" in client.get("/t2m2fa/admin/users?search=alice").text


def test_administrator_without_a_recent_code(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    client = logged_in(admin_app, sms, "boss", clock)
    token = form_token(client)
    clock.advance(minutes=15)  # 16 minutes after the code
    host: Host = admin_app.extensions["test_host"]
    before = snapshot(host)
    for method, url, is_json in routes(admin_app, str(people["alice"].id)):
        extra = {} if is_json else {"data": {"csrf_token": token, "action": "disable"}}
        answer = send(client, method, url, is_json, **extra)
        if is_json:
            assert (answer.status_code, answer.json["status"]) == (403, "step_up_required")
        else:
            assert answer.status_code == 302 and answer.location.startswith("/t2m2fa/step-up")
    assert snapshot(host) == before


@pytest.mark.parametrize("case", ["missing", "wrong", "cross-site"])
def test_every_admin_form_refuses_bad_csrf_and_cross_site(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock, case: str
) -> None:
    client = logged_in(admin_app, sms, "boss", clock)
    token = form_token(client)
    host: Host = admin_app.extensions["test_host"]
    before = snapshot(host)
    posts = [
        (m, u) for m, u, j in routes(admin_app, str(people["alice"].id)) if not j and m == "POST"
    ]
    assert len(posts) >= 2
    data = {"action": "disable", "mode": "enforced", "was_mode": "standard", "expiry": "never",
            "was_expiry": "never"}  # fmt: skip
    for method, url in posts:
        headers = {}
        if case == "wrong":
            data["csrf_token"] = "not-the-token"
        elif case == "cross-site":
            data["csrf_token"] = token
            headers["Origin"] = "https://evil.example"
        answer = client.open(url, method=method, data=data, headers=headers)
        assert answer.status_code == (403 if case == "cross-site" else 400), url
    assert snapshot(host) == before


def test_ids_the_host_cannot_read_are_404_not_500(
    admin_app: Flask, people: dict[str, Any], sms: RecordingSender, clock: FakeClock
) -> None:
    client = logged_in(admin_app, sms, "boss", clock)
    for bad in ("abc", "999", "%00", "1%0A"):
        assert client.get(f"/t2m2fa/admin/api/users/{bad}").status_code == 404, bad
        assert client.get(f"/t2m2fa/admin/users/{bad}").status_code == 404, bad


def test_anonymous_browser_comes_back_after_logging_in(admin_app: Flask, people: Any) -> None:
    answer = admin_app.test_client().get("/t2m2fa/admin/users?sort=state")
    assert answer.location == "/login?next=%2Ft2m2fa%2Fadmin%2Fusers%3Fsort%3Dstate"

"""Every answer of the extension: never cached, never framed (unless the host says so)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from t2m2fa_support import Host, enrolling_user, json_login

from flask_t2m2fa.config import ConfigError, load

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def blueprint_requests(app: Flask) -> list[tuple[str, str]]:
    """``(method, path)`` of every route of the ``t2m2fa`` blueprint, from the URL map."""
    found = [
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("t2m2fa.")
        for method in sorted((rule.methods or set()) - IGNORED_METHODS)
    ]
    assert len(found) >= 6  # code, resend, enrol and the JSON endpoints
    return found


def assert_protected(answer: Any, where: str, frame: str = "DENY") -> None:
    assert answer.headers.get("Cache-Control") == "no-store", where
    assert answer.headers.get("X-Frame-Options") == frame, where
    ancestors = {"DENY": "'none'", "SAMEORIGIN": "'self'"}[frame]
    assert f"frame-ancestors {ancestors}" in answer.headers.get("Content-Security-Policy", ""), (
        where
    )


@pytest.mark.parametrize("who", ["anonymous", "pending", "enrolling"])
def test_every_route_of_the_blueprint_is_protected(
    app: Flask, client: FlaskClient, host: Host, alice: Any, who: str
) -> None:
    if who == "pending":
        assert json_login(client, "alice").json["sent_to"]
    elif who == "enrolling":
        enrolling_user(host)
        assert json_login(client, "eve").json["status"] == "enrolment_required"
    for method, path in blueprint_requests(app):
        answer = client.open(path, method=method, json={})
        assert answer.status_code < 500, (method, path)
        assert_protected(answer, f"{method} {path} ({who})")


def test_code_and_enrolment_pages_themselves(
    app: Flask, client: FlaskClient, host: Host, alice: Any
) -> None:
    client.post("/login", data={"username": "alice"})
    page = client.get("/t2m2fa/code")
    assert page.status_code == 200 and "••" in page.text
    assert_protected(page, "code page")
    other = app.test_client()
    enrolling_user(host)
    other.post("/login", data={"username": "eve"})
    page = other.get("/t2m2fa/enrol")
    assert page.status_code == 200
    assert_protected(page, "enrolment page")


def test_the_hosts_login_answer_with_a_masked_number_is_not_stored(
    client: FlaskClient, alice: Any
) -> None:
    answer = json_login(client, "alice")
    assert "••" in answer.json["sent_to"]
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.options({"T2M2FA_FRAME_OPTIONS": "SAMEORIGIN"})
def test_a_host_that_frames_its_own_pages(client: FlaskClient, alice: Any) -> None:
    client.post("/login", data={"username": "alice"})
    assert_protected(client.get("/t2m2fa/code"), "code page", frame="SAMEORIGIN")


@pytest.mark.options({"T2M2FA_FRAME_OPTIONS": None})
def test_a_host_that_sets_framing_headers_itself(client: FlaskClient, alice: Any) -> None:
    client.post("/login", data={"username": "alice"})
    page = client.get("/t2m2fa/code")
    assert "X-Frame-Options" not in page.headers
    assert "Content-Security-Policy" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"


def test_frame_options_are_checked_at_start(app: Flask) -> None:
    config = {**app.config, "T2M2FA_FRAME_OPTIONS": "ALLOW-FROM https://x.example"}
    with pytest.raises(ConfigError, match="T2M2FA_FRAME_OPTIONS"):
        load(config, app_name="x")

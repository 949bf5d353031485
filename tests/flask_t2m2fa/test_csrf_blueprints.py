"""JSON endpoints live in CSRF-exempt JSON blueprints; every HTML form checks its token.

Enumerated from the URL map of a host with the admin blueprint and Flask-WTF's ``CSRFProtect``,
set up before or after ``two_factor.init_app``: a new view in the wrong blueprint, or a host
that calls ``CSRFProtect`` late, fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import yaml
from flask import Flask, jsonify
from flask_wtf.csrf import CSRFError, CSRFProtect
from t2m2fa_support import FakeClock, RecordingSender, build_app
from werkzeug.routing import Rule

from flask_t2m2fa.web.guards import MAX_JSON_DEPTH, OTHER_METHOD

JSON_BLUEPRINTS = {"t2m2fa.api", "t2m2fa_admin.api"}
CHANGING = ("POST", "PUT", "PATCH", "DELETE")
#: What a path's variables are filled with (any value: the CSRF check comes before the view).
VARIABLES = {"user_id": "1", "action": "unlock"}
CSRF_CHECKED = "csrf_checked"


@pytest.fixture(params=["csrf_before_two_factor", "csrf_after_two_factor"])
def csrf_app(
    request: pytest.FixtureRequest, sqlite_url: str, clock: FakeClock, sms: RecordingSender
) -> Iterator[Flask]:
    first = request.param == "csrf_before_two_factor"
    before = CSRFProtect().init_app if first else None
    app = build_app(sqlite_url, clock, sms, {}, before=before, init={"admin": True})
    if not first:
        CSRFProtect(app)

    @app.errorhandler(CSRFError)
    def csrf_refused(_error: CSRFError) -> Any:
        return jsonify({"status": CSRF_CHECKED}), 400

    with app.app_context():
        yield app
        app.extensions["test_host"].db.engine.dispose()


def _extension_rules(app: Flask) -> list[Rule]:
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("t2m2fa", "t2m2fa_admin")
    ]
    assert len(rules) > 30  # the enumeration sees the extension's routes
    return rules


def _blueprint(rule: Rule) -> str:
    return rule.endpoint.rpartition(".")[0]


def _url(rule: Rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", VARIABLES[name])
    return path


def _changing(rule: Rule) -> list[str]:
    return [method for method in CHANGING if method in (rule.methods or ())]


def _is_other_method(rule: Rule) -> bool:
    return rule.endpoint.rpartition(".")[2].startswith(OTHER_METHOD)


def test_every_json_route_is_in_a_json_blueprint(csrf_app: Flask) -> None:
    rules = _extension_rules(csrf_app)
    misplaced = [r.rule for r in rules if ("/api/" in r.rule) != (_blueprint(r) in JSON_BLUEPRINTS)]
    assert misplaced == []
    # ... and every path of the JSON contract is such a route.
    document = yaml.safe_load((resources.files("flask_t2m2fa") / "openapi.yaml").read_text())
    prefix = document["servers"][0]["url"]
    json_rules = {r.rule for r in rules if _blueprint(r) in JSON_BLUEPRINTS}
    for path in document["paths"]:
        rule = prefix + path.replace("{", "<").replace("}", ">")
        assert rule in json_rules, path


def test_json_routes_need_no_csrf_token_and_refuse_other_sites(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    checked = 0
    for rule in _extension_rules(csrf_app):
        if _blueprint(rule) not in JSON_BLUEPRINTS:
            continue
        for method in _changing(rule):
            answer = client.open(_url(rule), method=method, json={})
            assert answer.json is not None, (method, rule.rule)
            assert answer.json["status"] != CSRF_CHECKED, (method, rule.rule)
            if not _is_other_method(rule):
                foreign = client.open(
                    _url(rule), method=method, json={}, headers={"Origin": "https://evil.test"}
                )
                assert foreign.status_code == 403, (method, rule.rule)
                assert foreign.json["status"] == "forbidden_origin"
            checked += 1
    assert checked > 20


def test_every_state_changing_html_route_checks_a_csrf_token(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    checked = 0
    for rule in _extension_rules(csrf_app):
        if _blueprint(rule) in JSON_BLUEPRINTS:
            continue
        for method in _changing(rule):
            answer = client.open(_url(rule), method=method, data={"code": "1234"})
            assert answer.status_code == 400, (method, rule.rule)
            assert answer.json == {"status": CSRF_CHECKED}, (method, rule.rule)
            checked += 1
    assert checked >= 10


def test_every_json_body_route_refuses_deep_nesting_before_its_view(csrf_app: Flask) -> None:
    """One guard for every JSON endpoint: a body one level too deep is a 400, whatever the
    view, on every Python (checked before decoding)."""
    client = csrf_app.test_client()
    body = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    checked = 0
    for rule in _extension_rules(csrf_app):
        if _blueprint(rule) not in JSON_BLUEPRINTS or _is_other_method(rule):
            continue
        for method in _changing(rule):
            answer = client.open(
                _url(rule), method=method, data=body, content_type="application/json"
            )
            assert answer.status_code == 400, (method, rule.rule)
            assert answer.json["status"] == "bad_request", (method, rule.rule)
            checked += 1
    assert checked >= 10

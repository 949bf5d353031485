"""The JSON endpoints answer what the shipped OpenAPI document says (checked on real responses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from t2m2fa_support import (
    BACKUP_STEP,
    FakeClock,
    Host,
    RecordingSender,
    enrol,
    json_login,
    json_resend,
    json_verify,
    wrong,
)


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    path = resources.files("flask_t2m2fa") / "openapi.yaml"
    with resources.as_file(path) as file:
        return OpenAPI.from_file_path(str(file))  # also validates the document itself


@dataclass
class SentRequest:
    """What openapi-core needs of a request already sent (its body was consumed)."""

    method: str
    host_url: str
    path: str
    content_type: str
    body: bytes | None = None
    parameters: RequestParameters = field(default_factory=RequestParameters)


def check(spec: OpenAPI, response: Any) -> Any:
    sent = response.request
    request = SentRequest(
        sent.method.lower(),
        sent.host_url.rstrip("/"),
        sent.path,
        sent.mimetype or "application/json",
    )
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))
    return response


def test_documented_answers(
    spec: OpenAPI,
    app: Flask,
    client: FlaskClient,
    alice: Any,
    sms: RecordingSender,
    clock: FakeClock,
) -> None:
    check(spec, client.get("/t2m2fa/api/challenge"))  # 401 login_required
    json_login(client, "alice")
    assert check(spec, client.get("/t2m2fa/api/challenge")).status_code == 200
    assert check(spec, json_verify(client, wrong(sms.last.code))).status_code == 401
    assert check(spec, json_resend(client, "backup")).status_code == 429  # cool-down
    clock.advance(seconds=61)
    assert check(spec, json_resend(client, "backup")).status_code == 200
    assert check(spec, json_resend(client, "elsewhere")).status_code == 400
    check(spec, client.post("/t2m2fa/api/verify", data="x", content_type="text/plain"))
    check(
        spec,
        client.post(
            "/t2m2fa/api/verify", json={"code": "1"}, headers={"Origin": "https://evil.example"}
        ),
    )
    check(spec, client.post("/t2m2fa/api/verify", json={"code": "1" * 5000}))
    ok = check(spec, json_verify(client, sms.last.code, remember_pc=True))
    assert ok.json["status"] == "ok" and "remember_token" in ok.json


def test_documented_chained_step_and_budget_answers(
    spec: OpenAPI, app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    carl = host.add_user("carl", admin=True)
    host.two_factor.enable_for(carl, primary_phone="+32470555511", backup_phone="+32470555522")
    host.db.session.commit()
    client = app.test_client()
    json_login(client, "carl")
    step = check(spec, json_verify(client, sms.last.code))
    assert step.json["purpose"] == "verify_backup"
    for _ in range(3):
        check(spec, json_verify(client, wrong(sms.last.code)))
    assert check(spec, json_verify(client, sms.last.code)).json["status"] == "code_expired"
    for _ in range(3):
        clock.advance(seconds=61)
        json_resend(client)
        for _ in range(3):
            json_verify(client, wrong(sms.last.code))
    assert check(spec, json_verify(client, sms.last.code)).status_code in (403, 429)


def test_an_undocumented_answer_is_caught(spec: OpenAPI, client: FlaskClient, alice: Any) -> None:
    json_login(client, "alice")
    response = client.get("/t2m2fa/api/challenge")
    response.set_data(b'{"status": "2fa_required", "sent_to": "+32470123467"}')
    with pytest.raises(Exception, match=r"(?i)invalid|validat"):
        check(spec, response)


def test_documented_enrolment_answers(
    spec: OpenAPI, app: Flask, host: Host, sms: RecordingSender, clock: FakeClock
) -> None:
    root = host.add_user("root", admin=True)
    host.two_factor.enable_for(root)  # no number: entered at login, backup included
    host.db.session.commit()
    client = app.test_client()
    json_login(client, "root")
    assert check(spec, client.get("/t2m2fa/api/challenge")).json["role"] == "primary"
    assert check(spec, json_verify(client, "1234")).status_code == 409
    assert check(spec, json_resend(client)).status_code == 409
    refused = check(spec, enrol(client, "+32 2 555 00 00"))
    assert refused.json["status"] == "invalid_phone"
    assert check(spec, enrol(client, "+32470555511")).json["purpose"] == "verify_primary"
    asked = check(spec, json_verify(client, sms.last.code))
    assert asked.json == BACKUP_STEP
    assert check(spec, enrol(client, "+32470555522")).json["purpose"] == "verify_backup"
    assert check(spec, json_verify(client, sms.last.code)).json["status"] == "ok"
    other = app.test_client()
    check(spec, enrol(other, "+32470555533"))  # 401 login_required
    clock.advance(seconds=61)
    json_login(other, "root")
    assert check(spec, enrol(other, "+32470555533")).json["status"] == "enrolment_closed"


def test_documented_security_answers(
    spec: OpenAPI, app: Flask, client: FlaskClient, alice: Any, sms: RecordingSender,
    clock: FakeClock,
) -> None:  # fmt: skip
    new = "+32470555577"
    assert check(spec, client.get("/t2m2fa/api/security")).status_code == 401
    json_login(client, "alice")
    token = json_verify(client, sms.last.code, remember_pc=True).json["remember_token"]
    client.environ_base["HTTP_X_T2M2FA_REMEMBER"] = token  # a desktop client presents it
    shown = check(spec, client.get("/t2m2fa/api/security"))
    assert shown.json["pcs"][0]["this_pc"] is True
    pc_id = shown.json["pcs"][0]["id"]
    asked = check(spec, client.post("/t2m2fa/api/security/phone", json={"phone": new}))
    assert asked.json["status"] == "code_sent"
    wrong_code = {"code": wrong(sms.last_code_for(new))}
    assert check(spec, client.post("/t2m2fa/api/security/phone/confirm", json=wrong_code))
    done = check(
        spec,
        client.post("/t2m2fa/api/security/phone/confirm", json={"code": sms.last_code_for(new)}),
    )
    assert done.json["status"] == "ok" and done.json["notice_sent"] is True
    bad = check(spec, client.post("/t2m2fa/api/security/phone", json={"phone": "+3247"}))
    assert bad.json["status"] == "invalid_phone"
    check(spec, client.post("/t2m2fa/api/security/phone", json=[1]))  # 400 bad_request
    check(spec, client.post("/t2m2fa/api/security/backup/remove", json={}))
    check(spec, client.post("/t2m2fa/api/security/pcs/revoke-others", json={}))
    check(spec, client.post("/t2m2fa/api/security/pcs/revoke", json={"pc_id": pc_id + 99}))
    check(spec, client.post("/t2m2fa/api/security/pcs/revoke", json={"pc_id": pc_id}))
    clock.advance(minutes=21)
    stale = check(spec, client.post("/t2m2fa/api/security/phone", json={"phone": new}))
    assert stale.status_code == 403 and stale.json["status"] == "step_up_required"

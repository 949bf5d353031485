"""The demo host's JSON login answers what ``example_app/openapi-host.yaml`` says.

The host document refers to the extension's schemas (``src/flask_t2m2fa/openapi.yaml``), so
both documents are loaded and checked together, on real answers of the demo host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from example_app.seed import DEMO_ACCOUNT
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from test_example_app import PASSWORDS, _make_app

from doubles import RecordingSender

HOST_DOCUMENT = Path(__file__).parents[2] / "example_app" / "openapi-host.yaml"


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(HOST_DOCUMENT))  # also validates the document itself


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return _make_app(tmp_path, RecordingSender())


@dataclass
class SentRequest:
    method: str
    host_url: str
    path: str
    content_type: str
    body: bytes | None = None
    parameters: RequestParameters = field(default_factory=RequestParameters)


def check(spec: OpenAPI, response: Any) -> Any:
    sent = response.request
    request = SentRequest("post", sent.host_url.rstrip("/"), sent.path, "application/json")
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))
    return response


def login(client: FlaskClient, username: str, password: str, **extra: Any) -> Any:
    body = {"account": DEMO_ACCOUNT, "username": username, "password": password, **extra}
    return client.post("/api/login", json=body)


def test_the_host_login_answers_as_documented(spec: OpenAPI, app: Flask) -> None:
    client = app.test_client()
    step = check(spec, login(client, "user", PASSWORDS["user"]))
    assert step.json["status"] == "2fa_required" and "Set-Cookie" in step.headers
    assert check(spec, client.post("/api/login", json=[1])).status_code == 400
    assert check(spec, client.post("/api/login", data="x")).status_code == 415
    big = check(spec, login(client, "user", "x", pad="y" * 5000))
    assert big.status_code == 413
    for _ in range(10):
        assert check(spec, login(client, "user", "wrong")).status_code == 401
    throttled = check(spec, login(client, "user", PASSWORDS["user"]))
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_an_undocumented_host_answer_is_caught(spec: OpenAPI, app: Flask) -> None:
    answer = login(app.test_client(), "user", "wrong")
    answer.set_data(b'{"status": "invalid_credentials"}')  # no message
    with pytest.raises(Exception, match=r"(?i)invalid|validat"):
        check(spec, answer)

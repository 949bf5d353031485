"""StrictBodyForm: a JSON body Flask-WTF cannot turn into form fields is a form error, not a 500."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from wtforms import StringField

from flask_t2m2fa.forms import BAD_JSON_BODY, StrictBodyForm

DEEP = "[" * 2000 + "]" * 2000


class NameForm(StrictBodyForm):
    name = StringField("Name")


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="strict-forms-test-key", WTF_CSRF_ENABLED=False)

    @app.post("/name")
    def name() -> Any:
        form = NameForm()
        if form.validate():
            return {"name": form.name.data}
        return {"errors": form.form_errors}, 400

    return app


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2]",
        '"abc"',
        "5",
        "true",
        "null",
        DEEP,
        '{"name": ' + DEEP + "}",
        '{"name": 5}',
        '{"name": {"a": "b"}}',
        '{"name": ["a", 1]}',
        '{"name": "\xff',
        "{",
    ],
)
def test_unreadable_json_body_is_a_form_error(app: Flask, body: str) -> None:
    answer = app.test_client().post("/name", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json() == {"errors": [BAD_JSON_BODY]}


def test_json_object_of_strings_fills_the_form(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/name", json={"name": "Ada"}).get_json() == {"name": "Ada"}
    assert client.post("/name", json={"name": ["Ada", "Bob"]}).get_json() == {"name": "Ada"}


def test_invalid_utf8_json_is_a_form_error(app: Flask) -> None:
    answer = app.test_client().post(
        "/name", data=b'{"name": "\xff\xfe"}', content_type="application/json"
    )
    assert answer.status_code == 400


def test_form_bodies_read_as_flask_wtf_reads_them(app: Flask) -> None:
    answer = app.test_client().post("/name", data={"name": "Ada"})
    assert answer.get_json() == {"name": "Ada"}


def test_upload_named_like_a_text_field_is_ignored(app: Flask) -> None:
    data = {"name": (io.BytesIO(b"file content"), "name.txt")}
    answer = app.test_client().post("/name", data=data, content_type="multipart/form-data")
    assert answer.get_json() == {"name": None}

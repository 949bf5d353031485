"""Hypothesis fuzzing of every field the code step reads (G-04, R-03, R-14, R-15).

Each example starts a fresh login whose real code the test knows, then submits a mangled form
of it (full-width, Arabic-Indic or other Unicode digits, blanks, newlines, ``1_234``, a JSON
number, a list ...) or arbitrary data, in every place a client controls: JSON fields and types,
whole bodies, content types, HTML form fields (repeated too), resend destinations, the
remember-PC token. What must hold: nothing is accepted, nothing answers 5xx, and each submission
is either counted as exactly one wrong code or refused before evaluation by a documented rule
(413 too large, 415 not JSON).

The strategies never depend on the example's code (Hypothesis replays a choice sequence and
must get the same data): what is drawn is a mangler, applied afterwards, and the rare arbitrary
value that equals the code is handled by the assertion, not filtered out.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from adversarial_host import API, BACKUP, PRIMARY, Host, build_host, check_contract, json_login
from flask_t2m2fa.models import Failure

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    # G-04 asks for 10,000 inputs: T2M2FA_FUZZ_EXAMPLES=2000 runs that many (5 properties).
    max_examples=int(os.environ.get("T2M2FA_FUZZ_EXAMPLES", "80")),
    # One host for all examples on purpose: each example starts its own login, days apart.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
#: The Hypothesis properties run long: outside the quick loop (-m "not slow"); CI runs them.
slow = pytest.mark.slow
#: Refused before any evaluation, by the JSON endpoints' documented guards.
#: Answers that judge no code: nothing may be counted. A body that is no JSON object is a 400.
NOT_EVALUATED = {400: "bad_request", 413: "too_large", 415: "json_required"}

_DIGIT_SETS = {
    "fullwidth": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "mathematical bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
    "superscript": "⁰¹²³⁴⁵⁶⁷⁸⁹",
}
_BLANKS = [" ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u200b", "\ufeff", "\x00", "\x0b"]


def _redigit(code: str, digits: str) -> str:
    return "".join(digits[int(d)] for d in code)


#: Ways to mangle the right code that naive checks (int(), isdigit(), \d, re.match + $) accept.
MANGLERS: list[Callable[[str], Any]] = [
    *(lambda c, d=d: _redigit(c, d) for d in _DIGIT_SETS.values()),
    *(lambda c, b=b: c + b for b in _BLANKS),
    *(lambda c, b=b: b + c for b in _BLANKS),
    lambda c: f"{c[:2]}_{c[2:]}",
    lambda c: f"{c[:2]} {c[2:]}",
    lambda c: f"+{c}",
    lambda c: f"0{c}",
    lambda c: c[:3],
    lambda c: c + c,
    lambda c: int(c),
    lambda c: float(c),
    lambda c: [c],
    lambda c: {"code": c},
    lambda c: c.encode().hex(),
    lambda c: f"{c[0]}{_DIGIT_SETS['fullwidth'][int(c[1])]}{c[2:]}",
]

_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # no lone surrogates
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
HUGE = st.sampled_from([4_000, 5_000, 100_000, 1_000_000])
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json-patch+json",
        "application/vnd.api+json",
        "application/octet-stream",
        "",
    ]
)


@pytest.fixture
def host() -> Iterator[Host]:
    host = build_host("sqlite://")  # one thread, thousands of requests: keep it in memory
    host.add_user("victim")
    yield host
    with host.app.app_context():
        host.db.session.remove()
        host.db.engine.dispose()


def _fresh_login(host: Host) -> tuple[FlaskClient, str]:
    """A new pending login and its code. Four virtual days apart: no budget or cap is reached."""
    host.clock.advance(days=4)
    client = host.app.test_client()
    assert json_login(client, "victim")["status"] == "2fa_required"
    return client, host.sms.last_to(PRIMARY).code


def _failures(host: Host) -> int:
    with host.app.app_context():
        return int(host.db.session.scalar(sa.select(sa.func.count()).select_from(Failure)) or 0)


#: The manglers whose result is a text, different from the code whatever its digits (``str`` of
#: ``int(code)`` is the code itself when it has no leading zero: not one of them).
TEXT_MANGLERS = [m for m in MANGLERS if isinstance(m("0427"), str)]


def _assert_accepted(client: FlaskClient, answer: Any) -> None:
    """The exact code, drawn by chance: the login must go through, as for any right code."""
    assert answer.status_code in (200, 302), answer.data[:300]
    assert client.get("/private").status_code == 200


def _assert_refused_and_counted(host: Host, client: FlaskClient, answer: Any, before: int) -> None:
    assert answer.status_code < 500, answer.data[:300]
    check_contract(answer)
    assert answer.status_code != 200
    assert not (300 <= answer.status_code < 400), "redirected: logged in?"
    assert client.get("/private").status_code in (302, 401), "a session got in"
    if answer.status_code in NOT_EVALUATED:
        assert answer.get_json()["status"] == NOT_EVALUATED[answer.status_code]
        assert _failures(host) == before
    else:
        assert _failures(host) == before + 1, "not counted as exactly one wrong code"


@slow
@FUZZ
@given(data=st.data())
def test_json_code_field(host: Host, data: st.DataObject) -> None:
    client, code = _fresh_login(host)
    make = data.draw(
        st.one_of(
            st.sampled_from(MANGLERS),
            JSON_VALUES.map(lambda v: lambda _code: v),
            HUGE.map(lambda n: lambda c: c * (n // 4)),
        )
    )
    value = make(code)
    remember = data.draw(JSON_VALUES)
    before = _failures(host)
    answer = client.post(f"{API}/verify", json={"code": value, "remember_pc": remember})
    if value == code and isinstance(value, str):
        _assert_accepted(client, answer)
    else:
        _assert_refused_and_counted(host, client, answer, before)


@slow
@FUZZ
@given(
    body=st.one_of(
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        HUGE.map(lambda n: b'{"code": "' + b"1" * n + b'"}'),
    ),
    content_type=CONTENT_TYPES,
)
@example(body=b'{"code": NaN}', content_type="application/json")
@example(body=b'{"code": 1e999}', content_type="application/json")
@example(body=b"\xff\xfe{", content_type="application/json")
def test_json_whole_body_and_content_type(host: Host, body: bytes, content_type: str) -> None:
    client, _ = _fresh_login(host)
    before = _failures(host)
    answer = client.post(f"{API}/verify", data=body, content_type=content_type)
    _assert_refused_and_counted(host, client, answer, before)


def _csrf_token(client: FlaskClient) -> str:
    page = client.get("/t2m2fa/code")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


@slow
@FUZZ
@given(data=st.data())
def test_html_form_fields_single_and_repeated(host: Host, data: st.DataObject) -> None:
    client, code = _fresh_login(host)
    text = st.one_of(
        st.sampled_from(TEXT_MANGLERS),
        _TEXT.map(lambda v: lambda _code: v),
        HUGE.map(lambda n: lambda _code: "9" * n),
    )
    codes = [make(code) for make in data.draw(st.lists(text, min_size=0, max_size=3))]
    fields = [("csrf_token", _csrf_token(client)), *(("code", c) for c in codes)]
    fields += [("remember_pc", v) for v in data.draw(st.lists(_TEXT, max_size=2))]
    before = _failures(host)
    answer = client.post("/t2m2fa/code", data=MultiDict(fields))
    if codes and codes[0] == code:  # a form field's value is its first one
        _assert_accepted(client, answer)
    else:
        _assert_refused_and_counted(host, client, answer, before)


@slow
@FUZZ
@given(destination=JSON_VALUES, as_form=st.booleans())
@example(destination="+32470000000", as_form=False)
@example(destination={"number": "+32470000000"}, as_form=True)
def test_resend_destination_never_reaches_another_number(
    host: Host, destination: Any, as_form: bool
) -> None:
    client, _ = _fresh_login(host)
    host.clock.advance(seconds=61)
    if as_form:
        form = MultiDict([("csrf_token", _csrf_token(client)), ("destination", str(destination))])
        answer = client.post("/t2m2fa/resend", data=form)
        assert answer.status_code == 302
    else:
        answer = check_contract(client.post(f"{API}/resend", json={"destination": destination}))
        if destination in ("primary", "backup"):
            assert answer.status_code == 200, answer.data[:300]
            assert answer.get_json()["status"] == "code_sent"
        else:  # anything else is refused, never read as a number
            assert answer.status_code == 400, answer.data[:300]
    assert {m.to for m in host.sms.messages} <= {PRIMARY, BACKUP}


_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)


@slow
@FUZZ
@given(token=JSON_VALUES | _HEADER_TEXT, header=st.none() | _HEADER_TEXT)
@example(token=".", header="a.b")
@example(token="x" * 5000, header=None)
def test_forged_remember_token_never_skips_the_code(
    host: Host, token: Any, header: str | None
) -> None:
    host.clock.advance(days=4)
    client = host.app.test_client()
    headers = {"X-T2M2FA-Remember": header} if header is not None else {}
    body = {
        "username": "victim",
        "password": "correct horse battery staple",
        "remember_token": token,
    }
    answer = check_contract(client.post("/login", json=body, headers=headers))
    assert answer.status_code == 200, answer.data[:300]
    assert answer.get_json()["status"] == "2fa_required"
    assert client.get("/private").status_code in (302, 401)


_URLISH = st.one_of(
    _HEADER_TEXT,
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(
                [
                    "/",
                    "//",
                    "\\",
                    "evil.example",
                    "http:",
                    "https:",
                    "javascript:",
                    ".",
                    "@",
                    "%2f",
                    "%5c",
                    "\t",
                    "\n",
                    " ",
                    "?",
                    "#",
                    "localhost",
                ]
            ),
            max_size=8,
        ),
    ),
)


@slow
@settings(FUZZ, max_examples=max(1, FUZZ.max_examples // 2))
@given(target=_URLISH)
@example(target="//evil.example/")
@example(target="/\\evil.example")
@example(target="https://evil.example/")
@example(target="/\t/evil.example")
def test_next_parameter_never_leaves_the_site(host: Host, target: str) -> None:
    """Where the login sends the browser, with or without the code step."""
    host.clock.advance(days=4)
    client = host.app.test_client()
    form = {"username": "victim", "password": "correct horse battery staple"}
    answer = client.post("/login", query_string={"next": target}, data=form)
    assert answer.status_code == 302
    page = client.get("/t2m2fa/code")
    code = host.sms.last_to(PRIMARY).code
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert found is not None
    done = client.post("/t2m2fa/code", data={"csrf_token": found.group(1), "code": code})
    assert done.status_code == 302
    location = urlsplit(done.headers["Location"])
    assert location.scheme in ("", "http") and location.netloc in ("", "localhost"), location
    assert not done.headers["Location"].startswith(("//", "/\\")), location


def test_deeply_nested_json_body_is_not_a_500(host: Host) -> None:
    client, _ = _fresh_login(host)
    body = '{"code": ' + "[" * 1500 + "]" * 1500 + "}"  # 3 kB: under the 4 kB limit
    for path in (f"{API}/verify", f"{API}/resend"):
        answer = client.post(path, data=body, content_type="application/json")
        assert answer.status_code < 500, path


def test_mangled_codes_cover_every_naive_check() -> None:
    """The manglers include inputs that int(), isdigit(), \\d and re.match with $ accept."""
    code = "0427"
    mangled = [m(code) for m in MANGLERS]
    texts = [v for v in mangled if isinstance(v, str)]
    assert any(t.isdigit() and t != code for t in texts)
    assert any(re.fullmatch(r"\d{4}", t) for t in texts)
    assert any(re.match(r"^[0-9]{4}$", t) and t != code for t in texts)
    assert sum(1 for t in texts if _int_or_none(t) == int(code)) >= 10


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None

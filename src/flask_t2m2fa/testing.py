"""The test kit for hosts: a pytest plugin with a recording SMS sender, a clock and a login helper.

Enable it in the host's ``conftest.py`` and hand the fixtures to the extension::

    pytest_plugins = ["flask_t2m2fa.testing"]

    @pytest.fixture
    def app(t2m2fa_sms, t2m2fa_clock):
        return create_app(sender=t2m2fa_sms, clock=t2m2fa_clock)  # -> two_factor.init_app(...)

    def test_home(app, t2m2fa_login):
        client = app.test_client()
        t2m2fa_login(client, user)               # password step skipped, code read and entered
        assert client.get("/").status_code == 200

Fixtures: ``t2m2fa_sms`` (:class:`RecordingSender`), ``t2m2fa_clock`` (:class:`FakeClock`),
``t2m2fa_login`` (:func:`login`) and ``t2m2fa_loopback`` (a loopback modem on a pty and a
gateway worker, see :mod:`flask_t2m2fa.testing_gateway`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import has_app_context

from gateway.message import DeliveryState, MessageStatus

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from .testing_gateway import Loopback

#: The kit clock's first reading: a fixed Monday morning, so tests never depend on today.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: The code in the extension's SMS text (``"<app>: your login code is 1234. ..."``).
_CODE_IN_TEXT = re.compile(r"\bcode is ([0-9]{4,8})\b")
_ANY_CODE = re.compile(r"\b([0-9]{4,8})\b")
_PUNCTUATION = re.compile(r"[\s().-]")


@dataclass(frozen=True)
class Sms:
    """One SMS handed to the sender; ``at`` is the sender clock's time, when it has one.

    ``user_ids``: the users (``get_id()``) whose primary or backup number, verified or not,
    is ``to``; empty when the SMS was sent outside an app context.
    """

    to: str
    text: str
    expires_at: datetime
    kind: str
    at: datetime | None = None
    user_ids: frozenset[str] = frozenset()

    @property
    def code(self) -> str:
        """The code in the text (the app name may hold digits: the phrase is looked for first)."""
        found = _CODE_IN_TEXT.search(self.text) or _ANY_CODE.search(self.text)
        if found is None:
            raise AssertionError("no code in the SMS")
        return found.group(1)


def _owners(to: str) -> frozenset[str]:
    """The users whose stored number is ``to`` (looked up by its keyed digest, never in clear)."""
    if not has_app_context():
        return frozenset()
    import sqlalchemy as sa

    from .models import Phone
    from .services import accounts
    from .state import get_state

    state = get_state()
    digest = accounts.number_digest(state, to)
    rows = state.session.scalars(sa.select(Phone.user_id).where(Phone.number_digest == digest))
    return frozenset(rows)


@dataclass
class RecordingSender:
    """Keeps what would have gone out; can fail at once or report a later failure.

    Thread-safe, for tests that send requests in parallel. Its helpers raise
    ``AssertionError`` (a test failure) when the SMS looked for was not sent.

    :param clock: stamps each SMS with this clock's time (``Sms.at``).
    """

    clock: Callable[[], datetime] | None = None
    messages: list[Sms] = field(default_factory=list)
    #: The next send raises, as a gateway that cannot even queue the message.
    fail_next: bool = False
    #: Message ids whose status reports a failure (as the gateway would, later).
    failed_ids: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        owners = _owners(to)
        with self._lock:
            if self.fail_next:
                self.fail_next = False
                raise ConnectionError("gateway unreachable")
            at = self.clock() if self.clock is not None else None
            self.messages.append(Sms(to, text, expires_at, kind, at, owners))
            return str(len(self.messages))

    def status(self, message_id: str) -> MessageStatus | None:
        state = DeliveryState.FAILED if message_id in self.failed_ids else DeliveryState.QUEUED
        return MessageStatus(id=int(message_id), state=state)

    @property
    def last(self) -> Sms:
        """The latest SMS, to any number."""
        if not self.messages:
            raise AssertionError("no SMS was sent")
        return self.messages[-1]

    def last_to(self, number: str) -> Sms:
        """The latest SMS to ``number`` (E.164; spaces, dots, dashes and brackets are ignored)."""
        wanted = _PUNCTUATION.sub("", number)
        sent = [m for m in self.messages if m.to == wanted]
        if not sent:
            raise AssertionError("no SMS to that number")
        return sent[-1]

    def last_for(self, user: Any) -> Sms:
        """The latest SMS to any number of ``user`` (a user object with ``get_id()``)."""
        user_id = str(user.get_id())
        sent = [m for m in self.messages if user_id in m.user_ids]
        if not sent:
            raise AssertionError(f"no SMS to a number of user {user_id}")
        return sent[-1]

    def last_code_for(self, user_or_number: Any) -> str:
        """The code of the latest SMS to a user (object with ``get_id()``) or to a number."""
        if isinstance(user_or_number, str):
            return self.last_to(user_or_number).code
        return self.last_for(user_or_number).code

    def clear(self) -> None:
        """Forget every SMS kept so far."""
        with self._lock:
            self.messages.clear()


class FakeClock:
    """A clock for ``init_app(clock=...)``: stands still until the test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move on by a ``timedelta(**kwargs)``, e.g. ``advance(minutes=5)``."""
        self.now += timedelta(**kwargs)


def login(client: FlaskClient, user: Any, *, remember_pc: bool = False) -> dict[str, Any]:
    """Log ``user`` in on ``client`` with the second factor, as the code page would; one call.

    Starts the login as the host's view does after the password (:meth:`TwoFactor.login`, in
    the client's session), reads the code from the app's :class:`RecordingSender` and enters
    it through the JSON API. Returns the final JSON answer (``status`` ``"ok"``, and
    ``remember_token`` when ``remember_pc`` was asked and the policy allows it).
    """
    from flask import url_for
    from flask.ctx import RequestContext
    from flask.testing import EnvironBuilder

    from .state import get_state

    app = client.application
    environ = EnvironBuilder(app, headers=_JSON).get_environ()
    with client.session_transaction() as sess, RequestContext(app, environ, session=sess):
        # The host's login view, run in the client's own session.
        state = get_state()
        sender = state.sender
        if not isinstance(sender, RecordingSender):
            raise TypeError("t2m2fa_login needs init_app(sender=<a RecordingSender>)")
        verify_url = url_for("t2m2fa.api.api_verify")
        sent_before = len(sender.messages)
        state.extension.login(user)
    if len(sender.messages) == sent_before:
        return {"status": "ok"}  # no second factor was due
    answer = client.post(verify_url, json={"code": sender.last.code, "remember_pc": remember_pc})
    body: dict[str, Any] = answer.get_json()
    if answer.status_code != 200 or body.get("status") != "ok":
        raise AssertionError(f"the code was refused: {answer.status_code} {body}")
    return body


_JSON = {"Accept": "application/json"}


@pytest.fixture
def t2m2fa_clock() -> FakeClock:
    """A clock standing at :data:`START`; pass it to ``init_app(clock=...)``, move it by hand."""
    return FakeClock()


@pytest.fixture
def t2m2fa_sms(t2m2fa_clock: FakeClock) -> RecordingSender:
    """The SMS sender to pass to ``init_app(sender=...)``: keeps every SMS, sends none."""
    return RecordingSender(clock=t2m2fa_clock)


@pytest.fixture
def t2m2fa_login() -> Callable[..., dict[str, Any]]:
    """:func:`login`: ``t2m2fa_login(client, user)`` completes a 2FA login in one call."""
    return login


@pytest.fixture
def t2m2fa_loopback(tmp_path: Path) -> Iterator[Loopback]:
    """A loopback modem on a pty; ``.start_worker(database_url)`` sends the outbox through it.

    For end-to-end tests with the default sender (the gateway outbox in the app's database).
    """
    from .testing_gateway import Loopback

    loopback = Loopback(tmp_path / "t2m2fa-phone")
    try:
        loopback.start()
        yield loopback
    finally:
        loopback.stop()

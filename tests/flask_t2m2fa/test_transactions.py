"""One commit per request: signals only for what was committed; a failed send is isolated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import BACKUP, PRIMARY, FakeClock, Host, build_app, json_login

from flask_t2m2fa import signals
from flask_t2m2fa.models import AuditEvent, Challenge
from flask_t2m2fa.services import accounts, challenges, unit_of_work
from flask_t2m2fa.state import get_state


def _issue_login_challenge(host: Host, user: Any) -> None:
    state = get_state()
    ref = state.ref(user)
    phone = accounts.phone_of(state, ref.user_id, accounts.PRIMARY, verified=True)
    assert phone is not None
    challenges.issue(state, ref, challenges.Request(challenges.LOGIN, phone))


def test_a_rolled_back_branch_sends_no_signal(app: Flask, host: Host, alice: Any) -> None:
    seen: list[dict[str, Any]] = []
    with signals.code_sent.connected_to(lambda _app, **kw: seen.append(kw)):
        _issue_login_challenge(host, alice)
        assert seen == []  # not before the commit
        unit_of_work.rollback(host.db.session)
        unit_of_work.commit(host.db.session)
    assert seen == []
    assert host.db.session.scalar(sa.select(sa.func.count()).select_from(Challenge)) == 0


def test_work_the_host_commits_signals_after_its_commit_and_never_after_its_rollback(
    app: Flask, host: Host, alice: Any
) -> None:
    """The facade's calls join the host's transaction: their signals follow the host's own
    commit or rollback of that session (a listener on that session object, not the class)."""
    seen: list[dict[str, Any]] = []
    session = host.db.session
    with signals.code_sent.connected_to(lambda _app, **kw: seen.append(kw)):
        _issue_login_challenge(host, alice)
        unit_of_work.follow_host_commit(session)
        session.rollback()  # the host's own rollback
        unit_of_work.send_ready(session)
        assert seen == []
        _issue_login_challenge(host, alice)
        unit_of_work.follow_host_commit(session)
        session.commit()  # the host's own commit
        assert seen == []  # sent once the commit returned (the end of the request)
        unit_of_work.send_ready(session)
    assert len(seen) == 1


def test_signals_go_out_after_the_commit_that_made_their_rows(
    app: Flask, host: Host, alice: Any, database_url: str
) -> None:
    visible: list[int] = []

    def receiver(_app: Any, **_kw: Any) -> None:
        # Another connection sees the audit row: the signal came after the commit. (Disposed:
        # a pooled PostgreSQL connection left to the collector fails a later test's setup.)
        engine = sa.create_engine(database_url)
        with engine.connect() as other:
            visible.append(
                other.scalar(sa.select(sa.func.count()).where(AuditEvent.event == "code_sent")) or 0
            )
        engine.dispose()

    with signals.code_sent.connected_to(receiver):
        _issue_login_challenge(host, alice)
        unit_of_work.commit(host.db.session)
    assert visible == [1]


class QueryingSender:
    """A sender whose database write fails inside the challenge's transaction."""

    def __init__(self, host_db: Any) -> None:
        self.db = host_db
        self.fail = True

    def send(self, to: str, text: str, **_kw: Any) -> str:
        if self.fail:
            self.db.session.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))
        return "1"

    def status(self, _message_id: str) -> None:
        return None


@pytest.fixture
def failing_app(db_url: str) -> Iterator[Flask]:
    holder: dict[str, Any] = {}

    class Proxy:
        def send(self, to: str, text: str, **kw: Any) -> str:
            return str(holder["sender"].send(to, text, **kw))

        def status(self, message_id: str) -> None:
            return None

    app = build_app(db_url, FakeClock(), Proxy(), {})
    with app.app_context():
        host: Host = app.extensions["test_host"]
        holder["sender"] = QueryingSender(host.db)
        user = host.add_user("pat")
        host.two_factor.enable_for(user, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
        host.db.session.commit()
        yield app
        host.db.session.remove()
        host.db.engine.dispose()


def test_a_send_that_fails_inside_the_transaction_is_a_clear_answer(failing_app: Flask) -> None:
    """PostgreSQL needs the savepoint around the send; SQLite undoes only the failed statement
    (``unit_of_work.statement_savepoint``). On both, the login says so and records it."""
    client = failing_app.test_client()
    answer = json_login(client, "pat")
    assert answer.status_code == 200, answer.data
    assert answer.json["send_failed"] is True and answer.json["sent_to"] is None
    assert "try your backup phone" in answer.json["message"]
    host: Host = failing_app.extensions["test_host"]
    events = set(host.db.session.scalars(sa.select(AuditEvent.event)))
    assert {"challenge_created", "send_failed"} <= events

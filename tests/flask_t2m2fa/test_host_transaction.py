"""The host owns its transaction: the facade flushes, never commits, and a refusal undoes only
its own writes (Flask-SQLAlchemy's rule: commit when you are done).

What is committed is read on a connection of its own, as another process would see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from t2m2fa_support import BACKUP, PRIMARY, FakeClock, Host, RecordingSender, build_app

from flask_t2m2fa.models import AccountPolicy, AuditEvent, Phone, UserSettings
from flask_t2m2fa.rules.phones import PhoneError


@pytest.fixture
def host_app(db_url: str, clock: FakeClock, sms: RecordingSender) -> Iterator[Flask]:
    app = build_app(db_url, clock, sms, {})
    with app.app_context():
        yield app
        app.extensions["test_host"].db.session.remove()
        app.extensions["test_host"].db.engine.dispose()


@pytest.fixture
def committed(db_url: str) -> Iterator[Any]:
    """Counts the committed rows of a table, on a connection of its own."""
    engine = sa.create_engine(db_url)

    def count(table: Any, **where: Any) -> int:
        query = sa.select(sa.func.count()).select_from(table.__table__)
        for name, value in where.items():
            query = query.where(table.__table__.c[name] == value)
        with engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    yield count
    engine.dispose()


def test_a_refused_number_keeps_the_hosts_pending_changes(host_app: Flask, committed: Any) -> None:
    host: Host = host_app.extensions["test_host"]
    alice = host.add_user("alice")
    host.db.session.add(host.User(username="bob", account_id="acme", is_admin=False))
    with pytest.raises(PhoneError):
        # The primary is written, then the backup is refused: the savepoint undoes both.
        host.two_factor.enable_for(alice, primary_phone=PRIMARY, backup_phone="12")
    host.db.session.commit()
    assert committed(host.User, username="bob") == 1
    assert committed(UserSettings) == 0 and committed(Phone) == 0
    assert committed(AuditEvent) == 0


def test_the_facade_never_commits(host_app: Flask, committed: Any) -> None:
    """Each call flushes into the host's transaction; a rollback of the host undoes them all,
    also when a call is the first write of the transaction (SQLite: no early commit)."""
    host: Host = host_app.extensions["test_host"]
    alice, bob = host.add_user("alice"), host.add_user("bob")
    facade = host.two_factor
    facade.enable_for(alice, primary_phone=PRIMARY, backup_phone=BACKUP, verified=True)
    facade.set_policy("acme", remember_pc_allowed=True)
    facade.user_created(bob)
    facade.unlock(alice)
    facade.revoke_remembered_pcs(alice)
    facade.sign_out_everywhere(alice)
    facade.disable_for(alice)
    assert host.two_factor.status_of(alice)["enabled"] is False  # flushed: visible to the host
    assert committed(UserSettings) == 0 and committed(AccountPolicy) == 0
    assert committed(Phone) == 0 and committed(AuditEvent) == 0
    host.db.session.rollback()
    assert committed(UserSettings) == 0 and committed(Phone) == 0
    host.two_factor.enable_for(alice, primary_phone=PRIMARY, verified=True)
    host.db.session.commit()
    assert committed(UserSettings) == 1 and committed(Phone) == 1


def test_the_cli_commits_what_it_changes(host_app: Flask, committed: Any, clock: FakeClock) -> None:
    host: Host = host_app.extensions["test_host"]
    alice = host.add_user("alice")
    runner: FlaskCliRunner = host_app.test_cli_runner()
    result = runner.invoke(args=["t2m2fa", "user", "enable", str(alice.id), "--primary", PRIMARY])
    assert result.exit_code == 0, result.output
    assert committed(Phone) == 1
    result = runner.invoke(args=["t2m2fa", "policy", "set", "acme", "--mode", "enforced"])
    assert result.exit_code == 0, result.output
    assert committed(AccountPolicy, mode="enforced") == 1

"""The CLI with a host that names accounts and users."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from t2m2fa_support import PRIMARY, FakeClock, Host, RecordingSender, build_app
from test_cli import run


def test_accounts_and_users_by_the_hosts_names(admin_app: Flask, people: dict[str, Any]) -> None:
    runner = admin_app.test_cli_runner()
    run(runner, "policy", "set", "Acme Corp", "--new-users")
    assert "2FA for new users: yes" in run(runner, "policy", "show", "acme")
    unknown = runner.invoke(args=["t2m2fa", "policy", "show", "Acme"])
    assert unknown.exit_code != 0 and "unknown account name or id 'Acme'" in unknown.output
    run(runner, "user", "disable", "alice")
    listed = run(runner, "user", "list", "--account", "Acme Corp").splitlines()
    assert [line.split()[0] for line in listed] == ["boss", "alice", "bob"]
    assert " 2fa=off" in listed[1] and " 2fa=off" in listed[2]
    audit = run(runner, "audit", "list", "--limit", "3")
    assert "two_factor_disabled ok account=acme user=alice by=-" in audit


def fails(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=["t2m2fa", *args])
    assert result.exit_code == 1, result.output
    return result.output


def test_users_without_settings_by_their_login_names(
    admin_app: Flask, people: dict[str, Any]
) -> None:
    """bob and stranger never had 2FA: the extension has no row of them, the host has."""
    host: Host = admin_app.extensions["test_host"]
    runner = admin_app.test_cli_runner()
    stranger = people["stranger"]
    assert run(runner, "user", "show", "stranger").startswith("enabled=None locked=False\n")
    assert run(runner, "user", "unlock", "stranger") == "stranger was not locked\n"
    assert "0 remembered PC(s) revoked" in run(runner, "user", "revoke-pcs", "stranger")
    run(runner, "user", "enable", "stranger", "--primary", PRIMARY)
    assert host.two_factor.status_of(stranger)["enabled"] is True
    run(runner, "user", "disable", "stranger")
    assert host.two_factor.status_of(stranger)["enabled"] is False
    audit = run(runner, "audit", "list", "--user", "stranger")
    assert "two_factor_disabled ok account=other user=stranger" in audit
    run(runner, "user", "enable", "bob")  # left to him: he enrols at his next login
    assert host.two_factor.status_of(people["bob"])["enabled"] is True


def test_a_name_used_in_two_accounts_needs_the_account(
    admin_app: Flask, people: dict[str, Any]
) -> None:
    host: Host = admin_app.extensions["test_host"]
    runner = admin_app.test_cli_runner()
    other_bob = host.add_user("bob", account="other")
    refused = fails(runner, "user", "enable", "bob", "--primary", PRIMARY)
    assert "2 users are named 'bob', in accounts acme, other: add --account ACCOUNT" in refused
    assert host.two_factor.status_of(other_bob)["enabled"] is None  # nothing done
    assert host.two_factor.status_of(people["bob"])["enabled"] is None
    fails(runner, "audit", "list", "--user", "bob")
    run(runner, "user", "enable", "bob", "--account", "Other Ltd", "--primary", PRIMARY)
    assert host.two_factor.status_of(other_bob)["enabled"] is True
    assert host.two_factor.status_of(people["bob"])["enabled"] is None
    assert "enabled=None" in run(runner, "user", "show", "bob", "--account", "acme")
    audit = run(runner, "audit", "list", "--user", "bob", "--account", "Other Ltd")
    assert "two_factor_enabled ok account=other user=bob" in audit
    assert f"user={other_bob.id}" not in audit


def test_unknown_names_and_accounts_are_refused(admin_app: Flask, people: dict[str, Any]) -> None:
    runner = admin_app.test_cli_runner()
    assert "no user with id or name 'nobody'" in fails(runner, "user", "show", "nobody")
    missing = fails(runner, "user", "disable", "stranger", "--account", "Acme Corp")
    assert "no user with id or name 'stranger' in account 'Acme Corp'" in missing
    rival = str(people["rival"].id)  # an id, but of the other account
    assert "no user with id or name" in fails(runner, "user", "show", rival, "--account", "acme")
    assert "unknown account name or id 'Nope'" in fails(
        runner, "user", "show", "bob", "--account", "Nope"
    )
    assert "no user with id or name 'nobody'" in fails(runner, "audit", "list", "--user", "nobody")


@pytest.fixture
def display_named_app(database_url: str, clock: FakeClock, sms: RecordingSender) -> Iterator[Flask]:
    """A host that lists its users (users_of) and names them (display_name), with no
    look-up by login name: the CLI finds a name among the users the host lists."""
    holder: dict[str, Any] = {}

    def users_of(account_id: str) -> Any:
        return sa.select(holder["host"].User).filter_by(account_id=account_id)

    init = {"users_of": users_of, "display_name": lambda u: u.username.title()}
    app = build_app(database_url, clock, sms, {}, init=init)
    holder["host"] = app.extensions["test_host"]
    with app.app_context():
        yield app
        holder["host"].db.session.remove()
        holder["host"].db.engine.dispose()


def test_without_users_named_the_display_names_of_listed_users(display_named_app: Flask) -> None:
    host: Host = display_named_app.extensions["test_host"]
    runner = display_named_app.test_cli_runner()
    alice = host.add_user("alice")
    host.two_factor.enable_for(alice, primary_phone=PRIMARY, verified=True)  # acme is known
    host.db.session.commit()
    carol = host.add_user("carol")  # no settings, in a known account
    dave = host.add_user("dave", account="newco")  # no row of his account at all
    run(runner, "user", "enable", "Carol")
    assert host.two_factor.status_of(carol)["enabled"] is True
    assert "no user with id or name 'Dave'" in fails(runner, "user", "enable", "Dave")
    run(runner, "user", "enable", "Dave", "--account", "newco")
    assert host.two_factor.status_of(dave)["enabled"] is True
    host.add_user("carol", account="newco")
    assert "add --account ACCOUNT" in fails(runner, "user", "show", "Carol")
    assert "enabled=True" in run(runner, "user", "show", "Carol", "--account", "acme")

"""The CLI with a host that names accounts and users."""

from __future__ import annotations

from typing import Any

from flask import Flask
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

"""``flask t2m2fa`` administrator commands."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskCliRunner
from t2m2fa_support import BACKUP, PRIMARY, Host

from flask_t2m2fa.models import Failure, UserSettings


def run(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=["t2m2fa", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_policy_set_and_show(runner: FlaskCliRunner, host: Host, alice: Any) -> None:
    run(runner, "policy", "set", "acme", "--mode", "enforced")
    assert run(runner, "policy", "show", "acme").splitlines() == [
        "mode: enforced",
        "2FA for new users: no",
        "Remember this PC: allowed",
        "remembered PCs expire: never",
        "recovery codes: allowed",
    ]
    assert host.two_factor.policy_of("acme").mode == "enforced"


def test_policy_set_changes_only_the_options_given(
    runner: FlaskCliRunner, host: Host, alice: Any
) -> None:
    run(runner, "policy", "set", "acme", "--mode", "enforced", "--remember-days", "30")
    assert run(runner, "policy", "set", "acme", "--remember-days", "7") == (
        "policy of acme: remember_pc_days = 7\n"
    )
    assert host.two_factor.policy_of("acme").mode == "enforced"  # kept
    assert "nothing changed" in run(runner, "policy", "set", "acme", "--mode", "enforced")
    run(runner, "policy", "set", "acme", "--remember-days", "never")
    assert host.two_factor.policy_of("acme").remember_pc_days is None


def test_policy_set_refuses_an_unknown_account(runner: FlaskCliRunner, host: Host) -> None:
    result = runner.invoke(args=["t2m2fa", "policy", "set", "acmee", "--mode", "enforced"])
    assert result.exit_code != 0 and "unknown account id 'acmee'" in result.output
    assert host.two_factor.policy_of("acmee").mode == "standard"


def test_user_list_and_audit_names(runner: FlaskCliRunner, host: Host, alice: Any) -> None:
    listed = run(runner, "user", "list", "--account", "acme")
    assert listed.startswith(f"{alice.id} id={alice.id} account=acme 2fa=on")
    assert "primary=+32 ••• ••• •67" in listed and PRIMARY not in listed


def test_user_enable_show_disable(runner: FlaskCliRunner, host: Host) -> None:
    user = host.add_user("erin")
    run(runner, "user", "enable", str(user.id), "--primary", PRIMARY, "--backup", BACKUP)
    shown = run(runner, "user", "show", str(user.id))
    assert "pending=+32 ••• ••• •67" in shown and PRIMARY not in shown
    run(runner, "user", "disable", str(user.id))
    assert "enabled=False" in run(runner, "user", "show", str(user.id))


def test_enable_refuses_bad_numbers_and_admin_without_backup(
    runner: FlaskCliRunner, host: Host
) -> None:
    admin = host.add_user("root", admin=True)
    result = runner.invoke(args=["t2m2fa", "user", "enable", str(admin.id), "--primary", PRIMARY])
    assert result.exit_code != 0 and "backup phone" in result.output
    result = runner.invoke(
        args=[
            "t2m2fa",
            "user",
            "enable",
            str(admin.id),
            "--primary",
            "+3223456789",
            "--backup",
            BACKUP,
        ]
    )
    assert result.exit_code != 0 and "mobile" in result.output
    unknown = runner.invoke(args=["t2m2fa", "user", "disable", "999"])
    assert unknown.exit_code != 0 and "no user" in unknown.output


def test_unlock_and_revoke(runner: FlaskCliRunner, host: Host, alice: Any) -> None:
    settings = host.db.session.get(UserSettings, str(alice.id))
    assert settings is not None
    settings.locked_at = settings.created_at
    host.db.session.add(
        Failure(user_id=str(alice.id), challenge_id="x", failed_at=settings.created_at)
    )
    host.db.session.commit()
    assert "unlocked" in run(runner, "user", "unlock", str(alice.id))
    assert "was not locked" in run(runner, "user", "unlock", str(alice.id))
    assert "0 remembered PC(s) revoked" in run(runner, "user", "revoke-pcs", str(alice.id))


def test_audit_list(runner: FlaskCliRunner, host: Host, alice: Any) -> None:
    run(runner, "user", "revoke-pcs", str(alice.id))
    listing = run(runner, "audit", "list", "--user", str(alice.id), "--limit", "5")
    assert "pcs_revoked" in listing and "two_factor_enabled" in listing
    assert PRIMARY not in listing

"""``flask t2m2fa user import FILE.csv``: known numbers in, wrong lines named, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskCliRunner
from t2m2fa_support import BACKUP, PRIMARY, Host, RecordingSender, json_login

OTHER = "+32470555512"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_turns_2fa_on_with_verified_numbers(
    host: Host, runner: FlaskCliRunner, tmp_path: Path, sms: RecordingSender, client: Any
) -> None:
    boss = host.add_user("boss", admin=True)
    worker = host.add_user("worker")
    newcomer = host.add_user("newcomer")
    csv_file = write(
        tmp_path,
        "user_id,primary,backup,verified\n"
        f"{boss.id},{PRIMARY},{BACKUP},yes\n"
        f"{worker.id},+32 470 55 55 12,,no\n"
        f"{newcomer.id},,,\n",
    )
    result = runner.invoke(args=["t2m2fa", "user", "import", csv_file])
    assert result.exit_code == 0, result.output
    assert "3 user(s) imported" in result.output
    status = host.two_factor.status_of(boss)
    assert status["enabled"] and status["phones"]["backup"]["verified"] == "+32 ••• ••• •21"
    assert host.two_factor.status_of(worker)["phones"]["primary"]["pending"] == "+32 ••• ••• •12"
    assert host.two_factor.status_of(newcomer)["enabled"] is True
    # A verified number receives the login code at once, no verification step.
    assert json_login(client, "boss").json["purpose"] == "login"
    assert sms.last.to == PRIMARY


def test_wrong_lines_are_all_named_and_nothing_is_imported(
    host: Host, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    good = host.add_user("good")
    admin = host.add_user("admin", admin=True)
    twice = host.add_user("twice")
    csv_file = write(
        tmp_path,
        "user_id;primary;backup;verified\n"  # Excel's semicolons
        f"{good.id};{PRIMARY};;yes\n"
        "999;+32470123467;;yes\n"
        f"{twice.id};12;;no\n"
        f"{twice.id};{OTHER};;maybe\n"
        f"{admin.id};{OTHER};;yes\n"
        f"{good.id};{OTHER};{OTHER};no\n",
    )
    result = runner.invoke(args=["t2m2fa", "user", "import", csv_file])
    assert result.exit_code == 1
    out = result.output
    assert "line 3: no user with id '999'" in out
    assert "line 4: primary: not a" in out
    assert "line 5: verified must be yes or no, got 'maybe'" in out
    assert "line 6: an administrator needs a backup phone" in out
    assert "line 7: the backup phone must differ from the primary phone" in out
    assert "5 wrong line(s): nothing imported" in out
    assert "line 2" not in out
    assert host.two_factor.status_of(good)["enabled"] is None


def test_duplicate_user_is_a_wrong_line(host: Host, runner: FlaskCliRunner, tmp_path: Path) -> None:
    user = host.add_user("dup")
    csv_file = write(
        tmp_path, f"user_id,primary,backup,verified\n{user.id},{PRIMARY},,no\n{user.id},,,no\n"
    )
    result = runner.invoke(args=["t2m2fa", "user", "import", csv_file])
    assert result.exit_code == 1
    assert f"line 3: user '{user.id}' is on an earlier line too" in result.output


def test_header_must_name_the_columns(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["t2m2fa", "user", "import", write(tmp_path, "id,phone\n1,2\n")])
    assert result.exit_code == 1
    assert "missing: user_id,primary,backup,verified" in result.output


def test_dry_run_imports_nothing(host: Host, runner: FlaskCliRunner, tmp_path: Path) -> None:
    user = host.add_user("dry")
    csv_file = write(tmp_path, f"user_id,primary,backup,verified\n{user.id},{PRIMARY},,yes\n")
    result = runner.invoke(args=["t2m2fa", "user", "import", "--dry-run", csv_file])
    assert result.exit_code == 0 and "1 user(s) would be imported" in result.output
    assert host.two_factor.status_of(user)["enabled"] is None


def test_importing_the_same_file_twice_is_harmless(
    host: Host, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    user = host.add_user("again")
    csv_file = write(tmp_path, f"user_id,primary,backup,verified\n{user.id},{PRIMARY},,yes\n")
    for _ in range(2):
        result = runner.invoke(args=["t2m2fa", "user", "import", csv_file])
        assert result.exit_code == 0, result.output
    assert host.two_factor.status_of(user)["phones"]["primary"]["verified"] == "+32 ••• ••• •67"

"""``t2m2fa-gateway run --key-file`` and ``t2m2fa-gateway outbox-key new|rekey``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from doubles import OUTBOX_KEY, OUTBOX_KEYS
from gateway.cli import main
from gateway.outbox import Outbox, OutboxKeys

NO_KEY_ENV = {"T2M2FA_OUTBOX_KEY_FILE": None}


def test_worker_without_a_key_stops_at_start_with_one_line() -> None:
    result = CliRunner(env=NO_KEY_ENV).invoke(
        main, ["run", "--database", "sqlite://", "--fake", "1"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("Error: no outbox key: give --key-file PATH or set ")
    assert "Traceback" not in result.output


def test_worker_with_an_unusable_key_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "outbox.key"
    path.write_text("not base64!\n")
    args = ["run", "--database", "sqlite://", "--fake", "1", "--key-file", str(path)]
    result = CliRunner(env=NO_KEY_ENV).invoke(main, args)
    assert result.exit_code == 2
    assert f"{path}: an outbox key must be base64" in result.output


def test_new_key_file_is_private_and_a_second_key_goes_first(tmp_path: Path) -> None:
    path = tmp_path / "outbox.key"
    first = CliRunner().invoke(main, ["outbox-key", "new", "--key-file", str(path)])
    assert first.exit_code == 0, first.output
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    old = OutboxKeys.from_file(path)
    second = CliRunner().invoke(main, ["outbox-key", "new", "--key-file", str(path)])
    keys = OutboxKeys.from_file(path)
    assert keys.current_id != old.current_id and old.current_id in keys.key_ids
    assert f"new outbox key {keys.current_id} is now current" in second.output
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_rekey_moves_waiting_messages_to_the_current_key(tmp_path: Path, sqlite_url: str) -> None:
    outbox = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    soon = datetime.now(UTC) + timedelta(minutes=5)
    msg_id = outbox.enqueue("+32470123456", "code 1234", expires_at=soon)
    path = tmp_path / "outbox.key"
    path.write_text(OUTBOX_KEY + "\n")
    CliRunner().invoke(main, ["outbox-key", "new", "--key-file", str(path)])
    args = ["outbox-key", "rekey", "--database", sqlite_url, "--key-file", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 message(s)" in result.output
    outbox.keys = OutboxKeys.from_text(path.read_text().splitlines()[0])  # new key only
    assert [c.id for c in outbox.claim("w", "m")] == [msg_id]
    outbox.engine.dispose()

"""``flask t2m2fa user import FILE.csv``: turn 2FA on for many existing users at once.

The whole file is checked first and nothing is imported if any line is wrong, every wrong
line being reported. Each user is then imported by :meth:`TwoFactor.enable_for`, which commits
per user; should the database fail half-way, the command names the users already imported, and
running the same file again is harmless (a number already stored is kept as it is).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import IO, Any

import click

from .rules import phones, policy
from .services import accounts, unit_of_work
from .state import State, get_state

COLUMNS = ("user_id", "primary", "backup", "verified")
_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class Line:
    number: int
    user: Any
    user_id: str
    primary: str | None
    backup: str | None
    verified: bool


class LineError(ValueError):
    """What is wrong with one line; the message names no full number."""


@click.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--dry-run", is_flag=True, help="Check the file only; import nothing.")
def user_import(file: IO[str], dry_run: bool) -> None:
    """Turn 2FA on for the users of a CSV FILE: user_id,primary,backup,verified.

    verified is yes or no: yes only for numbers you know reach the user (no code is sent to
    check them); with no, each number is checked by a code at the user's next login. A line
    without numbers lets the user enter his own at next login.
    """
    state = get_state()
    lines, errors = _check(state, _rows(file))
    for message in errors:
        click.echo(message, err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} wrong line(s): nothing imported")
    if dry_run:
        click.echo(f"{len(lines)} user(s) would be imported")
        return
    _import(state, lines)
    click.echo(f"{len(lines)} user(s) imported")


def _rows(file: IO[str]) -> list[tuple[int, dict[str, str]]]:
    header = file.readline()
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = [name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter), [])]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise click.ClickException(
            f"line 1: the header must name the columns {','.join(COLUMNS)} (missing: "
            f"{','.join(missing)})"
        )
    reader = csv.reader(file, delimiter=delimiter)
    rows = []
    for values in reader:
        if any(v.strip() for v in values):
            row = {n: v.strip() for n, v in zip(names, values, strict=False)}
            rows.append((reader.line_num + 1, row))
    return rows


def _check(state: State, rows: list[tuple[int, dict[str, str]]]) -> tuple[list[Line], list[str]]:
    lines, errors, seen = [], [], set()
    for number, row in rows:
        try:
            line = _line(state, number, row)
            if line.user_id in seen:
                raise LineError(f"user {line.user_id!r} is on an earlier line too")
            seen.add(line.user_id)
            lines.append(line)
        except LineError as exc:
            errors.append(f"line {number}: {exc}")
    return lines, errors


def _line(state: State, number: int, row: dict[str, str]) -> Line:
    user_id = row.get("user_id", "")
    verified_text = row.get("verified", "").lower()
    if verified_text not in _YES | _NO:
        raise LineError(f"verified must be yes or no, got {verified_text!r}")
    user = _find(state, user_id)
    if user is None:
        raise LineError(f"no user with id {user_id!r}")
    primary = _number(state, "primary", row.get("primary", ""))
    backup = _number(state, "backup", row.get("backup", ""))
    if primary is not None and primary == backup:
        raise LineError("the backup phone must differ from the primary phone")
    verified = verified_text in _YES
    if verified and primary is None and backup is None:
        raise LineError("verified is yes but the line has no number")
    ref = state.ref(user)
    has_primary = primary is not None or _stored(state, ref.user_id, accounts.PRIMARY)
    if (
        policy.backup_required(is_admin=ref.is_admin)
        and has_primary
        and backup is None
        and not _stored(state, ref.user_id, accounts.BACKUP)
    ):
        raise LineError("an administrator needs a backup phone")
    return Line(number, user, ref.user_id, primary, backup, verified)


def _find(state: State, user_id: str) -> Any:
    """The host's user, or None; a loader that chokes on the id (int("x")) means no user."""
    if not user_id:
        return None
    try:
        return state.find_user(user_id)
    except (ValueError, TypeError, LookupError):
        return None


def _number(state: State, role: str, text: str) -> str | None:
    if not text:
        return None
    s = state.settings
    try:
        return phones.normalise(
            text, default_region=s.default_region, allowed_regions=s.country_allowlist
        )
    except phones.PhoneError as exc:
        raise LineError(f"{role}: {exc}") from exc


def _stored(state: State, user_id: str, role: str) -> bool:
    return any(accounts.phone_of(state, user_id, role, verified=v) for v in (True, False))


def _import(state: State, lines: list[Line]) -> None:
    from .extension import TwoFactor

    done: list[str] = []
    for line in lines:
        try:
            TwoFactor().enable_for(
                line.user,
                primary_phone=line.primary,
                backup_phone=line.backup,
                verified=line.verified,
            )
        except Exception as exc:
            unit_of_work.rollback(state.session)
            imported = ", ".join(done) or "none"
            raise click.ClickException(
                f"line {line.number}: {type(exc).__name__}: {exc}; imported before it: "
                f"{imported}; fix the line and run the same file again"
            ) from exc
        done.append(line.user_id)

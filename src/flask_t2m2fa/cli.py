"""``flask t2m2fa ...``: tables, and the administrator's commands.

User commands take the host's user id (what Flask-Login's ``get_id`` returns), loaded with the
host's loader, or a name the host gives the user (``users_named=``, ``display_name=``), with
``--account`` when users of several accounts have that name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from . import cli_names
from .cli_import import user_import
from .cli_migrations import migrations_group
from .models import AuditEvent, UserSettings, metadata
from .rules.phones import PhoneError
from .rules.policy import COOKIE_MAX_DAYS
from .services import accounts, admin_users, recovery, unit_of_work
from .state import get_state

if TYPE_CHECKING:
    from .extension import TwoFactor

cli = AppGroup("t2m2fa", help="Two-factor login: tables, policies, users, audit.")
user_group = AppGroup("user", help="Per-user administration.")
policy_group = AppGroup("policy", help="Account policies.")
audit_group = AppGroup("audit", help="The audit trail.")
cli.add_command(user_group)
cli.add_command(policy_group)
cli.add_command(audit_group)
cli.add_command(migrations_group)
user_group.add_command(user_import)


@cli.command("init-db")
def init_db() -> None:
    """Create the extension's tables (and the outbox's) for apps without migrations."""
    state = get_state()
    metadata.create_all(state.db.engine)
    create_outbox = getattr(getattr(state.sender, "outbox", None), "create_schema", None)
    if callable(create_outbox):  # the default sender queues in the gateway outbox
        create_outbox()
    click.echo("t2m2fa tables ready")


@cli.command("upgrade")
@click.argument("revision", default="heads")
def upgrade(revision: str) -> None:
    """Run the extension's Alembic migrations (own version table t2m2fa_alembic_version)."""
    # Imported here: init_app registers this CLI in every web process, which should not pay
    # for importing Alembic at start-up.
    from . import migrations

    try:
        adopted = migrations.upgrade(get_state().db.engine, revision)
    except migrations.SchemaMismatch as exc:
        raise click.ClickException(str(exc)) from None
    if adopted:
        click.echo("t2m2fa tables made by create_all match this release: stamped, nothing to run")
    else:
        click.echo(f"t2m2fa tables upgraded to {revision}")


@cli.command("stamp")
@click.argument("revision", default="heads")
def stamp(revision: str) -> None:
    """Record the extension's tables as at REVISION, unchanged (after a manual fix)."""
    from . import migrations

    migrations.stamp(get_state().db.engine, revision)
    click.echo(f"t2m2fa tables stamped at {revision}")


F = TypeVar("F", bound=Callable[..., Any])


def _user_argument(command: F) -> F:
    """USER and its --account, for every command that takes one user."""
    command = click.option(
        "--account",
        "account",
        default=None,
        help="The user's account (name or id), when users of several accounts have that name.",
    )(command)
    return click.argument("user")(command)


def _two_factor() -> TwoFactor:
    return get_state().extension


def _commit() -> None:
    """The facade joins the caller's transaction; a command is its own caller, so it commits."""
    unit_of_work.commit(get_state().session)


@policy_group.command("set")
@click.argument("account")
@click.option("--mode", type=click.Choice(["standard", "enforced"]), default=None)
@click.option("--new-users/--no-new-users", default=None, help="2FA on for users created next.")
@click.option("--remember-pc/--no-remember-pc", default=None, help="Offer Remember this PC.")
@click.option(
    "--remember-days",
    default=None,
    help="Remembered PCs expire after N days (1-400), or 'never'.",
)
@click.option("--recovery-codes/--no-recovery-codes", default=None, help="Allow recovery codes.")
def policy_set(
    account: str,
    mode: str | None,
    new_users: bool | None,
    remember_pc: bool | None,
    remember_days: str | None,
    recovery_codes: bool | None,
) -> None:
    """Change the 2FA policy of ACCOUNT (name or id): only the options given."""
    account_id = cli_names.account(account)
    changes: dict[str, Any] = {}
    for key, value in (
        ("mode", mode),
        ("enable_for_new_users", new_users),
        ("remember_pc_allowed", remember_pc),
        ("recovery_codes_allowed", recovery_codes),
    ):
        if value is not None:
            changes[key] = value
    if remember_days is not None:
        changes["remember_pc_days"] = _days(remember_days)
    changed = _two_factor().set_policy(account_id, **changes)
    _commit()
    if not changed:
        click.echo(f"policy of {account}: nothing changed")
    for key, value in changed.items():
        click.echo(f"policy of {account}: {key} = {value}")


def _days(text: str) -> int | None:
    if text == "never":
        return None
    if not text.isdigit() or not 1 <= int(text) <= COOKIE_MAX_DAYS:
        raise click.BadParameter(f"a number of days from 1 to {COOKIE_MAX_DAYS}, or 'never'")
    return int(text)


@policy_group.command("show")
@click.argument("account")
def policy_show(account: str) -> None:
    """Show the current 2FA policy of ACCOUNT (name or id)."""
    policy = _two_factor().policy_of(cli_names.account(account))
    days = policy.remember_pc_days
    click.echo(f"mode: {policy.mode}")
    click.echo(f"2FA for new users: {'yes' if policy.enable_for_new_users else 'no'}")
    click.echo(f"Remember this PC: {'allowed' if policy.remember_pc_allowed else 'not allowed'}")
    click.echo(f"remembered PCs expire: {'never' if days is None else f'after {days} days'}")
    click.echo(f"recovery codes: {'allowed' if policy.recovery_codes_allowed else 'not allowed'}")


@user_group.command("list")
@click.option("--account", "account", help="Only this account (name or id).")
def user_list(account: str | None) -> None:
    """List users and their 2FA state (with --account: every user the host lists)."""
    state = get_state()
    if account is not None:
        account_id = cli_names.account(account)
        users = state.users_in(account_id) if state.users_of is not None else None
    else:
        account_id, users = None, None
    if users is None:
        query = sa.select(UserSettings.user_id).order_by(UserSettings.account_id)
        if account_id is not None:
            query = query.where(UserSettings.account_id == account_id)
        users = [u for u in map(state.find_user, state.session.scalars(query)) if u is not None]
    for user in users:
        ref = state.ref(user)
        current = accounts.policy_for(state, ref.account_id)
        view = admin_users.view(state, user, ref, current)
        phones = " ".join(
            f"{p.role}={p.masked}{'' if p.verified else '(pending)'}" for p in view.phones
        )
        line = f"{view.name} id={ref.user_id} account={ref.account_id} 2fa={view.state}"
        click.echo(f"{line} {phones}".rstrip())


@user_group.command("enable")
@_user_argument
@click.option("--primary", help="Primary mobile number (verified at the next login).")
@click.option("--backup", help="Backup mobile number, different from the primary.")
def user_enable(user: str, account: str | None, primary: str | None, backup: str | None) -> None:
    """Turn 2FA on for USER, an id or name (without numbers: he enters his own at next login)."""
    found = cli_names.user(user, account)
    try:
        _two_factor().enable_for(found, primary_phone=primary, backup_phone=backup)
    except PhoneError as exc:
        raise click.ClickException(str(exc)) from exc
    _commit()
    click.echo(f"2FA enabled for {user}")


@user_group.command("disable")
@_user_argument
def user_disable(user: str, account: str | None) -> None:
    """Turn 2FA off for USER, an id or name (and forget his remembered PCs)."""
    _two_factor().disable_for(cli_names.user(user, account))
    _commit()
    click.echo(f"2FA disabled for {user}")


@user_group.command("unlock")
@_user_argument
def user_unlock(user: str, account: str | None) -> None:
    """Unlock USER, an id or name, after too many wrong codes."""
    done = _two_factor().unlock(cli_names.user(user, account))
    _commit()
    click.echo(f"{user} unlocked" if done else f"{user} was not locked")


@user_group.command("revoke-pcs")
@_user_argument
def user_revoke_pcs(user: str, account: str | None) -> None:
    """Forget every remembered PC of USER, an id or name."""
    count = _two_factor().revoke_remembered_pcs(cli_names.user(user, account))
    _commit()
    click.echo(f"{count} remembered PC(s) revoked for {user}")


@user_group.command("show")
@_user_argument
def user_show(user: str, account: str | None) -> None:
    """Show the 2FA state and masked phones of USER, an id or name."""
    status = _two_factor().status_of(cli_names.user(user, account))
    phones = status["phones"]
    click.echo(f"enabled={status['enabled']} locked={status['locked']}")
    for role, numbers in phones.items():
        click.echo(f"{role}: verified={numbers['verified']} pending={numbers['pending']}")


@user_group.command("void-recovery")
@_user_argument
def user_void_recovery(user: str, account: str | None) -> None:
    """Void the recovery codes of USER, an id or name (a lost or leaked set)."""
    state = get_state()
    ref = state.ref(cli_names.user(user, account))
    left = recovery.void(state, ref, actor=None)
    _commit()
    click.echo(f"recovery codes of {user} voided ({left} were left)")


@audit_group.command("list")
@click.option("--user", "user", help="Only this user (id or name).")
@click.option("--account", "account", help="Only this account (name or id).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50)
def audit_list(user: str | None, account: str | None, limit: int) -> None:
    """List the latest audit events, newest first."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if user is not None:
        query = query.where(AuditEvent.user_id == _audited_user(user, account))
    if account is not None:
        query = query.where(AuditEvent.account_id == _audited_account(account))
    for event in get_state().session.scalars(query):
        click.echo(
            f"{event.at.isoformat()} {event.event} {event.outcome} account={event.account_id} "
            f"user={cli_names.name(event.user_id)} by={cli_names.name(event.actor_id)} "
            f"reason={event.reason or '-'} to={event.destination or '-'}"
        )


def _audited(condition: Any) -> bool:
    query = sa.select(AuditEvent.id).where(condition).limit(1)
    return get_state().session.scalar(query) is not None


def _audited_user(text: str, account: str | None) -> str:
    """The user id of USER; the trail outlives users: the id of one the host deleted too."""
    try:
        return get_state().ref(cli_names.user(text, account)).user_id
    except click.ClickException:
        if _audited(AuditEvent.user_id == text):
            return text
        raise


def _audited_account(text: str) -> str:
    """The account id of ACCOUNT, or of an account the trail alone still names."""
    try:
        return cli_names.account(text)
    except click.ClickException:
        if _audited(AuditEvent.account_id == text):
            return text
        raise


@cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count the rows that would be deleted.")
def purge(dry_run: bool) -> None:
    """Delete challenges, sent-SMS, failures and audit rows past their retention windows."""
    from flask import current_app

    from .config import ConfigError
    from .services import retention

    state = get_state()
    try:
        done = retention.purge(state, current_app.config, dry_run=dry_run)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if not dry_run:
        unit_of_work.commit(state.session)
    verb = "would delete" if dry_run else "deleted"
    for item in done:
        click.echo(f"{item.table}: {verb} {item.rows} rows older than {item.days} days")

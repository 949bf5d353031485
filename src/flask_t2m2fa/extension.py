"""``TwoFactor``: the extension object a host creates once and sets up with ``init_app``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, session
from flask_sqlalchemy import SQLAlchemy

from . import config, models
from .events import Event
from .outbox_keys import outbox_keys
from .rules import policy as policy_rules
from .rules.notices import N_
from .rules.phones import PhoneError
from .rules.policy import Policy
from .sending import DatabaseOutbox, OutboxSender, SmsSender
from .services import accounts, audit, dialects, epochs, policy_changes, remember, unit_of_work
from .services.host_transaction import joined, savepoint
from .state import EXTENSION_KEY, State, get_state


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TwoFactor:
    """Talk2M-style SMS second factor for a Flask app that uses Flask-Login.

    Create it once; pass the app and the options here or to :meth:`init_app`.

    The methods that change data (:meth:`set_policy`, :meth:`user_created`, :meth:`enable_for`,
    :meth:`disable_for`, :meth:`unlock`, :meth:`revoke_remembered_pcs`,
    :meth:`sign_out_everywhere`) join the caller's transaction: they flush and never commit, and
    a refusal undoes only their own writes. Commit ``db.session`` when you are done.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        db: SQLAlchemy | None = None,
        account_of: Callable[[Any], object] | None = None,
        is_admin: Callable[[Any], bool] | None = None,
        load_user: Callable[[str], Any] | None = None,
        sender: SmsSender | None = None,
        clock: Callable[[], datetime] | None = None,
        **admin_options: Any,
    ) -> None:
        if app is not None:
            if db is None or account_of is None or is_admin is None:
                raise TypeError("TwoFactor(app, ...) needs db=, account_of= and is_admin=")
            self.init_app(
                app,
                db=db,
                account_of=account_of,
                is_admin=is_admin,
                load_user=load_user,
                sender=sender,
                clock=clock,
                **admin_options,
            )

    def init_app(
        self,
        app: Flask,
        *,
        db: SQLAlchemy,
        account_of: Callable[[Any], object],
        is_admin: Callable[[Any], bool],
        load_user: Callable[[str], Any] | None = None,
        sender: SmsSender | None = None,
        clock: Callable[[], datetime] | None = None,
        admin: bool = False,
        users_of: Callable[[str], Any] | None = None,
        display_name: Callable[[Any], str] | None = None,
        account_named: Callable[[str], object] | None = None,
        users_named: Callable[[str], Any] | None = None,
    ) -> None:
        """Register the extension on ``app``.

        :param db: the host's Flask-SQLAlchemy object; the ``t2m2fa_`` tables join its metadata.
        :param account_of: returns a user's account (tenant) id.
        :param is_admin: tells whether a user administers their account.
        :param load_user: loads a user from the id Flask-Login uses; default: the app's
            Flask-Login ``user_loader``.
        :param sender: where codes go; default: the gateway outbox in the host's database, in the
            same transaction as the challenge.
        :param clock: returns the current aware UTC time (tests inject a fake one).
        :param admin: also register the account administration pages and JSON endpoints
            (:attr:`admin_blueprint`) under ``T2M2FA_URL_PREFIX + "/admin"``.
        :param users_of: the host's users of an account id (a list or a SQLAlchemy Select);
            the admin pages need it.
        :param display_name: how a user is named in the admin pages, the audit and the CLI.
        :param account_named: the account id of an account name given to the CLI, or None.
        :param users_named: the host's users whose login name is the one given, in any account
            (a list or a SQLAlchemy Select): the CLI then takes that name for a user, also one
            without 2FA settings yet.
        :raises RuntimeError: the app already has the extension (nothing is changed then).
        :raises ConfigError: a ``T2M2FA_*`` value is out of its bounds.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "flask_t2m2fa is already set up on this app: call init_app once per app"
            )
        defaults = {k: v for k, v in config.DEFAULTS.items() if k not in app.config}
        settings = config.load({**app.config, **defaults}, app_name=app.name)
        app.config.update(defaults)
        models.register(db.metadata)
        _prepare_engine(app, db)
        if sender is None:
            outbox = DatabaseOutbox(lambda: db.engine, outbox_keys(app.config))
            sender = OutboxSender(outbox, db.session.connection)
        app.extensions[EXTENSION_KEY] = State(
            extension=self,
            settings=settings,
            db=db,
            clock=clock or _utc_now,
            sender=sender,
            account_of=account_of,
            is_admin=is_admin,
            load_user=load_user,
            users_of=users_of,
            display_name=display_name,
            account_named=account_named,
            users_named=users_named,
        )
        from . import i18n
        from .cli import cli
        from .web.blueprint import bp

        i18n.init_app(app)

        app.register_blueprint(bp, url_prefix=settings.url_prefix)
        if admin:
            prefix = settings.url_prefix.rstrip("/") + "/admin"
            app.register_blueprint(self.admin_blueprint, url_prefix=prefix)
        app.cli.add_command(cli)
        app.teardown_appcontext(_send_committed_signals)
        from .web import csrf, sessions

        csrf.init_app(app)
        sessions.init_app(app)

    def user_loader(self, load_user: Callable[[str], Any]) -> Callable[[str], Any]:
        """The host's Flask-Login loader behind the extension's judgement; register the result:
        ``login_manager.user_loader(two_factor.user_loader(load_user))`` (or stack both as
        decorators, Flask-Login's outermost).

        Flask-Login then hands the extension the login token of each session and "Keep me
        signed in" cookie; ``load_user`` is called with the plain user id only for a login that
        still stands. ``init_app`` and each request refuse a loader registered without it.
        """
        from .web.sessions import governed

        return governed(load_user)

    @property
    def admin_blueprint(self) -> Blueprint:
        """The optional administration blueprint (``t2m2fa_admin``), for a host that registers
        it itself: ``app.register_blueprint(two_factor.admin_blueprint, url_prefix=...)``."""
        from .web.admin_blueprint import admin_bp

        return admin_bp

    def login(
        self, user: Any, *, remember_me: bool = False, next_url: str | None = None
    ) -> Response:
        """Hand over after the host checked ``user``'s password.

        Logs in at once when 2FA is off for the user or this client holds a valid remembered PC
        (redirect to ``next_url`` if it is on this site, or JSON ``{"status": "ok"}``); otherwise
        starts a challenge, sends the code and answers with the code page or JSON.

        :param remember_me: passed to Flask-Login's ``login_user`` once the login completes.
        """
        from .web import login_session
        from .web.headers import no_store

        response = login_session.begin(
            get_state(), user, remember_me=remember_me, next_url=next_url
        )
        return no_store(response)

    def login_method(self) -> str | None:
        """How the current session's login was completed: ``"code"`` (an SMS code),
        ``"recovery_code"``, ``"remembered_pc"``, ``"password"`` (no second factor needed),
        or None."""
        from .web.login_session import VIA_KEY

        via = session.get(VIA_KEY)
        return via if isinstance(via, str) else None

    def set_policy(self, account_id: object, **changes: Any) -> dict[str, Any]:
        """Change an account's 2FA policy (flushed; the caller commits). Returns what changed.

        Only the options given change (``mode``, ``enable_for_new_users``,
        ``remember_pc_allowed``, ``remember_pc_days``); the others keep their current value.
        Nothing changed writes nothing (no new version, no audit line).

        :raises ValueError: an unknown option or a value out of bounds.
        """
        state = get_state()
        with savepoint(state.session):
            saved = policy_changes.update(state, str(account_id), changes)
        joined(state.session)
        from .web import sessions

        sessions.keep_acting_user(state, str(account_id))
        return saved.changed

    def user_created(self, user: Any) -> None:
        """Tell the extension the host just created ``user`` (flushed; the caller commits).

        Records his 2FA switch as the account's policy says now: with "2FA for new users" he
        enters and verifies his number at his first login. Users the host never reports are
        not affected by that option (it is not retroactive).
        """
        state = get_state()
        policy_changes.user_created(state, state.ref(user))
        joined(state.session)

    def policy_of(self, account_id: object) -> Policy:
        """The account's current policy (the configured default if it never set one)."""
        return accounts.policy_for(get_state(), str(account_id))

    def enable_for(
        self,
        user: Any,
        *,
        primary_phone: str | None = None,
        backup_phone: str | None = None,
        verified: bool = False,
    ) -> None:
        """Turn 2FA on for ``user`` (an administrator's action; flushed, the caller commits).

        Numbers not marked ``verified`` are checked by a code at the user's next login, and never
        replace a verified number before that. Without any number (none given, none stored), the
        user enters and verifies his own at next login; an administrator then also a backup.
        Only pass ``verified=True`` for trusted input (seeding, an administrator who checked the
        number).

        :raises PhoneError: a number is not a valid mobile of an allowed country, the backup
            equals the primary, or an administrator would be left without a backup phone;
            nothing of this call is written then, and the caller's own changes are kept.
        """
        state = get_state()
        ref = state.ref(user)
        # With no number at all the user enters his own at next login, backup included.
        if (
            policy_rules.backup_required(is_admin=ref.is_admin)
            and backup_phone is None
            and not _has_phone(state, ref.user_id, accounts.BACKUP)
            and (primary_phone is not None or _has_phone(state, ref.user_id, accounts.PRIMARY))
        ):
            raise PhoneError(N_("an administrator needs a backup phone for two-factor login"))
        with savepoint(state.session):  # a PhoneError undoes this call's writes only
            accounts.ensure_settings(state, ref, enabled=True)
            if primary_phone is not None:
                accounts.set_phone(state, ref, accounts.PRIMARY, primary_phone, verified=verified)
            if backup_phone is not None:
                accounts.set_phone(state, ref, accounts.BACKUP, backup_phone, verified=verified)
        epochs.bump(state, ref, reason="two_factor_enabled")
        audit.record(state, Event.TWO_FACTOR_ENABLED, ref)
        joined(state.session)

    def disable_for(self, user: Any) -> None:
        """Turn 2FA off for ``user`` and forget their remembered PCs (flushed; the caller commits).

        :raises ValueError: the account's policy is Enforced (2FA applies to every user).
        """
        state = get_state()
        ref = state.ref(user)
        if not policy_rules.may_disable_two_factor(accounts.policy_for(state, ref.account_id)):
            raise ValueError("the account's policy is Enforced: 2FA cannot be turned off")
        accounts.ensure_settings(state, ref, enabled=False)
        remember.revoke(state, user_id=ref.user_id, reason="two_factor_disabled")
        epochs.bump(state, ref, reason="two_factor_disabled")
        audit.record(state, Event.TWO_FACTOR_DISABLED, ref)
        joined(state.session)

    def unlock(self, user: Any) -> bool:
        """Lift the lock after too many wrong codes; False if not locked (the caller commits)."""
        state = get_state()
        unlocked = accounts.unlock(state, state.ref(user))
        joined(state.session)
        return unlocked

    def revoke_remembered_pcs(self, user: Any, *, reason: str = "admin") -> int:
        """Forget every remembered PC of ``user`` (also the host's password-change hook; the
        caller commits, with the new password)."""
        state = get_state()
        count = remember.revoke(state, user_id=state.ref(user).user_id, reason=reason)
        epochs.bump(state, state.ref(user), reason=f"pcs_revoked {reason}")
        joined(state.session)
        return count

    def logout(self) -> None:
        """Log this browser out, "Keep me signed in" cookie included (see :mod:`.signout`)."""
        from .web import signout

        signout.logout()

    def sign_out_everywhere(self, user: Any) -> None:
        """End every session and "Keep me signed in" cookie of ``user`` (the caller commits)."""
        from .web import signout

        signout.sign_out_everywhere(user)

    def status_of(self, user: Any) -> dict[str, Any]:
        """What an administrator may see of a user's 2FA: on/off, lock, masked phones."""
        state = get_state()
        ref = state.ref(user)
        row = accounts.settings_of(state, ref.user_id)
        phones = {}
        for role in (accounts.PRIMARY, accounts.BACKUP):
            verified = accounts.phone_of(state, ref.user_id, role, verified=True)
            waiting = accounts.phone_of(state, ref.user_id, role, verified=False)
            phones[role] = {
                "verified": verified.masked if verified else None,
                "pending": waiting.masked if waiting else None,
            }
        return {
            "enabled": row.enabled if row else None,
            "locked": bool(row and row.locked_at),
            "phones": phones,
        }


def _prepare_engine(app: Flask, db: SQLAlchemy) -> None:
    """The host's engine as the extension needs it (:func:`.services.dialects.prepare_engine`):
    on SQLite, WAL, a busy timeout and the configured ``synchronous``
    (``T2M2FA_SQLITE_SYNCHRONOUS = None`` leaves the engine untouched); on MariaDB/MySQL, the
    ``READ COMMITTED`` isolation level, checked.

    The default SQLite journal (DELETE) syncs four times per commit and blocks readers while
    the gateway worker writes; WAL syncs once and lets both run.
    """
    try:
        with app.app_context():
            engine = db.engine
    except (KeyError, RuntimeError):  # db.init_app(app) comes later: the host's choice
        return
    synchronous = app.config.get("T2M2FA_SQLITE_SYNCHRONOUS")
    dialects.prepare_engine(
        engine, sqlite_synchronous=None if synchronous is None else str(synchronous)
    )


def _has_phone(state: State, user_id: str, role: str) -> bool:
    return any(accounts.phone_of(state, user_id, role, verified=v) for v in (True, False))


def _send_committed_signals(_exc: BaseException | None) -> None:
    """Signals of commits the host made itself go out at the end of the request."""
    scoped = get_state().db.session
    if scoped.registry.has():  # no session was used: nothing to send
        unit_of_work.send_ready(scoped())

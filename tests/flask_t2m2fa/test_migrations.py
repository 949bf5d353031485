"""The shipped Alembic migrations create exactly the tables of the models and the outbox."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner
from t2m2fa_support import FakeClock, RecordingSender, build_app

from flask_t2m2fa import migrations
from flask_t2m2fa.models import metadata, owned_tables
from gateway.outbox import metadata as outbox_metadata


def schema_diff(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:

        def include_name(name: str | None, type_: str, _parent: Any) -> bool:
            return not (type_ == "table" and name == migrations.VERSION_TABLE)

        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, [metadata, outbox_metadata]))


def dispose(app: Flask) -> None:
    with app.app_context():
        app.extensions["test_host"].db.engine.dispose()


def test_upgrade_creates_exactly_the_model_tables(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    migrations.upgrade(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert tables == owned_tables() | {migrations.VERSION_TABLE}
    assert schema_diff(engine) == []
    engine.dispose()


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_upgrade_downgrade_upgrade_on_a_server(request: pytest.FixtureRequest, server: str) -> None:
    engine = sa.create_engine(request.getfixturevalue(f"{server}_url"))
    migrations.upgrade(engine)
    assert schema_diff(engine) == []
    with engine.begin() as connection:
        command.downgrade(migrations.alembic_config(connection), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {migrations.VERSION_TABLE}
    migrations.upgrade(engine)
    assert schema_diff(engine) == []
    engine.dispose()


def test_flask_t2m2fa_upgrade_command(
    tmp_path: Any, clock: FakeClock, sms: RecordingSender
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    app = build_app(url, clock, sms, {}, create_tables=False)
    result = app.test_cli_runner().invoke(args=["t2m2fa", "upgrade"])
    dispose(app)
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(url)
    assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


# Flask-Migrate's own env.py template tries the deprecated get_engine() first.
@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
def test_flask_migrate_picks_up_the_branch(
    tmp_path: Any,
    clock: FakeClock,
    sms: RecordingSender,
    monkeypatch: Any,
    keep_loggers_enabled: None,
) -> None:
    from flask_migrate import Migrate

    url = f"sqlite:///{tmp_path / 'fm.sqlite3'}"
    app = build_app(url, clock, sms, {}, create_tables=False)
    migrate = Migrate(app, app.extensions["test_host"].db, directory=str(tmp_path / "mig"))
    migrate.configure(migrations.add_to_flask_migrate)
    runner = app.test_cli_runner()
    monkeypatch.chdir(tmp_path)
    for args in (["db", "init"], ["db", "upgrade", "t2m2fa@head"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (result.output, result.exception)
    dispose(app)
    engine = sa.create_engine(url)
    assert owned_tables() <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_init_db_command(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["t2m2fa", "init-db"])
    assert result.exit_code == 0 and "ready" in result.output


def _heads(url: str) -> list[str]:
    """The revisions recorded in the extension's version table ([] without one)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        table = sa.table(migrations.VERSION_TABLE, sa.column("version_num"))
        recorded = sa.inspect(conn).has_table(migrations.VERSION_TABLE)
        heads = list(conn.scalars(sa.select(table.c.version_num))) if recorded else []
    engine.dispose()
    return heads


def test_upgrade_adopts_tables_made_by_create_all(
    tmp_path: Any, clock: FakeClock, sms: RecordingSender
) -> None:
    url = f"sqlite:///{tmp_path / 'made.sqlite3'}"
    app = build_app(url, clock, sms, {}, create_tables=True)  # db.create_all()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["t2m2fa", "upgrade"])
    again = runner.invoke(args=["t2m2fa", "upgrade"])
    dispose(app)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "t2m2fa tables made by create_all match this release: stamped, nothing to run"
    ]
    assert _heads(url) == [migrations.alembic_head()]
    assert again.exit_code == 0 and again.output == "t2m2fa tables upgraded to heads\n"


def test_upgrade_refuses_tables_that_differ_in_one_line(
    tmp_path: Any, clock: FakeClock, sms: RecordingSender
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = build_app(url, clock, sms, {}, create_tables=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as an older release's create_all could have left it
        conn.exec_driver_sql("DROP INDEX ix_t2m2fa_challenges_login_id")
    engine.dispose()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["t2m2fa", "upgrade"])
    assert refused.exit_code == 1
    assert len(refused.output.splitlines()) == 1
    assert "differ" in refused.output and "ix_t2m2fa_challenges_login_id" in refused.output
    assert "Traceback" not in refused.output
    assert _heads(url) == []
    stamped = runner.invoke(args=["t2m2fa", "stamp"])
    dispose(app)
    assert stamped.exit_code == 0 and _heads(url) == [migrations.alembic_head()]


@pytest.mark.postgres
def test_upgrade_adopts_create_all_tables_on_postgres(
    postgres_url: str, clock: FakeClock, sms: RecordingSender
) -> None:
    app = build_app(postgres_url, clock, sms, {}, create_tables=True)
    result = app.test_cli_runner().invoke(args=["t2m2fa", "upgrade"])
    dispose(app)
    assert result.exit_code == 0, result.output
    assert "stamped, nothing to run" in result.output
    assert _heads(postgres_url) == [migrations.alembic_head()]

"""A Flask-Migrate host keeps its plain ``flask db migrate`` / ``flask db upgrade``.

The host's history goes: ``flask db init``, a host migration, then the extension is added
(one ``migrate.configure`` line and ``flask t2m2fa migrations link``), another host migration,
an upgrade, and a downgrade of one step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from flask_t2m2fa import TwoFactor, migrations
from flask_t2m2fa.models import owned_tables

pytestmark = [
    # Flask-Migrate's env.py template tries the deprecated get_engine() first.
    pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning"),
    pytest.mark.usefixtures("keep_loggers_enabled"),
]


def make_app(url: str, directory: Path, *, extension: bool, notes: bool = False) -> Flask:
    """The host at one point of its history: with or without the extension, a new column."""
    db = SQLAlchemy()
    columns = [sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(100))]
    if notes:
        columns.append(sa.Column("notes", sa.String(200), nullable=True))
    db.Table("organizations", *columns)
    app = Flask("hostapp")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="s" * 40)
    if sa.make_url(url).get_backend_name() in ("mysql", "mariadb"):  # docs/databases.md
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"isolation_level": "READ COMMITTED"}
    db.init_app(app)
    migrate = Migrate(app, db, directory=str(directory))
    if extension:
        TwoFactor(app, db=db, account_of=lambda u: u.org_id, is_admin=lambda u: False)
        migrate.configure(migrations.add_to_flask_migrate)
    return app


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    return result.output


def columns(url: str, table: str) -> set[str]:
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    found = {c["name"] for c in inspector.get_columns(table)}
    engine.dispose()
    return found


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    found = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return found


def host_revisions(versions: Path) -> list[str]:
    return sorted(p.name for p in versions.glob("*.py"))


def test_host_history_with_the_extension_added(
    db_url: str, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "migrations"
    versions = directory / "versions"
    shipped = sorted(p.name for p in migrations.VERSIONS_DIR.glob("*.py"))

    before = make_app(db_url, directory, extension=False)
    run(before, "db", "init")
    run(before, "db", "migrate", "-m", "organizations")
    run(before, "db", "upgrade")
    assert len(host_revisions(versions)) == 1

    added = make_app(db_url, directory, extension=True)
    assert "wrote revision" in run(added, "t2m2fa", "migrations", "link")
    run(added, "db", "upgrade")
    assert owned_tables() <= tables(db_url)
    # Autogenerate leaves the extension's tables alone: no drop, no create, no file.
    run(added, "db", "migrate", "-m", "nothing")
    assert len(host_revisions(versions)) == 2
    assert "nothing to link" in run(added, "t2m2fa", "migrations", "link")

    changed = make_app(db_url, directory, extension=True, notes=True)
    run(changed, "db", "migrate", "-m", "notes")
    (notes,) = [name for name in host_revisions(versions) if name.endswith("_notes.py")]
    assert "t2m2fa" not in (versions / notes).read_text()
    run(changed, "db", "upgrade")
    assert "notes" in columns(db_url, "organizations")

    run(changed, "db", "downgrade")
    assert "notes" not in columns(db_url, "organizations")
    assert owned_tables() <= tables(db_url)
    # Nothing was written into the installed package.
    assert sorted(p.name for p in migrations.VERSIONS_DIR.glob("*.py")) == shipped


def test_first_host_migration_after_the_extension_goes_to_the_host_folder(
    sqlite_url: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """With the extension's head the only head, Alembic would write beside it, in the package."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "migrations"
    shipped = sorted(p.name for p in migrations.VERSIONS_DIR.glob("*.py"))
    app = make_app(sqlite_url, directory, extension=True)
    run(app, "db", "init")
    assert "nothing to link" in run(app, "t2m2fa", "migrations", "link")
    run(app, "db", "upgrade")
    run(app, "db", "migrate", "-m", "organizations")
    assert len(host_revisions(directory / "versions")) == 1
    assert sorted(p.name for p in migrations.VERSIONS_DIR.glob("*.py")) == shipped
    run(app, "db", "upgrade")
    assert {"organizations"} | owned_tables() <= tables(sqlite_url)


def test_link_without_the_configure_line_says_what_to_add(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path / "m", extension=False)
    TwoFactor(app, db=app.extensions["sqlalchemy"], account_of=str, is_admin=bool)
    run(app, "db", "init")
    result = app.test_cli_runner().invoke(args=["t2m2fa", "migrations", "link"])
    assert result.exit_code == 1
    assert "migrate.configure(flask_t2m2fa.migrations.add_to_flask_migrate)" in result.output

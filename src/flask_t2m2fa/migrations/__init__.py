"""Alembic migrations of the ``t2m2fa_`` tables, shipped with the package.

Two ways to use them:

* ``flask t2m2fa upgrade`` runs them on the app's database with their own version table
  (``t2m2fa_alembic_version``), beside whatever the host does. Tables that ``db.create_all()``
  made (no version table yet) are adopted: stamped at the head when they match the current
  models, refused with the differences otherwise (:func:`upgrade`).
* Flask-Migrate users add them to their own history with one line,
  ``migrate.configure(add_to_flask_migrate)``, and run ``flask t2m2fa migrations link`` once
  (and again after an upgrade that ships a revision); then the plain ``flask db migrate`` /
  ``flask db upgrade`` work. See :mod:`.host`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from gateway.outbox import metadata as outbox_metadata

from ..models import metadata, owned_tables
from .host import VERSION_TABLE, VERSIONS_DIR, add_to_flask_migrate, link

__all__ = [
    "VERSIONS_DIR",
    "VERSION_TABLE",
    "SchemaMismatch",
    "add_to_flask_migrate",
    "alembic_config",
    "alembic_head",
    "link",
    "upgrade",
]

DIRECTORY = Path(__file__).resolve().parent


def alembic_config(connection: sa.Connection) -> Config:
    """An Alembic config for the extension's own environment, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(DIRECTORY))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


class SchemaMismatch(Exception):
    """Tables made without the migrations differ from the current models: not adopted."""


def upgrade(engine: sa.Engine, revision: str = "heads") -> bool:
    """Bring the ``t2m2fa_`` tables of ``engine``'s database up to ``revision``.

    :returns: True when the tables were made without the migrations (``db.create_all()``,
        ``flask t2m2fa init-db``) and were stamped at the head instead: nothing to run.
    :raises SchemaMismatch: such tables differ from the current models (made by an older
        release): stamping them would hide the difference, running the revisions would fail.
    """
    with engine.begin() as connection:
        config = alembic_config(connection)
        if _made_without_migrations(connection):
            differences = _differences(connection)
            if differences:
                raise SchemaMismatch(
                    "the t2m2fa_ tables were made without the migrations and differ from "
                    f"this release's ({'; '.join(differences[:3])}): migrate them by hand, "
                    "then run 'flask t2m2fa stamp'"
                )
            command.stamp(config, "heads")
            return True
        command.upgrade(config, revision)
        return False


def alembic_head() -> str:
    """The newest shipped revision."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(DIRECTORY))
    config.set_main_option("path_separator", "os")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "the package ships no revision"
    return head


def stamp(engine: sa.Engine, revision: str = "heads") -> None:
    """Record ``revision`` as applied without running anything (tables already right)."""
    with engine.begin() as connection:
        command.stamp(alembic_config(connection), revision)


def _made_without_migrations(connection: sa.Connection) -> bool:
    tables = set(sa.inspect(connection).get_table_names())
    if VERSION_TABLE in tables:
        versions = sa.table(VERSION_TABLE, sa.column("version_num"))
        if connection.scalar(sa.select(sa.func.count()).select_from(versions)):
            return False
    return bool(tables & owned_tables())


def _differences(connection: sa.Connection) -> list[str]:
    """What autogenerate would change in the extension's tables (the host's are left out)."""
    owned = owned_tables()

    def ours(name: str | None, kind: str, _parents: object) -> bool:
        return kind != "table" or name in owned

    context = MigrationContext.configure(connection, opts={"include_name": ours})
    found = compare_metadata(context, [metadata, outbox_metadata])  # type: ignore[arg-type]
    inspector = sa.inspect(connection)
    return [_describe(item) for item in found if not _unnamed_twin(inspector, item)]


def _unnamed_twin(inspector: sa.Inspector, difference: Any) -> bool:
    """A unique constraint that only the name tells apart: a host's ``db.metadata`` has no
    naming convention, so ``create_all`` leaves the database's own name (or none)."""
    if not isinstance(difference, tuple) or difference[0] not in (
        "add_constraint",
        "remove_constraint",
    ):
        return False
    constraint = difference[1]
    if not isinstance(constraint, sa.UniqueConstraint) or constraint.table is None:
        return False
    columns = {column.name for column in constraint.columns}
    if difference[0] == "add_constraint":  # the model's: is it in the database, named otherwise?
        found = inspector.get_unique_constraints(constraint.table.name)
        return any(set(unique["column_names"]) == columns for unique in found)
    table = metadata.tables.get(constraint.table.name)  # the database's: is it in the model?
    if table is None:
        table = outbox_metadata.tables.get(constraint.table.name)
    return table is not None and any(
        isinstance(ours, sa.UniqueConstraint) and {c.name for c in ours.columns} == columns
        for ours in table.constraints
    )


def _describe(difference: Any) -> str:
    """One short phrase for an autogenerate difference: ``add_column t2m2fa_phones.label``."""
    if isinstance(difference, list):  # column modifications come as a list of tuples
        difference = difference[0]
    kind, *rest = difference
    names = [getattr(item, "name", None) or str(item) for item in rest[:3] if item is not None]
    return " ".join([str(kind), *map(str, names)])

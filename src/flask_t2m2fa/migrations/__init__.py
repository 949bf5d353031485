"""Alembic migrations of the ``t2m2fa_`` tables, shipped with the package.

Two ways to use them:

* ``flask t2m2fa upgrade`` runs them on the app's database with their own version table
  (``t2m2fa_alembic_version``), beside whatever the host does.
* Flask-Migrate users add :data:`VERSIONS_DIR` to their ``version_locations`` (see
  :func:`add_to_flask_migrate`) and run ``flask db upgrade heads``: the extension's revisions
  form their own branch, labelled ``t2m2fa``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

DIRECTORY = Path(__file__).resolve().parent
VERSIONS_DIR = DIRECTORY / "versions"
VERSION_TABLE = "t2m2fa_alembic_version"


def alembic_config(connection: sa.Connection) -> Config:
    """An Alembic config for the extension's own environment, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(DIRECTORY))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "heads") -> None:
    """Bring the ``t2m2fa_`` tables of ``engine``'s database up to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def add_to_flask_migrate(config: Any) -> Any:
    """A ``@migrate.configure`` callback that adds the extension's revisions to the host's.

    Usage::

        migrate = Migrate(app, db)
        migrate.configure(flask_t2m2fa.migrations.add_to_flask_migrate)
    """
    script_location = config.get_main_option("script_location")
    current = config.get_main_option("version_locations") or f"{script_location}/versions"
    locations = current.split(os.pathsep)
    if str(VERSIONS_DIR) not in locations:
        config.set_main_option("path_separator", "os")
        config.set_main_option(
            "version_locations", os.pathsep.join([*locations, str(VERSIONS_DIR)])
        )
    return config

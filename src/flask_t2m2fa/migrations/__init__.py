"""Alembic migrations of the ``t2m2fa_`` tables, shipped with the package.

Two ways to use them:

* ``flask t2m2fa upgrade`` runs them on the app's database with their own version table
  (``t2m2fa_alembic_version``), beside whatever the host does.
* Flask-Migrate users add them to their own history with one line,
  ``migrate.configure(add_to_flask_migrate)``, and run ``flask t2m2fa migrations link`` once
  (and again after an upgrade that ships a revision); then the plain ``flask db migrate`` /
  ``flask db upgrade`` work. See :mod:`.host`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from .host import VERSION_TABLE, VERSIONS_DIR, add_to_flask_migrate, link

__all__ = ["VERSIONS_DIR", "VERSION_TABLE", "add_to_flask_migrate", "alembic_config", "link"]

DIRECTORY = Path(__file__).resolve().parent


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

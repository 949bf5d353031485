"""``flask t2m2fa migrations link``: one head again in a Flask-Migrate host's history.

Alembic and Flask-Migrate are imported only when the command runs, not in every web process.
"""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

migrations_group = AppGroup("migrations", help="The extension's revisions in Flask-Migrate.")


@migrations_group.command("link")
def link_command() -> None:
    """Write a merge revision into your migrations folder: one head for 'flask db upgrade'.

    Run it once after adding the extension, and again after upgrading it when
    'flask db heads' shows two heads; commit the file it writes with your migrations.
    """
    from .migrations import VERSIONS_DIR, link

    migrate = current_app.extensions.get("migrate")
    if migrate is None:
        raise click.ClickException("Flask-Migrate is not set up on this app (Migrate(app, db))")
    config = migrate.migrate.get_config(migrate.directory)
    locations = (config.get_main_option("version_locations") or "").split(os.pathsep)
    if str(VERSIONS_DIR) not in locations:
        raise click.ClickException(
            "the extension's revisions are not in your history: add "
            "migrate.configure(flask_t2m2fa.migrations.add_to_flask_migrate) to your app"
        )
    revision = link(config)
    if revision is None:
        click.echo("one head already: nothing to link")
    else:
        click.echo(f"wrote revision {revision} in {locations[0]}; now run 'flask db upgrade'")

"""The extension's revisions inside a Flask-Migrate host's history.

Three things make the host's plain ``flask db migrate`` / ``flask db upgrade`` keep working:

* :func:`add_to_flask_migrate` adds the shipped revisions to the host's ``version_locations``;
* it also makes autogenerate leave the extension's tables alone (they are on ``db.metadata``
  but the shipped revisions own them), and writes new host revisions into the host's own
  ``versions`` folder, never into the installed package;
* :func:`link` writes, once per extension release that ships a revision, a merge revision into
  the host's folder, so that the history has one head again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from ..models import owned_tables

VERSIONS_DIR = Path(__file__).resolve().parent / "versions"
VERSION_TABLE = "t2m2fa_alembic_version"
BRANCH = "t2m2fa"
LINK_MESSAGE = "link flask-t2m2fa migrations"
_MARK = "_t2m2fa_filter"


def add_to_flask_migrate(config: Any) -> Any:
    """A ``@migrate.configure`` callback: the extension's revisions join the host's history.

    Usage, once in the app factory::

        migrate = Migrate(app, db)
        migrate.configure(flask_t2m2fa.migrations.add_to_flask_migrate)
    """
    from flask import current_app

    script_location = config.get_main_option("script_location")
    current = config.get_main_option("version_locations") or f"{script_location}/versions"
    locations = current.split(os.pathsep)
    if str(VERSIONS_DIR) not in locations:
        config.set_main_option("path_separator", "os")
        config.set_main_option(
            "version_locations", os.pathsep.join([*locations, str(VERSIONS_DIR)])
        )
    host_versions = str(Path(locations[0]).resolve())
    _hook_autogenerate(current_app.extensions["migrate"].configure_args, host_versions)
    return config


def _hook_autogenerate(args: dict[str, Any], host_versions: str) -> None:
    """Chain our filters and revision directive in front of what the host configured."""
    if getattr(args.get("include_object"), _MARK, False):
        return
    tables = owned_tables() | {VERSION_TABLE}
    host_object = args.get("include_object")
    host_name = args.get("include_name")
    host_directives = args.get("process_revision_directives")

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        if table in tables:
            return False
        return host_object is None or bool(host_object(obj, name, type_, reflected, other))

    def include_name(name: str | None, type_: str, parents: dict[str, Any]) -> bool:
        table = name if type_ == "table" else parents.get("table_name")
        if table in tables:
            return False
        return host_name is None or bool(host_name(name, type_, parents))

    setattr(include_object, _MARK, True)
    args["include_object"] = include_object
    args["include_name"] = include_name
    args["process_revision_directives"] = _directives(host_directives, host_versions)


def _directives(host: Callable[..., None] | None, host_versions: str) -> Callable[..., None]:
    """New revisions go to the host's folder; an empty autogenerate writes nothing.

    Without a path Alembic writes next to the first head, which may be the extension's, that
    is into the installed package. The empty check is Flask-Migrate's own, which our hook
    replaces when the host set none.
    """

    def process_revision_directives(context: Any, revision: Any, directives: list[Any]) -> None:
        if host is not None:
            host(context, revision, directives)
        elif (
            getattr(context.config.cmd_opts, "autogenerate", False)
            and directives
            and directives[0].upgrade_ops.is_empty()
        ):
            directives[:] = []
        for script in directives:
            if getattr(script, "version_path", None) is None:
                script.version_path = host_versions

    return process_revision_directives


def link(config: Any) -> str | None:
    """Merge the extension's head into the host's history; the new revision id, or None.

    None when there is nothing to merge: a single head already.
    """
    from alembic.util import rev_id

    script = ScriptDirectory.from_config(config)
    heads = script.get_heads()
    ours = script.revision_map.filter_for_lineage(heads, BRANCH)
    if len(heads) < 2 or not ours:
        return None
    location = (config.get_main_option("version_locations") or "").split(os.pathsep)[0]
    created = script.generate_revision(
        rev_id(), LINK_MESSAGE, head=tuple(heads), refresh=True, version_path=location
    )
    return None if created is None else str(created.revision)

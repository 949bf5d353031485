"""The SQLAlchemy listeners registered on global classes, as seen by a process (issue 19).

Run as a script, it prints them (one JSON list) after one of two stories:

* ``baseline``: only the host's stack is imported (SQLAlchemy, Flask, Flask-SQLAlchemy,
  Flask-Login, Flask-WTF, Flask-Babel), never ``flask_t2m2fa``;
* ``login``: the same, then ``flask_t2m2fa`` is imported, a host app calls ``init_app`` and a
  user logs in with his code.

A listener on a global class runs in every session (or engine, or mapper) of the host's process,
also the ones that have nothing to do with the extension: the two lists must be equal.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask
import flask_babel
import flask_login
import flask_sqlalchemy
import flask_sqlalchemy.session
import flask_wtf
import sqlalchemy as sa
import sqlalchemy.orm

HOST_STACK = (flask, flask_babel, flask_login, flask_sqlalchemy, flask_wtf)
#: Classes whose class-level listeners run for every instance in the process: any host's
#: sessions, engines, connections, pools, mappers and tables.
GLOBAL_CLASSES: tuple[type[Any], ...] = (
    sa.orm.Session,
    flask_sqlalchemy.session.Session,
    sa.engine.Engine,
    sa.engine.Connection,
    sa.pool.Pool,
    sa.pool.QueuePool,
    sa.pool.NullPool,
    sa.pool.StaticPool,
    sa.pool.SingletonThreadPool,
    sa.orm.Mapper,
    sa.Table,
    sa.MetaData,
)


def global_listeners() -> list[str]:
    """``Class.event: module.function`` for each listener on one of :data:`GLOBAL_CLASSES`.

    A listener on a class is kept in its dispatcher's ``_clslevel`` map under that class (and
    copied under each subclass); instance-level listeners (on one engine, one session) are not
    there, and neither are listeners on a session class made by ``sessionmaker``.
    """
    found = []
    for cls in GLOBAL_CLASSES:
        for name in cls.dispatch._event_names:
            by_class = getattr(getattr(cls.dispatch, name), "_clslevel", {})
            for fn in by_class.get(cls, ()):
                where = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"
                found.append(f"{cls.__module__}.{cls.__qualname__}.{name}: {where}")
    return sorted(found)


def log_in_once() -> None:
    """Import the extension, set it up on the suite's host app and log a user in."""
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here), str(here.parent)]
    from t2m2fa_support import PRIMARY, FakeClock, RecordingSender, build_app, json_login

    clock = FakeClock(datetime.now(UTC))
    sms = RecordingSender(clock)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(f"sqlite:///{tmp}/probe.sqlite3", clock, sms, {})
        host = app.extensions["test_host"]
        with app.app_context():
            user = host.add_user("alice")
            host.two_factor.enable_for(user, primary_phone=PRIMARY, verified=True)
            host.db.session.commit()  # the facade joins the host's transaction
        client = app.test_client()
        assert json_login(client, "alice").json["status"] == "2fa_required"
        answer = client.post("/t2m2fa/api/verify", json={"code": sms.last.code})
        assert answer.json["status"] == "ok", answer.json
        assert client.get("/private").json == {"user": "alice"}
        with app.app_context():
            host.db.engine.dispose()


def main(story: str) -> None:
    if story == "login":
        log_in_once()
    elif story != "baseline":
        raise SystemExit(f"unknown story {story!r}: baseline or login")
    print(json.dumps(global_listeners()))


if __name__ == "__main__":
    main(sys.argv[1])

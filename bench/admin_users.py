"""Time of the administrator's users list on a large account (sorted by name, and by state).

Run::

    PYTHONPATH=. .venv/bin/python bench/admin_users.py [--users 2000]

The example app on a SQLite file in a temporary directory; N plain users are added to its demo
account (one in ten with 2FA on and a verified number). Each figure is the median of 5 calls of
``services.admin_users.listing`` for the first page (25 users), in-process, no HTTP.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from example_app.seed import DEMO_ACCOUNT, seed_demo_data

from example_app import Account, User, create_app, db, init_database
from flask_t2m2fa.services import admin_users, unit_of_work
from flask_t2m2fa.state import get_state
from flask_t2m2fa.testing import RecordingSender


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = {
            "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
            "EXAMPLE_PASSWORD_METHOD": "pbkdf2:sha256:1",
        }
        app = create_app(config, instance_path=tmp, sender=RecordingSender())
        init_database(app)
        with app.app_context():
            seed_demo_data({})
            account = db.session.query(Account).filter_by(name=DEMO_ACCOUNT).one()
            users = [
                User(account=account, username=f"u{i:05d}", password_hash="x")
                for i in range(args.users)
            ]
            db.session.add_all(users)
            db.session.commit()
            state = get_state()
            for user in users[::10]:
                state.extension.enable_for(user, primary_phone="+32470123499", verified=True)
            unit_of_work.commit(state.session)
            admin = db.session.query(User).filter_by(username="admin").one()
            me = state.ref(admin)
            for sort in ("name", "state"):
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    admin_users.listing(state, me, sort=sort)
                    times.append(time.perf_counter() - start)
                print(
                    f"{args.users} users, sort by {sort}: {statistics.median(times) * 1000:.0f} ms"
                )


if __name__ == "__main__":
    main()

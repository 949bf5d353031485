"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import secrets
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEY
from gateway.fake import FakeModem

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _postgres_base_url() -> str | None:
    """The PostgreSQL server for tests, or None when there is none (the tests then skip)."""
    url = os.environ.get("T2M2FA_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        if os.environ.get("T2M2FA_REQUIRE_POSTGRES"):
            raise RuntimeError(f"PostgreSQL required but unreachable at {url}: {exc}") from exc
        return None
    return url


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = _postgres_base_url()
    if url is None:
        pytest.skip("no PostgreSQL server (set T2M2FA_TEST_POSTGRES_URL)")
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections see a fresh, private schema, dropped after the test.

    Tests running at the same time (several workers, several developers) never see each
    other's tables.
    """
    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _mariadb_base_url() -> str | None:
    """The MariaDB (or MySQL) server for tests, or None when there is none (the tests then skip)."""
    url = os.environ.get("T2M2FA_TEST_MARIADB_URL", DEFAULT_MARIADB_URL)
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        if os.environ.get("T2M2FA_REQUIRE_MARIADB"):
            raise RuntimeError(f"MariaDB required but unreachable at {url}: {exc}") from exc
        return None
    return url


@pytest.fixture(scope="session")
def mariadb_server() -> str:
    url = _mariadb_base_url()
    if url is None:
        pytest.skip("no MariaDB server (set T2M2FA_TEST_MARIADB_URL)")
    return url


@pytest.fixture
def mariadb_url(mariadb_server: str) -> Iterator[str]:
    """A URL of a fresh, private database, dropped after the test.

    MySQL's schemas are its databases, so this is the PostgreSQL fixture's private schema. The
    database compares text byte for byte, trailing spaces included, as docs/databases.md asks of
    a host.
    """
    name = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(mariadb_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        mariadb = "MariaDB" in str(conn.execute(sa.text("SELECT VERSION()")).scalar())
        collation = "utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin"
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {collation}"))
    yield sa.make_url(mariadb_server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE `{name}`"))
    admin.dispose()


#: Engines that opened a connection during the current test, and during the current module
#: (its fixtures' teardown may connect after the last test's). Weakly held: a test's app may die.
_ENGINES_OF_TEST: weakref.WeakSet[sa.engine.Engine] = weakref.WeakSet()
_ENGINES_OF_MODULE: weakref.WeakSet[sa.engine.Engine] = weakref.WeakSet()


@sa.event.listens_for(sa.engine.Engine, "engine_connect")
def _note_engine(connection: sa.engine.Connection) -> None:
    _ENGINES_OF_TEST.add(connection.engine)
    _ENGINES_OF_MODULE.add(connection.engine)


def _close_idle_sqlite_connections(engines: weakref.WeakSet[sa.engine.Engine]) -> None:
    """Close the pooled connections of each SQLite file engine in ``engines``.

    Apps made by fixtures die with their engines; Python 3.13 then reports each pooled sqlite3
    connection collected unclosed (``ResourceWarning: unclosed database``), an error under this
    suite's ``-W error``, raised in whichever later test the garbage collector runs. An engine
    still in use opens a new connection on its next checkout. In-memory databases are left
    alone: their one connection *is* the database.
    """
    for engine in list(engines):
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            engine.dispose()
    engines.clear()


@pytest.fixture(autouse=True)
def close_idle_sqlite_connections_of_the_test() -> Iterator[None]:
    yield
    _close_idle_sqlite_connections(_ENGINES_OF_TEST)


@pytest.fixture(autouse=True, scope="module")
def close_idle_sqlite_connections_of_the_module() -> Iterator[None]:
    yield
    _close_idle_sqlite_connections(_ENGINES_OF_MODULE)


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{os.path.join(tmp_path, 'test.sqlite3')}"


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite, PostgreSQL and MariaDB (the servers' runs skip without them)."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The Redis server for tests; they skip without one (unless T2M2FA_REQUIRE_REDIS is set)."""
    import redis

    url = os.environ.get("T2M2FA_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("T2M2FA_REQUIRE_REDIS"):
            raise RuntimeError(f"Redis required but unreachable at {url}: {exc}") from exc
        pytest.skip(f"no Redis server at {url} (set T2M2FA_TEST_REDIS_URL)")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"t2m2fa-test-{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(match=f"*{prefix}*"):  # limits adds its own "LIMITS:"
        client.delete(key)
    client.close()


@pytest.fixture
def fake_modem(tmp_path: os.PathLike[str]) -> Iterator[FakeModem]:
    """A running loopback modem (default faults) with its inbox under ``tmp_path``.

    Change ``fake_modem.faults`` before or while a client talks to it.
    """
    with FakeModem(Path(tmp_path) / "fake-modem") as modem:
        yield modem


@pytest.fixture(scope="session", autouse=True)
def outbox_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite's outbox key in a file (mode 0600) that every worker process started finds.

    ``T2M2FA_OUTBOX_KEY_FILE`` is the worker's ``--key-file``; a test of a missing key unsets it.
    """
    path = tmp_path_factory.mktemp("keys") / "outbox.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(OUTBOX_KEY + "\n")
    previous = os.environ.get("T2M2FA_OUTBOX_KEY_FILE")
    os.environ["T2M2FA_OUTBOX_KEY_FILE"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("T2M2FA_OUTBOX_KEY_FILE", None)
    else:
        os.environ["T2M2FA_OUTBOX_KEY_FILE"] = previous

"""The baseline of ``web_2fa.py``: Flask-Security's SMS two-factor login, configured minimally.

Flask-Security is a bench-only dependency: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask
from flask.testing import FlaskClient
from flask_security import Security, SQLAlchemyUserDatastore, Totp
from flask_security.models import fsqla_v3 as fsqla
from flask_security.models.fsqla import FsModels
from flask_security.utils import SmsSenderBaseClass, SmsSenderFactory
from flask_sqlalchemy import SQLAlchemy
from passlib.totp import TOTP

PASSWORD = "bench-password-1"
SENDER_NAME = "t2m2fa-bench"

fs_db = SQLAlchemy()
FsModels.set_db_info(fs_db)  # type: ignore[no-untyped-call]


# Flask-Security's mixins refer to the classes by these exact names.
class Role(fs_db.Model, fsqla.FsRoleMixin):  # type: ignore[misc,name-defined]
    __tablename__ = "role"


class User(fs_db.Model, fsqla.FsUserMixin):  # type: ignore[misc,name-defined]
    __tablename__ = "user"


class CapturingSmsSender(SmsSenderBaseClass):
    """Keeps the last SMS per number, as the bench's phone."""

    inbox: dict[str, str] = {}  # noqa: RUF012 - one shared inbox, like a real phone network

    def send_sms(self, from_number: str, to_number: str, msg: str) -> None:
        self.inbox[to_number] = msg


SmsSenderFactory.senders[SENDER_NAME] = CapturingSmsSender


class CryptoFreeTotp(Totp):
    """Flask-Security's TOTP factory with passlib's secret encryption at cost 0 (one PBKDF2
    round instead of 2^14): its SMS step without the key derivation that dominates it."""

    def __init__(self, secrets: dict[str, str] | dict[int, str], issuer: str) -> None:
        super().__init__(secrets, issuer)
        self._totp = TOTP.using(issuer=issuer, secrets=secrets, encrypt_cost=0)


def create_app(database_url: str, users: int, *, crypto: bool = True) -> Flask:
    """A Flask-Security app with ``users`` SMS-2FA users and as many users without 2FA.

    Passwords use the ``plaintext`` scheme so that hashing costs nothing on either side;
    ``crypto=False`` also switches off the TOTP secrets' encryption (:class:`CryptoFreeTotp`).
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False},
        WTF_CSRF_ENABLED=False,
        SECURITY_PASSWORD_HASH="plaintext",
        SECURITY_TWO_FACTOR=True,
        SECURITY_TWO_FACTOR_ENABLED_METHODS=["sms"],
        SECURITY_TWO_FACTOR_ALWAYS_VALIDATE=True,
        SECURITY_SMS_SERVICE=SENDER_NAME,
        SECURITY_SMS_SERVICE_CONFIG={"PHONE_NUMBER": "+15005550006"},
        SECURITY_TOTP_SECRETS={"1": secrets.token_urlsafe(32)},
        SECURITY_TOTP_ISSUER="bench",
    )
    fs_db.init_app(app)
    datastore = SQLAlchemyUserDatastore(fs_db, User, Role)
    security = Security(app, datastore, totp_cls=Totp if crypto else CryptoFreeTotp)
    with app.app_context():
        fs_db.create_all()
        for n in range(users):
            datastore.create_user(email=f"plain{n}@example.com", password=PASSWORD)
            user = datastore.create_user(email=f"tf{n}@example.com", password=PASSWORD)
            secret = security.totp_factory.generate_totp_secret()
            datastore.tf_set(user, "sms", totp_secret=secret, phone=phone_of(n))
        fs_db.session.commit()
    return app


def phone_of(n: int) -> str:
    return f"+3247{n:07d}"


def drop_all(app: Flask) -> None:
    with app.app_context():
        fs_db.drop_all()
        fs_db.session.remove()
        fs_db.engine.dispose()


def login_password_only(client: FlaskClient, n: int) -> None:
    """The baseline: a user without 2FA logs in with the password."""
    answer = client.post("/login", json={"email": f"plain{n}@example.com", "password": PASSWORD})
    assert answer.status_code == 200 and answer.json is not None, answer.data
    assert answer.json["response"].get("tf_required") is False, answer.json


def login_two_factor(client: FlaskClient, n: int) -> None:
    """Password, then the SMS code posted to ``/tf-validate``."""
    answer = client.post("/login", json={"email": f"tf{n}@example.com", "password": PASSWORD})
    assert answer.status_code == 200 and answer.json is not None, answer.data
    assert answer.json["response"]["tf_required"] is True, answer.json
    code = _code_in(CapturingSmsSender.inbox.pop(phone_of(n)))
    answer = client.post("/tf-validate", json={"code": code})
    assert answer.status_code == 200, answer.data


def _code_in(text: str) -> str:
    found = re.search(r"\b([0-9]{6})\b", text)
    assert found is not None, "no code in the SMS"
    return found.group(1)

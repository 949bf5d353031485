"""The extension objects of the host app, created once and bound to an app by :func:`create_app`."""

from __future__ import annotations

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from flask_t2m2fa import TwoFactor


class Base(DeclarativeBase):
    """Declarative base of the host's own models.

    The models subclass it directly rather than ``db.Model`` so that mypy sees a real class;
    Flask-SQLAlchemy copies its registry and metadata into ``db.Model``, so ``db.create_all()``
    and ``db.session`` cover them all the same.
    """


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
two_factor = TwoFactor()

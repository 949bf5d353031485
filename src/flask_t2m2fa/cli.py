"""``flask t2m2fa ...``: create the tables, and the administrator's commands."""

from __future__ import annotations

from flask.cli import AppGroup

cli = AppGroup("t2m2fa", help="Two-factor login: tables, policies, users, audit.")

"""An SMS leaves: hand it to the sender, and count it for the sending limits (codes and notices)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..models import Phone, SentSms
from ..sending import needs_savepoint
from ..state import State
from . import accounts, unit_of_work

#: Built once: a send record is on every login's path.
_INSERT_SENT = sa.insert(SentSms.__table__)  # type: ignore[arg-type]


def hand_over(state: State, phone: Phone, text: str, *, expires_at: datetime, kind: str) -> str:
    """Hand ``text`` for ``phone`` to the sender; return its message id.

    A sender that may fail after writing in the transaction runs in a savepoint (PostgreSQL
    aborts a transaction at its first error), so its failure is an answer, not a 500.
    """
    sender = state.require_sender()
    with unit_of_work.statement_savepoint(state.session, needed=needs_savepoint(sender)):
        return sender.send(accounts.number_of(state, phone), text, expires_at=expires_at, kind=kind)


def record_sent(state: State, user_id: str, digest: str, login_id: str) -> None:
    """Count an SMS that went out (a code or a notice) for the sending limits."""
    sent = {
        "user_id": user_id, "login_id": login_id, "number_digest": digest,
        "sent_at": state.now(),
    }  # fmt: skip
    state.session.connection().execute(_INSERT_SENT, sent)

"""The outbox tables, as SQLAlchemy Core metadata.

A host creates them with :meth:`gateway.outbox.Outbox.create_schema`, or includes
:data:`metadata` in its Alembic ``target_metadata``. Columns added after the first release are
nullable, so ``create_schema`` can add them to an existing table (:mod:`.upgrade`).
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.sqltypes import UTCDateTime

#: Every gateway table; its names all start with ``t2m2fa_``.
metadata = sa.MetaData()

# SQLite only gives INTEGER PRIMARY KEY its rowid behaviour (autoincrement) for plain INTEGER.
_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

outbox_table = sa.Table(
    "t2m2fa_outbox",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    # Destination and text, encrypted together (see sealing.py): needed only until the message
    # is final, then cleared. No column holds the number or the code in clear.
    sa.Column("sealed", sa.LargeBinary, nullable=True),
    sa.Column("destination_masked", sa.String(32), nullable=False),
    # Coarse recipient fingerprint for the per-SIM distinct-recipient cap (see masking.py).
    sa.Column("recipient_key", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    # After a temporary failure, another modem than this one may try at once (failover).
    sa.Column("failover_from", sa.String(200), nullable=True),
    sa.Column("lease_owner", sa.String(200), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("modem", sa.String(200), nullable=True),
    # The sending SIM (gateway.sim_identity.SimIdentity.key): per-SIM caps follow the SIM.
    sa.Column("sim", sa.String(32), nullable=True),
    sa.Column("reference", sa.Integer, nullable=True),
    sa.Column("error", sa.String(200), nullable=True),
    sa.Column("error_outcome", sa.String(16), nullable=True),
    sa.Column("cms_code", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Index("ix_t2m2fa_outbox_claim", "state", "next_attempt_at"),
    sa.Index("ix_t2m2fa_outbox_modem_sent", "modem", "sent_at"),
    sa.Index("ix_t2m2fa_outbox_finished", "finished_at"),
    sa.Index("ix_t2m2fa_outbox_sim_sent", "sim", "sent_at"),
    # Queue depth and the oldest queued message, read at every metrics scrape.
    sa.Index("ix_t2m2fa_outbox_state_created", "state", "created_at"),
)

# One row per sent message that asked for a status report; created by create_all() like the
# rest, so an existing database gains it without a migration. No number is kept: reports are
# matched on modem, TP-MR and a coarse key of the recipient's last digits (delivery.py).
reports_table = sa.Table(
    "t2m2fa_outbox_reports",
    metadata,
    sa.Column("message_id", _Id, primary_key=True, autoincrement=False),
    sa.Column("modem", sa.String(200), nullable=False),
    sa.Column("reference", sa.Integer, nullable=False),
    sa.Column("recipient_match", sa.String(16), nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("reason", sa.String(200), nullable=True),
    sa.Column("reported_at", UTCDateTime, nullable=True),
    sa.Column("discharged_at", UTCDateTime, nullable=True),
    sa.Index("ix_t2m2fa_outbox_reports_match", "modem", "reference", "state"),
)

modems_table = sa.Table(
    "t2m2fa_gateway_modems",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("worker", sa.String(200), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("detail", sa.String(200), nullable=True),
    sa.Column("signal_dbm", sa.Integer, nullable=True),
    sa.Column("operator", sa.String(64), nullable=True),
    sa.Column("last_error", sa.String(200), nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("registration", sa.String(32), nullable=True),
    sa.Column("sim_state", sa.String(32), nullable=True),
    sa.Column("imsi", sa.String(16), nullable=True),
    sa.Column("iccid", sa.String(22), nullable=True),
)

# SMS the modems received (replies such as "STOP", operator messages), read off the SIM so that
# its storage never fills (gateway.incoming). The sender and the text are sealed with the outbox
# keys, as queued messages are; the sender is also kept masked and as a keyed digest, so that
# a host can find a user's replies without the number in clear.
received_table = sa.Table(
    "t2m2fa_received",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("modem", sa.String(200), nullable=False),
    sa.Column("sender_masked", sa.String(32), nullable=False),
    sa.Column("sender_digest", sa.String(32), nullable=False),
    sa.Column("sealed", sa.LargeBinary, nullable=True),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    # The SMS centre's time stamp (its own clock), when readable.
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Index("ix_t2m2fa_received_at", "received_at"),
    sa.Index("ix_t2m2fa_received_sender", "sender_digest", "received_at"),
)

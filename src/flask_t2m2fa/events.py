"""The audit events: a misspelt event is a type error, not a runtime ``KeyError``."""

from __future__ import annotations

import enum


class Event(enum.Enum):
    """One kind of audit row; its value is what the ``event`` column holds."""

    CHALLENGE_CREATED = "challenge_created"
    CODE_SENT = "code_sent"
    SEND_FAILED = "send_failed"
    SEND_THROTTLED = "send_throttled"
    CODE_VERIFIED = "code_verified"
    CODE_FAILED = "code_failed"
    CHALLENGE_EXHAUSTED = "challenge_exhausted"
    USER_LOCKED = "user_locked"
    USER_UNLOCKED = "user_unlocked"
    PC_REMEMBERED = "pc_remembered"
    PC_USED = "pc_used"
    PC_REJECTED = "pc_rejected"
    PCS_REVOKED = "pcs_revoked"
    POLICY_CHANGED = "policy_changed"
    PHONE_VERIFIED = "phone_verified"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    SESSIONS_ENDED = "sessions_ended"
    #: An administrator set (pending) or cancelled a user's number; ``reason`` says which.
    PHONE_CHANGED = "phone_changed"
    NOTICE_SENT = "notice_sent"
    PHONE_REMOVED = "phone_removed"
    PC_REVOKED = "pc_revoked"
    #: An administrator had a code sent to a user's pending number (``outcome`` ``sent`` or
    #: ``not_sent``); the send itself is ``code_sent`` / ``send_throttled``, with no actor.
    CODE_REQUESTED = "code_requested"
    #: A user made a new set of recovery codes (the old set is void); ``reason``: how many.
    RECOVERY_CODES_GENERATED = "recovery_generated"
    #: A recovery code completed a login (a wrong one is ``code_failed``, reason ``recovery``).
    RECOVERY_CODE_USED = "recovery_used"
    #: An administrator voided a user's recovery codes.
    RECOVERY_CODES_VOIDED = "recovery_voided"

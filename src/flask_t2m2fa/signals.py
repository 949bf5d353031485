"""Blinker signals, one per audit event. Receivers get keyword arguments only.

Every signal is sent with the app as sender and ``account_id``, ``user_id``, ``outcome``,
``reason``, ``destination`` (masked) and ``challenge_id``. None carries a code, a token or a
full phone number.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

challenge_created = _signals.signal("challenge-created")
code_sent = _signals.signal("code-sent")
send_failed = _signals.signal("send-failed")
send_throttled = _signals.signal("send-throttled")
code_verified = _signals.signal("code-verified")
code_failed = _signals.signal("code-failed")
challenge_exhausted = _signals.signal("challenge-exhausted")
user_locked = _signals.signal("user-locked")
user_unlocked = _signals.signal("user-unlocked")
pc_remembered = _signals.signal("pc-remembered")
pc_used = _signals.signal("pc-used")
pc_rejected = _signals.signal("pc-rejected")
pcs_revoked = _signals.signal("pcs-revoked")
policy_changed = _signals.signal("policy-changed")
phone_verified = _signals.signal("phone-verified")
two_factor_enabled = _signals.signal("two-factor-enabled")
two_factor_disabled = _signals.signal("two-factor-disabled")
sessions_ended = _signals.signal("sessions-ended")

#: Audit event name -> signal.
BY_EVENT = {
    "challenge_created": challenge_created,
    "code_sent": code_sent,
    "send_failed": send_failed,
    "send_throttled": send_throttled,
    "code_verified": code_verified,
    "code_failed": code_failed,
    "challenge_exhausted": challenge_exhausted,
    "user_locked": user_locked,
    "user_unlocked": user_unlocked,
    "pc_remembered": pc_remembered,
    "pc_used": pc_used,
    "pc_rejected": pc_rejected,
    "pcs_revoked": pcs_revoked,
    "policy_changed": policy_changed,
    "phone_verified": phone_verified,
    "two_factor_enabled": two_factor_enabled,
    "two_factor_disabled": two_factor_disabled,
    "sessions_ended": sessions_ended,
}

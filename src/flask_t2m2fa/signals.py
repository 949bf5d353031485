"""Blinker signals, one per audit event, sent after the transaction that recorded it commits.

Every signal is sent with the app as sender and keyword arguments only: ``account_id``,
``user_id``, ``outcome``, ``reason``, ``destination`` (masked), ``challenge_id`` and
``actor_id`` (the administrator who acted, else None). None carries
a code, a token or a full phone number. A branch that is rolled back sends nothing.
"""

from __future__ import annotations

from blinker import Namespace, Signal

from .events import Event

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
notice_sent = _signals.signal("notice-sent")
phone_changed = _signals.signal("phone-changed")
phone_removed = _signals.signal("phone-removed")
pc_revoked = _signals.signal("pc-revoked")
code_requested = _signals.signal("code-requested")
recovery_generated = _signals.signal("recovery-generated")
recovery_used = _signals.signal("recovery-used")
recovery_voided = _signals.signal("recovery-voided")

#: Audit event -> signal (every event has one: a test checks it).
BY_EVENT: dict[Event, Signal] = {
    event: _signals.signal(event.value.replace("_", "-")) for event in Event
}

"""Talk2M-style SMS two-factor login for Flask."""

from __future__ import annotations

from .extension import TwoFactor
from .phones import PhoneError
from .policy import Policy
from .sending import OutboxSender, SmsSender

__all__ = ["OutboxSender", "PhoneError", "Policy", "SmsSender", "TwoFactor"]

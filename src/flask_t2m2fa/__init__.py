"""Talk2M-style SMS two-factor login for Flask."""

from __future__ import annotations

from .config import ConfigError
from .extension import TwoFactor
from .rules.phones import PhoneError
from .rules.policy import Policy
from .sending import OutboxSender, SmsSender
from .web.guards import json_body, json_endpoint, json_object

__all__ = [
    "ConfigError",
    "OutboxSender",
    "PhoneError",
    "Policy",
    "SmsSender",
    "TwoFactor",
    "json_body",
    "json_endpoint",
    "json_object",
]

"""Talk2M-style SMS two-factor login for Flask.

The public names load on first use (PEP 562), so that the pure rules in
:mod:`flask_t2m2fa.rules` can be imported, and tested, without Flask or SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ConfigError as ConfigError
    from .extension import TwoFactor as TwoFactor
    from .rules.phones import PhoneError as PhoneError
    from .rules.policy import Policy as Policy
    from .sending import OutboxSender as OutboxSender
    from .sending import SmsSender as SmsSender
    from .web.guards import json_body as json_body
    from .web.guards import json_endpoint as json_endpoint
    from .web.guards import json_object as json_object

#: Public name -> the module that defines it.
_EXPORTS = {
    "ConfigError": ".config",
    "OutboxSender": ".sending",
    "PhoneError": ".rules.phones",
    "Policy": ".rules.policy",
    "SmsSender": ".sending",
    "TwoFactor": ".extension",
    "json_body": ".web.guards",
    "json_endpoint": ".web.guards",
    "json_object": ".web.guards",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'flask_t2m2fa' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value

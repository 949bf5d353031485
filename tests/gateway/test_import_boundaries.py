"""The gateway runs on its own, beside or far from the web app: it must not pull in Flask."""

from __future__ import annotations

import subprocess
import sys


def test_importing_gateway_does_not_import_flask() -> None:
    code = (
        "import sys, gateway, gateway.errors, gateway.message\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(gateway.__path__, 'gateway.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('flask', 'flask_t2m2fa'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""

"""A clock that server processes share with the test: real UTC time plus a shift in a file.

The servers of the concurrency suite run in other processes (the demo stack, gunicorn
workers); the test moves their time on (past a cool-down, to the next day) by rewriting the
shift, which every process reads at each call.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path


class ShiftedClock:
    """``init_app(clock=...)`` for a server process; :meth:`advance` for the test."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def shift(self) -> float:
        try:
            return float(self.path.read_text() or 0)
        except FileNotFoundError:
            return 0.0

    def __call__(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.shift())

    def advance(self, **delta: float) -> None:
        """Move every process's time on by ``timedelta(**delta)``."""
        new = self.shift() + timedelta(**delta).total_seconds()
        partial = self.path.with_suffix(".partial")
        partial.write_text(repr(new))
        os.replace(partial, self.path)  # readers see the old shift or the new, never half

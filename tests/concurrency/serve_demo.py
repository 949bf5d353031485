"""``python tests/concurrency/serve_demo.py STATE_DIR CLOCK_FILE``: the demo as it ships.

The stack of ``python -m example_app`` (loopback modem, gateway worker, the web app on its
threaded server and SQLite), with one difference: the web app's clock is a
:class:`ShiftedClock`, so the test can move past a cool-down without waiting. It prints the
demo's banner, then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]

from example_app.__main__ import banner  # noqa: E402
from example_app.demo import DemoPaths, DemoStack  # noqa: E402
from shifted_clock import ShiftedClock  # noqa: E402


def main(state_dir: str, clock_file: str) -> None:
    stack = DemoStack(DemoPaths(Path(state_dir).resolve()), 0, clock=ShiftedClock(clock_file))
    try:
        stack.start()
        print(banner(stack), flush=True)
        stack.serve_forever()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

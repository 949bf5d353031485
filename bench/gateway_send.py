"""Messages per second through one loopback modem: our Modem versus ``GsmModem.sendSms``.

Both send the same N messages (default 500) through the same loopback modem, with no network
delay, in the same run, one after the other; each is timed from its first send to its last
(connecting is not timed). The fake modem records every message in its SQLite inbox, which
costs both sides the same. Run: ``.venv/bin/python bench/gateway_send.py [-n N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable

from gsmmodem.modem import GsmModem

from gateway.fake import FakeModem
from gateway.modem import Modem, ModemSettings

NUMBER = "+32470123456"


def text(i: int) -> str:
    return f"Your code is {i % 10_000:04d}. It expires in 5 minutes. Do not share it."


def ours(device: str, count: int) -> float:
    """Seconds for ``count`` sends through :class:`gateway.modem.Modem`."""
    with Modem(device, settings=ModemSettings(registration_timeout=5.0)) as modem:
        started = time.perf_counter()
        for i in range(count):
            modem.send(NUMBER, text(i))
        return time.perf_counter() - started


def baseline(device: str, count: int) -> float:
    """Seconds for ``count`` sends through python-gsmmodem-new's ``GsmModem.sendSms``."""
    modem = GsmModem(device)
    modem.connect()
    try:
        started = time.perf_counter()
        for i in range(count):
            modem.sendSms(NUMBER, text(i))
        return time.perf_counter() - started
    finally:
        modem.close()


def measure(fake: FakeModem, name: str, run: Callable[[str, int], float], count: int) -> float:
    before = len(fake.inbox.messages())
    seconds = run(fake.device, count)
    delivered = len(fake.inbox.messages()) - before
    if delivered != count:
        raise SystemExit(f"{name}: {delivered} of {count} messages arrived")
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians shown")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    rates: dict[str, list[float]] = {"gateway.modem.Modem": [], "GsmModem.sendSms": []}
    with tempfile.TemporaryDirectory() as state, FakeModem(state) as fake:
        for _ in range(args.rounds):  # alternate, so machine load drifts hit both alike
            rates["gateway.modem.Modem"].append(measure(fake, "ours", ours, args.messages))
            rates["GsmModem.sendSms"].append(measure(fake, "baseline", baseline, args.messages))
    print(f"{args.messages} messages x {args.rounds} rounds through one loopback modem, no delay")
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, values in rates.items():
        runs = ", ".join(f"{value:.0f}" for value in values)
        print(f"  {name:<22} {medians[name]:8.0f} msgs/s (median; runs: {runs})")
    ratio = medians["gateway.modem.Modem"] / medians["GsmModem.sendSms"]
    print(f"  ratio ours / GsmModem: {ratio:.2f}x")


if __name__ == "__main__":
    main()

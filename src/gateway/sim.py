"""The SIM card: its state, and unlocking it with a PIN that is never retried.

Three wrong PINs lock a SIM until its PUK is entered. So a PIN is sent at most once per unlock,
and a PIN the SIM refused is remembered for the life of the process (per device): a supervisor
that reopens the modem with the same wrong PIN gets :class:`WrongPinError` without the PIN
reaching the SIM again.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from typing import Protocol

from gateway.at_channel import AtCommandError, AtTimeout
from gateway.errors import (
    ModemError,
    PinRequiredError,
    SimBusyError,
    SimLockedError,
    SimNotInsertedError,
    WrongPinError,
)

READY = "READY"
SIM_PIN = "SIM PIN"
SIM_PUK = "SIM PUK"
NOT_INSERTED = "NOT INSERTED"
FAILURE = "FAILURE"
BUSY = "BUSY"

#: ``+CME ERROR`` codes (27.007 §9.2) that mean "busy, ask again shortly".
BUSY_CODES = frozenset({14, 515})
_CPIN_ERROR_STATES = {10: NOT_INSERTED, 11: SIM_PIN, 12: SIM_PUK, 13: FAILURE, 14: BUSY}
_HEALTH_NAMES = {
    READY: "ready",
    SIM_PIN: "PIN required",
    SIM_PUK: "PUK required",
    NOT_INSERTED: "not inserted",
    FAILURE: "failure",
    BUSY: "busy",
}
_PIN = re.compile(r"[0-9]{4,8}")

_refused_pins: set[tuple[str, str]] = set()


class Runner(Protocol):
    """Runs one AT command without retrying it, returning its answer lines."""

    def __call__(self, command: str, *, prefix: str | None = None) -> list[str]: ...


def check_pin(pin: str | None) -> None:
    """Refuse a malformed PIN before it can reach the SIM (where it would cost a try)."""
    if pin is not None and not _PIN.fullmatch(pin):
        raise ValueError("a SIM PIN is 4 to 8 digits")


def read_state(run: Runner) -> str:
    """The SIM state: ``READY``, ``SIM PIN``, ``SIM PUK``, ``NOT INSERTED``, ``BUSY``, ..."""
    try:
        lines = run("AT+CPIN?", prefix="+CPIN:")
    except AtCommandError as exc:
        if exc.code in _CPIN_ERROR_STATES:
            return _CPIN_ERROR_STATES[exc.code]
        if exc.code in BUSY_CODES:
            return BUSY
        raise ModemError(f"cannot read the SIM state ({exc})") from exc
    if not lines:
        raise ModemError("the modem gave no SIM state")
    return lines[-1][len("+CPIN:") :].strip().strip('"').upper()


def describe(state: str) -> str:
    """A SIM state as :class:`gateway.modem.ModemHealth` reports it."""
    return _HEALTH_NAMES.get(state, state.lower())


def wait_until_not_busy(
    run: Runner,
    timeout: float,
    poll: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Read the SIM state, waiting (at most ``timeout``) while the SIM is busy."""
    deadline = clock() + timeout
    while (state := read_state(run)) == BUSY:
        remaining = deadline - clock()
        if remaining <= 0:
            raise SimBusyError(f"the SIM was still busy after {timeout:g} s")
        sleep(min(poll, remaining))
    return state


def unlock(run: Runner, pin: str | None, device: str, wait: Callable[[], str]) -> None:
    """Make the SIM ready, sending ``pin`` at most once.

    :param device: the serial device, to remember a refused PIN per modem.
    :param wait: reads the SIM state once it is no longer busy (:func:`wait_until_not_busy`).
    """
    state = wait()
    if state == SIM_PIN:
        _enter_pin(run, pin, device)
        state = wait()
        if state == SIM_PIN:  # accepted, yet asked again: treat it as refused, never resend
            _refused_pins.add(_key(device, pin or ""))
            raise WrongPinError("the SIM still asks for its PIN after it was entered")
    _raise_unless_ready(state)


def forget_refused_pins() -> None:
    """Allow PINs refused earlier to be sent again (tests; an operator who reset the SIM)."""
    _refused_pins.clear()


def _enter_pin(run: Runner, pin: str | None, device: str) -> None:
    if pin is None:
        raise PinRequiredError("the SIM asks for a PIN and none was given")
    key = _key(device, pin)
    if key in _refused_pins:
        raise WrongPinError(
            "this PIN was refused by (or got no answer from) the SIM before; it is not sent again"
        )
    try:
        run(f'AT+CPIN="{pin}"')
    except AtTimeout:
        _refused_pins.add(key)  # it may have been checked: do not risk a second try
        raise
    except AtCommandError as exc:
        if exc.code in BUSY_CODES:  # not checked by the SIM, so it cost no try
            raise SimBusyError("the SIM was busy and did not take the PIN") from exc
        _refused_pins.add(key)
        if exc.code == 12:
            raise SimLockedError("wrong PIN: the SIM now needs its PUK") from exc
        raise WrongPinError(f"the SIM refused the PIN ({exc}); it is never retried") from exc


def _raise_unless_ready(state: str) -> None:
    if state == READY:
        return
    if state == NOT_INSERTED:
        raise SimNotInsertedError("no SIM card in the modem")
    if state == FAILURE:
        raise SimNotInsertedError("SIM failure (card missing or damaged?)")
    if state == SIM_PUK:
        raise SimLockedError("the SIM is locked: it needs its PUK")
    raise SimLockedError(f"the SIM asks for {state}, which the gateway cannot give")


def _key(device: str, pin: str) -> tuple[str, str]:
    where = device if "://" in device else os.path.realpath(device)  # a URL is no file path
    return where, hashlib.sha256(pin.encode("ascii")).hexdigest()

"""Handlers for identification, SIM, network and general commands (27.007, V.250)."""

from __future__ import annotations

from collections.abc import Callable

from gateway.fake.state import PIN_TRIES, AtError, ModemState
from gateway.fake.syntax import AtSyntaxError, Command, int_arg, parse_args

Handler = Callable[[ModemState, Command], list[str]]

MANUFACTURER = "FakeModemCo"
MODEL = "FM-1"
REVISION = "FM-1.0.0"
IMEI = "490154203237518"
LAC, CELL = "1A2B", "0001F3C4"
REGISTERED = (1, 5, 6, 7, 9, 10)


def _fixed(text: str) -> Handler:
    """A command that answers the same line to ``AT+X`` (and OK to its test form)."""

    def handler(state: ModemState, cmd: Command) -> list[str]:
        if cmd.kind == "exec":
            return [text]
        if cmd.kind == "test":
            return []
        raise AtError()

    return handler


def _ok(state: ModemState, cmd: Command) -> list[str]:
    return []


def _basic(state: ModemState, cmd: Command) -> list[str]:
    """E, V, Q, Z, &F and friends."""
    value = int(cmd.args or "0")
    settings = state.settings
    if cmd.name == "E":
        settings.echo = value == 1
    elif cmd.name == "V":
        settings.verbose = value == 1
    elif cmd.name == "Q":
        settings.quiet = value == 1
    elif cmd.name == "Z" and state.faults.atz_error_before_pin and state.sim_status() != "READY":
        raise AtError()
    elif cmd.name in ("Z", "&F"):  # restore the (never saved) profile: echo on, verbose
        settings.echo, settings.verbose, settings.quiet = True, True, False
    elif cmd.name == "I":
        return [f"{MANUFACTURER} {MODEL}", f"Revision: {REVISION}"]
    elif cmd.name in ("D", "A"):
        raise AtError()
    return []


def _cmee(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "read":
        return [f"+CMEE: {state.settings.cmee}"]
    if cmd.kind == "test":
        return ["+CMEE: (0-2)"]
    value = int_arg(parse_args(cmd.args), 0, 0)
    if value not in (0, 1, 2):
        raise AtError("CME", 4)
    state.settings.cmee = value
    return []


def _cfun(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "read":
        return [f"+CFUN: {state.settings.cfun}"]
    if cmd.kind == "test":
        return ["+CFUN: (0,1,4),(0,1)"]
    values = parse_args(cmd.args)
    fun = int_arg(values, 0)
    if fun not in (0, 1, 4):
        raise AtError("CME", 4)
    if fun == 1 and state.settings.cfun != 1:  # the SIM is read again as the radio comes up
        state.sim_busy_until = state.clock() + state.faults.sim_busy_after_radio_on
    state.settings.cfun = fun
    return []


def _cpin(state: ModemState, cmd: Command) -> list[str]:
    status = state.sim_status()
    if cmd.kind == "test":
        return []
    if cmd.kind == "read":
        if status == "BLOCKED":
            raise AtError("CME", 13)
        return [f"+CPIN: {status}"]
    if cmd.kind != "set":
        raise AtError()
    values = parse_args(cmd.args)
    if status == "BLOCKED":
        raise AtError("CME", 13)
    if status == "SIM PUK":
        _unlock_with_puk(state, values)
    elif status == "SIM PIN":
        _unlock_with_pin(state, values)
    else:
        raise AtError("CME", 3)  # nothing to unlock
    return []


def _unlock_with_pin(state: ModemState, values: list[str]) -> None:
    if not values or values[0] != state.faults.pin:
        state.pin_tries_left -= 1
        raise AtError("CME", 16)
    _unlocked(state)


def _unlock_with_puk(state: ModemState, values: list[str]) -> None:
    if len(values) < 2:
        raise AtError("CME", 12)  # a lone PIN while the SIM wants its PUK
    if values[0] != state.faults.puk:
        state.puk_tries_left -= 1
        raise AtError("CME", 16)
    state.faults.pin = values[1]
    _unlocked(state)


def _unlocked(state: ModemState) -> None:
    state.pin_entered = True
    state.pin_tries_left = PIN_TRIES
    state.sim_busy_until = state.clock() + state.faults.sim_busy_after_pin


def _registration(index: int, prefix: str, setting: str) -> Handler:
    """CREG/CGREG/CEREG: ``<n>`` is honoured in the read form."""

    def handler(state: ModemState, cmd: Command) -> list[str]:
        if cmd.kind == "test":
            return [f"+{prefix}: (0-2)"]
        if cmd.kind == "set":
            value = int_arg(parse_args(cmd.args), 0, 0)
            if value not in (0, 1, 2):
                raise AtError("CME", 4)
            setattr(state.settings, setting, value)
            return []
        if cmd.kind != "read":
            raise AtError()
        n: int = getattr(state.settings, setting)
        stat = state.stats()[index]
        line = f"+{prefix}: {n},{stat}"
        if n == 2 and stat in REGISTERED:
            line += f',"{LAC}","{CELL}"' + (",7" if prefix == "CEREG" else "")
        return [line]

    return handler


def _csq(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return ["+CSQ: (0-31,99),(0-7,99)"]
    rssi = state.faults.signal_rssi if state.settings.cfun == 1 else 99
    return [f"+CSQ: {rssi},99"]


def _cops(state: ModemState, cmd: Command) -> list[str]:
    faults = state.faults
    if cmd.kind == "test":
        entry = f'"{faults.operator}","{faults.operator}","{faults.operator_numeric}"'
        return [f"+COPS: (2,{entry},0),,(0-4),(0-2)"]
    if cmd.kind == "set":
        values = parse_args(cmd.args)
        if int_arg(values, 0, 0) == 3:
            state.settings.cops_format = int_arg(values, 1, 0)
        return []
    if not any(stat in REGISTERED for stat in state.stats()):
        return ["+COPS: 0"]
    fmt = state.settings.cops_format
    name = faults.operator_numeric if fmt == 2 else faults.operator
    act = 7 if state.stats()[0] not in REGISTERED else 0
    return [f'+COPS: 0,{fmt},"{name}",{act}']


def _cgatt(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return ["+CGATT: (0,1)"]
    if cmd.kind == "set":
        return []
    _, cgreg, cereg = state.stats()
    return [f"+CGATT: {int(cgreg in REGISTERED or cereg in REGISTERED)}"]


def _cimi(state: ModemState, cmd: Command) -> list[str]:
    state.require_sim()
    return _fixed(state.faults.imsi)(state, cmd)


def _iccid(state: ModemState, cmd: Command) -> list[str]:
    """``+CCID: <iccid>`` (u-blox, SIMCom) or ``+ICCID: <iccid>``; readable before the PIN."""
    if cmd.kind == "test":
        return []
    if cmd.kind not in ("exec", "read"):
        raise AtError()
    return [f"{cmd.name}: {state.faults.iccid}"]


def _setting_only(state: ModemState, cmd: Command) -> list[str]:
    """Commands whose settings nobody reads back here (CLIP, CRC, CVHU...)."""
    if cmd.kind == "read":
        return [f"{cmd.name}: 0"]
    return []


def _reject_syntax(handler: Handler) -> Handler:
    def wrapped(state: ModemState, cmd: Command) -> list[str]:
        try:
            return handler(state, cmd)
        except (AtSyntaxError, ValueError):
            raise AtError() from None

    return wrapped


HANDLERS: dict[str, Handler] = {
    name: _reject_syntax(handler)
    for name, handler in {
        **{letter: _basic for letter in ("E", "V", "Q", "Z", "&F", "I", "D", "A")},
        **{name: _ok for name in ("X", "H", "S", "&C", "&D", "&K", "&W", "&V", "L", "M")},
        "+CGMI": _fixed(MANUFACTURER),
        "+GMI": _fixed(MANUFACTURER),
        "+CGMM": _fixed(MODEL),
        "+GMM": _fixed(MODEL),
        "+CGMR": _fixed(REVISION),
        "+GMR": _fixed(REVISION),
        "+CGSN": _fixed(IMEI),
        "+GSN": _fixed(IMEI),
        "+CIMI": _cimi,
        "+CCID": _iccid,
        "+ICCID": _iccid,
        "+CMEE": _cmee,
        "+CFUN": _cfun,
        "+CPIN": _cpin,
        "+CREG": _registration(0, "CREG", "creg_n"),
        "+CGREG": _registration(1, "CGREG", "cgreg_n"),
        "+CEREG": _registration(2, "CEREG", "cereg_n"),
        "+CSQ": _csq,
        "+COPS": _cops,
        "+CGATT": _cgatt,
        "+CLIP": _setting_only,
        "+CRC": _setting_only,
        "+CVHU": _setting_only,
    }.items()
}

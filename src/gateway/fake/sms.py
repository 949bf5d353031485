"""Handlers for the SMS commands of 27.005, and what happens to a submitted message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.fake.concat import Part, concatenation
from gateway.fake.device import REGISTERED, Handler
from gateway.fake.pdu import PduError, decode_submit, relative_validity
from gateway.fake.state import AtError, ModemState, Prompt
from gateway.fake.storage import cmgd, cmgl, cmgr, cpms
from gateway.fake.syntax import AtSyntaxError, Command, int_arg, parse_args

CHARSETS = ("IRA", "GSM", "UCS2", "8859-1")


@dataclass(frozen=True)
class Submitted:
    """A message the modem accepted from its TE, before the network answers."""

    to: str
    text: str
    encoding: str
    validity: timedelta | datetime | None
    status_report_requested: bool
    #: The SMS centre given in the PDU itself (Gammu puts it there), if any.
    smsc: str | None = None
    #: Which segment of a concatenated message this is (None: a message of its own).
    part: Part | None = None
    #: Segments of the whole message, once put together.
    segments: int = 1


def _cmgf(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "read":
        return [f"+CMGF: {int(state.settings.text_mode)}"]
    if cmd.kind == "test":
        return ["+CMGF: (0,1)"]
    value = int_arg(parse_args(cmd.args), 0, 0)
    if value not in (0, 1):
        raise AtError("CMS", 302)
    state.settings.text_mode = value == 1
    return []


def _cscs(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "read":
        return [f'+CSCS: "{state.settings.charset}"']
    if cmd.kind == "test":
        return ["+CSCS: (" + ",".join(f'"{c}"' for c in CHARSETS) + ")"]
    values = parse_args(cmd.args)
    if not values or values[0].upper() not in CHARSETS:
        raise AtError("CME", 4)
    state.settings.charset = values[0].upper()
    return []


def _csca(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return []
    state.require_sim()
    if cmd.kind == "read":
        if state.faults.smsc is None:
            raise AtError("CMS", 330)  # a wiped one ("+") is shown as it is
        return [f'+CSCA: "{state.faults.smsc}",145']
    values = parse_args(cmd.args)
    if not values or not values[0]:
        raise AtError("CMS", 304)
    state.faults.smsc = values[0]  # the SMSC lives on the SIM: it survives a reboot
    return []


def _csmp(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return []
    state.require_sim()
    settings = state.settings
    if cmd.kind == "read":
        return ["+CSMP: " + ",".join(str(v) for v in settings.csmp)]
    values = parse_args(cmd.args)
    if state.faults.csmp_wipes_smsc:
        state.faults.smsc = "+"
    old = settings.csmp
    settings.csmp = (
        int_arg(values, 0, old[0]),
        int_arg(values, 1, old[1]),
        int_arg(values, 2, old[2]),
        int_arg(values, 3, old[3]),
    )
    return []


def _cnmi(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "read":
        return ["+CNMI: " + ",".join(str(v) for v in state.settings.cnmi)]
    if cmd.kind == "test":
        return ["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"]
    values = parse_args(cmd.args)
    old = state.settings.cnmi
    cnmi = tuple(int_arg(values, i, old[i]) for i in range(5))
    if cnmi[3] not in state.faults.report_routes:
        raise AtError("CMS", 303)  # operation not supported
    state.settings.cnmi = cnmi
    return []


def _cmgs(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return []
    if cmd.kind != "set":
        raise AtError()
    state.require_sim()
    if state.storage_full():  # some modems refuse to send while the SIM storage is full
        raise AtError("CMS", 322)
    values = parse_args(cmd.args)
    if state.settings.text_mode:
        if not values or not values[0]:
            raise AtError("CMS", 305)
        state.prompt = Prompt(text_mode=True, destination=_text_address(state, values[0]))
    else:
        length = int_arg(values, 0)
        if not 7 <= length <= 164:
            raise AtError("CMS", 304)
        state.prompt = Prompt(text_mode=False, length=length)
    return []


def _text_address(state: ModemState, raw: str) -> str:
    if state.settings.charset == "UCS2":
        try:
            return bytes.fromhex(raw).decode("utf-16-be")
        except ValueError:
            raise AtError("CMS", 305) from None
    return raw


def _cmms(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "read":
        return [f"+CMMS: {state.settings.cmms}"]
    if cmd.kind == "test":
        return ["+CMMS: (0-2)"]
    state.settings.cmms = int_arg(parse_args(cmd.args), 0, 0)
    return []


def _csms(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return ["+CSMS: (0,1)"]
    return ["+CSMS: 0,1,1,1"] if cmd.kind == "read" else ["+CSMS: 1,1,1"]


def _reject_syntax(handler: Handler) -> Handler:
    def wrapped(state: ModemState, cmd: Command) -> list[str]:
        try:
            return handler(state, cmd)
        except (AtSyntaxError, ValueError):
            raise AtError("CMS", 305 if state.settings.text_mode else 304) from None

    return wrapped


HANDLERS: dict[str, Handler] = {
    name: _reject_syntax(handler)
    for name, handler in {
        "+CMGF": _cmgf,
        "+CSCS": _cscs,
        "+CSCA": _csca,
        "+CSMP": _csmp,
        "+CPMS": cpms,
        "+CNMI": _cnmi,
        "+CMGS": _cmgs,
        "+CMGR": cmgr,
        "+CMGD": cmgd,
        "+CMGL": cmgl,
        "+CMMS": _cmms,
        "+CSMS": _csms,
    }.items()
}


def accept(state: ModemState, prompt: Prompt, body: str) -> Submitted:
    """Check and decode what the TE typed at the prompt (the part a modem does locally).

    :raise AtError: ``+CMS ERROR`` 304/305 for a bad body, 330 without an SMS centre, 331
        without network registration.
    """
    submitted = _decode_text(state, prompt, body) if prompt.text_mode else _decode_pdu(prompt, body)
    if submitted.smsc is None and not state.faults.has_smsc():
        raise AtError("CMS", 330)
    if not any(stat in REGISTERED for stat in state.stats()):
        raise AtError("CMS", 331)
    return submitted


def _decode_pdu(prompt: Prompt, body: str) -> Submitted:
    try:
        pdu = decode_submit("".join(body.split()))
    except PduError:
        raise AtError("CMS", 304) from None
    if pdu.tpdu_length != prompt.length:
        raise AtError("CMS", 304)
    return Submitted(
        pdu.destination,
        pdu.text,
        pdu.encoding,
        pdu.validity,
        pdu.status_report_requested,
        pdu.smsc,
        concatenation(pdu.user_data_header),
    )


def _decode_text(state: ModemState, prompt: Prompt, body: str) -> Submitted:
    fo, vp, _pid, dcs = state.settings.csmp
    if state.settings.charset == "UCS2":
        try:
            text = bytes.fromhex("".join(body.split())).decode("utf-16-be")
        except ValueError:
            raise AtError("CMS", 305) from None
    else:
        text = body
    encoding = "ucs2" if (dcs >> 2) & 0x03 == 2 else "gsm7"
    validity = relative_validity(vp) if (fo >> 3) & 0x03 == 2 else None
    return Submitted(prompt.destination, text, encoding, validity, bool(fo & 0x20))

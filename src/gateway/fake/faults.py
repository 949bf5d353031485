"""Faults the loopback modem can inject; each field may change while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Registration faults and the ``<stat>`` they give for CREG, CGREG and CEREG.
REGISTRATIONS: dict[str, tuple[int, int, int]] = {
    "home": (1, 1, 1),
    "roaming": (5, 5, 5),
    "none": (0, 0, 0),
    "searching": (2, 2, 2),
    "denied": (3, 3, 3),
    # LTE module: circuit-switched domain not registered, EPS registered (SMS over SGs/IMS).
    "lte_only": (0, 0, 1),
    # 27.007 stat 6, "registered for SMS only, home network": only CREG says so.
    "sms_only": (6, 0, 0),
}

DEFAULT_SMSC = "+447785016005"
DEFAULT_IMSI = "234150000000001"
DEFAULT_ICCID = "8944150000000000017"

#: What ZTE (python-gsmmodem's recorded send) and Huawei sticks print while a send is under way.
STATUS_URCS = (
    '+ZDONR: "METEOR",272,3,"CS_ONLY","ROAM_OFF"',
    '+ZPASR: "UMTS"',
    "^RSSI:13",
    "^BOOT:48175390,0,0,0,89",
    "+CIEV: 2,3",
)


@dataclass
class Faults:
    """What the loopback modem does wrong, or how its SIM and network behave.

    Fields are read at each command, so changing one on a running modem takes effect on the
    next command.
    """

    #: SIM PIN required until given; three wrong tries lock the SIM until the PUK is given.
    pin: str | None = None
    puk: str = "12345678"
    #: Seconds during which SIM-touching commands answer ``+CME ERROR: 14`` after the PIN.
    sim_busy_after_pin: float = 0.0
    #: One of :data:`REGISTRATIONS`.
    registration: str = "home"
    #: The SIM's SMS centre; ``None`` makes ``AT+CSCA?`` and sends fail with ``+CMS ERROR: 330``.
    smsc: str | None = DEFAULT_SMSC
    #: Codes for the next sends: each send pops one and answers ``+CMS ERROR: <code>``.
    send_errors: list[int] = field(default_factory=list)
    #: Seconds the network takes to answer a send (late answers are still written).
    send_delay: float = 0.0
    #: Prompt ``\r\n>\r\n`` instead of ``\r\n>`` and a space (some SIMCom modules).
    prompt_without_space: bool = False
    #: Answer ``+CMGS: <mr>,"<scts>"`` (27.005 with ``+CSMS`` service 1).
    cmgs_with_scts: bool = False
    #: Emit a ``+CDSI`` status-report indication between the submit and the ``+CMGS`` answer.
    urc_during_send: bool = False
    #: An SMS arrives (``+CMTI``) between the submit and the ``+CMGS`` answer of each send.
    cmti_during_send: bool = False
    #: The SIM's message storage is full at power-up (operator messages): sends fail with
    #: ``+CMS ERROR: 322`` (memory full) until messages are deleted.
    storage_full: bool = False
    #: After each send that asked for one, report delivery as ``AT+CNMI`` ``<ds>`` says
    #: (``+CDSI`` with ds=2, ``+CDS`` with ds=1), in the ``AT+CMGF`` mode of the moment.
    status_reports: bool = False
    #: Seconds between the network accepting a message and its status report.
    report_delay: float = 0.0
    #: TP-ST of the reports: 0 delivered, 0x46 validity period expired, 0x21 phone busy
    #: (still trying)... (23.040 §9.2.3.15).
    report_status: int = 0
    #: The ``AT+CNMI`` ``<ds>`` values the modem accepts; (0, 2): it only stores reports.
    report_routes: tuple[int, ...] = (0, 1, 2)
    #: Read commands but answer nothing at all.
    mute: bool = False
    #: An autobauding modem (SIMCom SIM800, many Quectel at power-up): the first ``autobaud``
    #: command lines after power-up get no answer and no echo, as if the baud rate were not
    #: yet known; the next is answered, followed by the boot lines (``+CFUN: 1``,
    #: ``+CPIN: READY``, ``Call Ready``, ``SMS Ready``; no ``RDY`` when autobauding).
    autobaud: int = 0
    # Field behaviours of real modems (python-gsmmodem's recorded dialogues and issues):
    #: ``+CFUN`` at power-up: 0 or 4 keep the radio off until ``AT+CFUN=1`` (Qualcomm/ZTE
    #: sticks, D-Link DWM-157; python-gsmmodem #10/#11, Gammu #395).
    cfun_at_boot: int = 1
    #: Seconds SIM-touching commands (``AT+CSCA?``...) answer ``+CME ERROR: 14`` after
    #: ``AT+CFUN=1`` switched the radio on (python-gsmmodem #10: the Qualcomm M6280).
    sim_busy_after_radio_on: float = 0.0
    #: ``AT+CPIN?`` answers its ``+CPIN:`` line and never ``OK`` (Wavecom Multiband, #19).
    cpin_without_ok: bool = False
    #: ``AT+CPIN?`` gives its ``OK`` only when the next command line arrives: a late ``OK``.
    cpin_late_ok: bool = False
    #: ``AT+CSMP=`` wipes the SIM's SMS centre: ``AT+CSCA?`` then answers ``+CSCA: "+",145``
    #: (python-gsmmodem #8; its QualcommM6280 and ZteK3565Z profiles).
    csmp_wipes_smsc: bool = False
    #: ZTE and Huawei status lines (``+ZDONR``, ``+ZPASR``, ``^RSSI``, ``^BOOT``, ``+CIEV``)
    #: between ``AT+CMGS`` and its ``>`` prompt, and before ``+CMGS: <mr>``.
    status_urcs_in_send: bool = False
    #: ``ATZ`` answers ``ERROR`` while the SIM still wants its PIN (python-gsmmodem #10/#12).
    atz_error_before_pin: bool = False
    #: ``AT+CSQ`` rssi: 0..31, or 99 for unknown.
    signal_rssi: int = 20
    operator: str = "FakeNet"
    operator_numeric: str = "23415"
    #: The SIM's identity (``AT+CIMI``, ``AT+CCID``/``AT+ICCID``); change both to "move" a SIM.
    imsi: str = DEFAULT_IMSI
    iccid: str = DEFAULT_ICCID

    def fail_next(self, code: int, times: int = 1) -> None:
        """Make the next ``times`` sends fail with ``+CMS ERROR: code``."""
        self.send_errors.extend([code] * times)

    def has_smsc(self) -> bool:
        """Whether the SIM holds a usable SMS centre (``"+"`` alone is a wiped one)."""
        return self.smsc is not None and any(ch.isdigit() for ch in self.smsc)

    def registration_stats(self) -> tuple[int, int, int]:
        """``(creg, cgreg, cereg)`` stats for the current registration fault."""
        try:
            return REGISTRATIONS[self.registration]
        except KeyError:
            raise ValueError(f"unknown registration {self.registration!r}") from None

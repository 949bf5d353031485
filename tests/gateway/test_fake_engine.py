"""The fake modem's AT engine, driven in-process with an injected clock (no pty, no sleeps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from gsmmodem.pdu import decodeSmsPdu

from gateway.fake import Faults
from gateway.fake.at import AtEngine
from gateway.fake.sms import Submitted

PDU = "0021000C91447700091032000011D9775D0E1ABFC965507A0EA2E16431"
NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


@dataclass
class Harness:
    faults: Faults = field(default_factory=Faults)
    time: float = 0.0
    out: bytearray = field(default_factory=bytearray)
    delivered: list[tuple[Submitted, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = AtEngine(
            self.faults,
            self.out.extend,
            lambda sub, ref: self.delivered.append((sub, ref)),
            clock=lambda: self.time,
            now=lambda: NOW,
        )

    def raw(self, data: bytes) -> str:
        self.out.clear()
        self.engine.feed(data)
        return self.out.decode("latin-1")

    def at(self, line: str) -> str:
        return self.raw(line.encode() + b"\r")

    def quiet(self) -> Harness:
        """Echo off and numeric errors, as a client sets them."""
        self.at("ATE0")
        self.at("AT+CMEE=1")
        return self

    def send_pdu(self, pdu: str = PDU, length: int = 28) -> str:
        prompt = self.at(f"AT+CMGS={length}")
        assert prompt == "\r\n> "
        return self.raw(pdu.encode() + b"\x1a")

    def advance(self, seconds: float) -> str:
        self.out.clear()
        self.time += seconds
        self.engine.tick()
        return self.out.decode("latin-1")


@pytest.fixture
def modem() -> Harness:
    return Harness().quiet()


def test_echo_follows_ate() -> None:
    harness = Harness()
    assert harness.at("AT") == "AT\r\r\nOK\r\n"
    assert harness.at("ATE0") == "ATE0\r\r\nOK\r\n"
    assert harness.at("AT") == "\r\nOK\r\n"


def test_numeric_result_codes_with_atv0(modem: Harness) -> None:
    assert modem.at("ATV0") == "0\r"
    assert modem.at("AT+CSQ") == "+CSQ: 20,99\r\n0\r"
    assert modem.at("AT+NOPE") == "4\r"


def test_error_format_follows_cmee(modem: Harness) -> None:
    modem.faults.smsc = None
    assert modem.at("AT+CSCA?") == "\r\n+CMS ERROR: 330\r\n"
    modem.at("AT+CMEE=2")
    assert modem.at("AT+CSCA?") == "\r\n+CMS ERROR: SMSC address unknown\r\n"
    modem.at("AT+CMEE=0")
    assert modem.at("AT+CSCA?") == "\r\nERROR\r\n"


def test_unknown_commands_and_clac_answer_error(modem: Harness) -> None:
    for line in ("AT+CLAC", "AT^CVOICE=?", "AT+ZPAS?", "AT+WIND=?", "ATQ0&&"):
        assert modem.at(line) == "\r\nERROR\r\n", line


def test_lines_without_at_are_ignored_but_empty_at_is_ok(modem: Harness) -> None:
    assert modem.at("hello") == ""
    assert modem.at("at") == "\r\nOK\r\n"
    assert modem.engine.commands == ["ATE0", "AT+CMEE=1", "at"]


def test_compound_line_runs_every_command(modem: Harness) -> None:
    assert modem.at("AT+CMEE=1;+CREG=2") == "\r\nOK\r\n"
    assert (
        modem.at("AT+CREG?;+CSQ") == '\r\n+CREG: 2,1,"1A2B","0001F3C4"\r\n+CSQ: 20,99\r\n\r\nOK\r\n'
    )
    assert modem.at("ATE0V1+CMEE=1") == "\r\nOK\r\n"


def test_compound_line_stops_at_the_first_error(modem: Harness) -> None:
    assert modem.at("AT+CREG=1;+BOGUS;+CREG=2") == "\r\nERROR\r\n"
    assert modem.at("AT+CREG?") == "\r\n+CREG: 1,1\r\n\r\nOK\r\n"


def test_semicolon_inside_quotes_is_an_argument(modem: Harness) -> None:
    assert modem.at('AT+CSCA="+32;1",145;+CSCA?') == '\r\n+CSCA: "+32;1",145\r\n\r\nOK\r\n'


def test_backspace_edits_the_line(modem: Harness) -> None:
    assert modem.raw(b"AT+CSX\x08Q\r") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"


@pytest.mark.parametrize(
    ("registration", "creg", "cgreg", "cereg"),
    [
        ("home", 1, 1, 1),
        ("roaming", 5, 5, 5),
        ("none", 0, 0, 0),
        ("searching", 2, 2, 2),
        ("denied", 3, 3, 3),
        ("lte_only", 0, 0, 1),
        ("sms_only", 6, 0, 0),
    ],
)
def test_registration_faults(
    modem: Harness, registration: str, creg: int, cgreg: int, cereg: int
) -> None:
    modem.faults.registration = registration
    answer = modem.at("AT+CREG?;+CGREG?;+CEREG?")
    assert answer == f"\r\n+CREG: 0,{creg}\r\n+CGREG: 0,{cgreg}\r\n+CEREG: 0,{cereg}\r\n\r\nOK\r\n"


def test_lte_only_is_attached_and_named(modem: Harness) -> None:
    modem.faults.registration = "lte_only"
    assert modem.at("AT+CGATT?") == "\r\n+CGATT: 1\r\n\r\nOK\r\n"
    assert modem.at("AT+COPS?") == '\r\n+COPS: 0,0,"FakeNet",7\r\n\r\nOK\r\n'
    assert modem.at("AT+CEREG=2;+CEREG?") == '\r\n+CEREG: 2,1,"1A2B","0001F3C4",7\r\n\r\nOK\r\n'


def test_operator_formats_and_signal(modem: Harness) -> None:
    modem.faults.signal_rssi = 99
    assert modem.at("AT+CSQ") == "\r\n+CSQ: 99,99\r\n\r\nOK\r\n"
    modem.at("AT+COPS=3,2")
    assert modem.at("AT+COPS?") == '\r\n+COPS: 0,2,"23415",0\r\n\r\nOK\r\n'
    modem.faults.registration = "none"
    assert modem.at("AT+COPS?;+CGATT?") == "\r\n+COPS: 0\r\n+CGATT: 0\r\n\r\nOK\r\n"


def test_identification(modem: Harness) -> None:
    answer = modem.at("AT+CGMI;+CGMM;+CGMR;+CGSN;+CIMI")
    assert (
        answer
        == "\r\nFakeModemCo\r\nFM-1\r\nFM-1.0.0\r\n490154203237518\r\n234150000000001\r\n\r\nOK\r\n"
    )


def test_pdu_send_delivers_and_counts_references_modulo_256(modem: Harness) -> None:
    modem.engine.state.next_reference = 255
    assert modem.send_pdu() == "\r\n+CMGS: 255\r\n\r\nOK\r\n"
    assert modem.send_pdu() == "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    submitted, reference = modem.delivered[1]
    assert (submitted.to, submitted.text, reference) == ("+447700900123", "Your code is 4821", 0)


def test_wrong_pdu_length_gives_304(modem: Harness) -> None:
    assert modem.send_pdu(length=27) == "\r\n+CMS ERROR: 304\r\n"
    assert modem.send_pdu(pdu="00GG") == "\r\n+CMS ERROR: 304\r\n"
    assert modem.delivered == []


def test_escape_aborts_the_prompt(modem: Harness) -> None:
    modem.at("AT+CMGS=28")
    assert modem.raw(PDU[:10].encode() + b"\x1b") == "\r\nOK\r\n"
    assert modem.at("AT") == "\r\nOK\r\n"
    assert modem.delivered == []


def test_text_mode_send_uses_csmp(modem: Harness) -> None:
    modem.at("AT+CMGF=1;+CSMP=17,11,0,0")
    assert modem.at('AT+CMGS="+32470123456"') == "\r\n> "
    assert modem.raw(b"line one\rline two\x1a").endswith("\r\n+CMGS: 1\r\n\r\nOK\r\n")
    [(submitted, _)] = modem.delivered
    assert (submitted.text, submitted.encoding, submitted.status_report_requested) == (
        "line one\nline two",
        "gsm7",
        False,
    )
    assert submitted.validity is not None and submitted.validity.total_seconds() == 3600


def test_text_mode_ucs2_charset(modem: Harness) -> None:
    modem.at('AT+CMGF=1;+CSCS="UCS2";+CSMP=17,167,0,8')
    number = "+7916".encode("utf-16-be").hex().upper()
    modem.at(f'AT+CMGS="{number}"')
    modem.raw("Ваш код".encode("utf-16-be").hex().encode() + b"\x1a")
    [(submitted, _)] = modem.delivered
    assert (submitted.to, submitted.text, submitted.encoding) == ("+7916", "Ваш код", "ucs2")


def test_pin_then_puk(modem: Harness) -> None:
    modem.faults.pin = "1234"
    assert modem.at("AT+CPIN?") == "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    assert modem.at("AT+CSCA?") == "\r\n+CME ERROR: 11\r\n"
    for _ in range(3):
        assert modem.at('AT+CPIN="0000"') == "\r\n+CME ERROR: 16\r\n"
    assert modem.at("AT+CPIN?") == "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
    assert modem.at('AT+CPIN="1234"') == "\r\n+CME ERROR: 12\r\n"
    assert modem.at("AT+CMGS=28") == "\r\n+CME ERROR: 12\r\n"
    assert modem.at('AT+CPIN="12345678","4321"') == "\r\nOK\r\n"
    assert modem.at("AT+CPIN?") == "\r\n+CPIN: READY\r\n\r\nOK\r\n"
    assert modem.faults.pin == "4321"


def test_puk_tries_run_out(modem: Harness) -> None:
    modem.faults.pin = "1234"
    for _ in range(3):
        modem.at('AT+CPIN="0000"')
    for _ in range(10):
        assert modem.at('AT+CPIN="00000000","1111"') == "\r\n+CME ERROR: 16\r\n"
    assert modem.at("AT+CPIN?") == "\r\n+CME ERROR: 13\r\n"


def test_sim_busy_after_pin(modem: Harness) -> None:
    modem.faults.pin = "1234"
    modem.faults.sim_busy_after_pin = 2.0
    assert modem.at('AT+CPIN="1234"') == "\r\nOK\r\n"
    assert modem.at("AT+CSCA?") == "\r\n+CME ERROR: 14\r\n"
    assert modem.at("AT+CSQ") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"  # does not touch the SIM
    modem.advance(2.0)
    assert modem.at("AT+CSCA?") == '\r\n+CSCA: "+447785016005",145\r\n\r\nOK\r\n'


def test_no_smsc_fails_sends_unless_the_pdu_carries_one(modem: Harness) -> None:
    modem.faults.smsc = None
    assert modem.send_pdu() == "\r\n+CMS ERROR: 330\r\n"
    gammu = "079144775810065011000C914477000910320000FF11D9775D0E1ABFC965507A0EA2E16431"
    assert modem.send_pdu(pdu=gammu, length=29) == "\r\n+CMGS: 1\r\n\r\nOK\r\n"
    assert modem.delivered[0][0].smsc == "+447785016005"


def test_not_registered_fails_sends_with_331(modem: Harness) -> None:
    modem.faults.registration = "searching"
    assert modem.send_pdu() == "\r\n+CMS ERROR: 331\r\n"


def test_send_errors_pop_one_per_send(modem: Harness) -> None:
    modem.faults.fail_next(42, times=2)
    assert modem.send_pdu() == "\r\n+CMS ERROR: 42\r\n"
    assert modem.send_pdu() == "\r\n+CMS ERROR: 42\r\n"
    assert modem.send_pdu() == "\r\n+CMGS: 1\r\n\r\nOK\r\n"
    assert len(modem.delivered) == 1


def test_send_delay_answers_late_and_holds_later_commands(modem: Harness) -> None:
    modem.faults.send_delay = 37.0
    assert modem.send_pdu() == ""
    assert modem.engine.next_deadline() == 37.0
    assert modem.at("AT+CSQ") == ""  # held: the modem is busy with the send
    assert modem.advance(36.0) == ""
    assert modem.delivered == []
    late = modem.advance(1.0)
    assert late == "\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    assert len(modem.delivered) == 1


def test_delayed_error_arrives_late(modem: Harness) -> None:
    modem.faults.send_delay = 1.0
    modem.faults.fail_next(38)
    assert modem.send_pdu() == ""
    assert modem.advance(1.0) == "\r\n+CMS ERROR: 38\r\n"


def test_prompt_without_space(modem: Harness) -> None:
    modem.faults.prompt_without_space = True
    assert modem.at("AT+CMGS=28") == "\r\n>\r\n"


def test_cmgs_with_scts(modem: Harness) -> None:
    modem.faults.cmgs_with_scts = True
    assert modem.send_pdu() == '\r\n+CMGS: 1,"26/11/28,18:00:00+00"\r\n\r\nOK\r\n'


def test_urc_during_send_points_at_a_readable_status_report(modem: Harness) -> None:
    modem.faults.urc_during_send = True
    assert modem.send_pdu() == '\r\n+CDSI: "SR",1\r\n\r\n+CMGS: 1\r\n\r\nOK\r\n'
    modem.at('AT+CPMS="SR"')
    answer = modem.at("AT+CMGR=1").split("\r\n")
    assert answer[1] == "+CMGR: 0,,25"
    report = decodeSmsPdu(answer[2])  # an independent decoder reads our report
    assert (report["type"], report["reference"], report["number"], report["status"]) == (
        "SMS-STATUS-REPORT",
        1,
        "+447700900123",
        0,
    )
    assert modem.at("AT+CMGD=1,0;+CMGR=1") == "\r\n+CMS ERROR: 321\r\n"


def test_status_reports_follow_cnmi_ds(modem: Harness) -> None:
    modem.faults.status_reports = True
    modem.at("AT+CNMI=2,1,0,1,0")
    answer = modem.send_pdu()
    assert answer.startswith("\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CDS: 25\r\n00")
    modem.at("AT+CNMI=2,1,0,0,0")
    assert modem.send_pdu() == "\r\n+CMGS: 2\r\n\r\nOK\r\n"


def test_mute_answers_nothing_but_records(modem: Harness) -> None:
    modem.faults.mute = True
    assert modem.at("AT+CSQ") == ""
    assert modem.at("AT+CMGS=28") == ""
    assert modem.engine.commands[-2:] == ["AT+CSQ", "AT+CMGS=28"]


def test_reset_sends_boot_urcs_and_forgets_settings(modem: Harness) -> None:
    modem.at("AT+CMGF=1;+CNMI=2,1,0,2,0")
    modem.out.clear()
    modem.engine.reset()
    assert modem.out.decode() == "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n"
    assert modem.at("AT+CMGF?") == "AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n"  # echo is back
    assert modem.at("AT+CNMI?;+CSCS?;+BAD").endswith("\r\nERROR\r\n")  # CMEE=0 again


def test_reset_asks_for_the_pin_again(modem: Harness) -> None:
    modem.faults.pin = "1234"
    modem.at('AT+CPIN="1234"')
    modem.out.clear()
    modem.engine.reset()
    assert "+CPIN: SIM PIN" in modem.out.decode()


def test_reset_during_a_send_delivers_it_without_an_answer(modem: Harness) -> None:
    modem.faults.send_delay = 5.0
    modem.send_pdu()
    modem.engine.reset()
    assert len(modem.delivered) == 1
    assert modem.advance(10.0) == ""  # the late answer died with the reboot

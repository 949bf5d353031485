"""The loopback modem's field behaviours, as python-gsmmodem's recorded dialogues show them.

Driven in-process with an injected clock, like ``test_fake_engine``.
"""

from __future__ import annotations

from test_fake_engine import Harness

from gateway.fake import Faults
from gateway.fake.faults import STATUS_URCS


def test_radio_off_at_boot_until_cfun_1() -> None:
    modem = Harness(Faults(cfun_at_boot=0)).quiet()
    assert modem.at("AT+CFUN?") == "\r\n+CFUN: 0\r\n\r\nOK\r\n"
    assert modem.at("AT+CREG?") == "\r\n+CREG: 0,0\r\n\r\nOK\r\n"
    assert modem.at("AT+CFUN=1") == "\r\nOK\r\n"
    assert modem.at("AT+CREG?") == "\r\n+CREG: 0,1\r\n\r\nOK\r\n"
    modem.engine.reset(announce=False)
    assert "+CFUN: 0" in modem.at("AT+CFUN?")  # off again after a reboot (echo back on)


def test_sim_busy_for_a_while_after_radio_on() -> None:
    modem = Harness(Faults(cfun_at_boot=4, sim_busy_after_radio_on=2.0)).quiet()
    assert modem.at("AT+CSCA?").startswith('\r\n+CSCA: "+')  # radio off: the SIM answers
    modem.at("AT+CFUN=1")
    assert modem.at("AT+CSCA?") == "\r\n+CME ERROR: 14\r\n"
    modem.time += 2.0
    assert modem.at("AT+CSCA?").startswith('\r\n+CSCA: "+')


def test_cpin_without_ok() -> None:
    modem = Harness(Faults(cpin_without_ok=True)).quiet()
    assert modem.at("AT+CPIN?") == "\r\n+CPIN: READY\r\n"
    assert modem.at("AT") == "\r\nOK\r\n"


def test_cpin_late_ok_comes_before_the_next_answer() -> None:
    modem = Harness(Faults(cpin_late_ok=True)).quiet()
    assert modem.at("AT+CPIN?") == "\r\n+CPIN: READY\r\n"
    assert modem.at("AT+CSQ") == "\r\nOK\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n"


def test_csmp_wipes_the_sms_centre() -> None:
    modem = Harness(Faults(csmp_wipes_smsc=True)).quiet()
    assert modem.at("AT+CSMP=17,167,0,0") == "\r\nOK\r\n"
    assert modem.at("AT+CSCA?") == '\r\n+CSCA: "+",145\r\n\r\nOK\r\n'
    assert modem.send_pdu() == "\r\n+CMS ERROR: 330\r\n"  # a PDU without its own centre


def test_status_urcs_before_the_prompt_and_before_cmgs() -> None:
    modem = Harness(Faults(status_urcs_in_send=True)).quiet()
    urcs = "".join(f"\r\n{line}\r\n" for line in STATUS_URCS)
    assert modem.at("AT+CMGS=28") == urcs + "\r\n> "
    assert modem.raw(b"0021000C91447700091032000011D9775D0E1ABFC965507A0EA2E16431\x1a") == (
        urcs + "\r\n+CMGS: 1\r\n\r\nOK\r\n"
    )


def test_atz_answers_error_until_the_pin_is_given() -> None:
    modem = Harness(Faults(pin="1234", atz_error_before_pin=True))
    assert modem.at("ATZ").endswith("\r\nERROR\r\n")
    modem.at('AT+CPIN="1234"')
    assert modem.at("ATZ").endswith("\r\nOK\r\n")

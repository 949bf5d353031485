"""The loopback modem's SIM storage and field behaviours of round two, at the AT level:
received SMS (``+CMTI``, ``AT+CMGL``, ``AT+CMGR``, ``AT+CMGD``, ``AT+CPMS``), a full storage,
an SMS arriving inside ``AT+CMGS``, and autobauding; and the gateway's reading of that storage
(:func:`gateway.incoming.read_received`), long replies put together."""

from __future__ import annotations

from gsmmodem.pdu import decodeSmsPdu
from test_fake_engine import NOW, PDU, Harness

from gateway.fake import Faults
from gateway.fake.incoming import Received
from gateway.fake.state import STORAGE_SIZE
from gateway.incoming import read_received
from gateway.status_report import ReportLines

USER = "+32470555666"


def test_a_received_sms_is_announced_listed_read_and_deleted() -> None:
    modem = Harness().quiet()
    modem.at("AT+CNMI=2,1,0,0,0")
    modem.out.clear()
    modem.engine.receive(Received(USER, "STOP — ważne", NOW))
    assert modem.out.decode() == '\r\n+CMTI: "SM",1\r\n'
    assert modem.at("AT+CPMS?") == '\r\n+CPMS: "ME",1,50,"ME",1,50,"ME",1,50\r\n\r\nOK\r\n'
    header, pdu = modem.at("AT+CMGL=4").split("\r\n")[1:3]
    assert header.startswith("+CMGL: 1,0,,")
    decoded = decodeSmsPdu(pdu)
    assert (decoded["type"], decoded["number"], decoded["text"]) == (
        "SMS-DELIVER",
        USER,
        "STOP — ważne",
    )
    assert modem.at("AT+CMGR=1").startswith("\r\n+CMGR: 1,,")  # listed once: now read
    assert modem.at("AT+CMGL=0").endswith("\r\nOK\r\n")  # no unread message left
    assert "+CMGL" not in modem.at("AT+CMGL=0")
    modem.at("AT+CMGD=1")
    assert modem.at("AT+CMGR=1") == "\r\n+CMS ERROR: 321\r\n"


def test_without_cnmi_a_received_sms_is_stored_silently() -> None:
    modem = Harness().quiet()
    modem.out.clear()
    assert modem.engine.receive(Received(USER, "?", NOW)) == 1
    assert modem.out == b""


def test_a_full_storage_refuses_sends_until_messages_are_deleted() -> None:
    modem = Harness(Faults(storage_full=True)).quiet()
    assert modem.at("AT+CMGS=28") == "\r\n+CMS ERROR: 322\r\n"
    assert modem.engine.receive(Received(USER, "lost", NOW)) is None
    assert modem.at("AT+CMGD=1,4").endswith("OK\r\n")
    assert f",0,{STORAGE_SIZE}" in modem.at("AT+CPMS?")
    assert modem.send_pdu(PDU).startswith("\r\n+CMGS: ")


def test_an_sms_can_arrive_inside_a_send() -> None:
    modem = Harness(Faults(cmti_during_send=True)).quiet()
    modem.at("AT+CNMI=2,1,0,0,0")
    answer = modem.send_pdu(PDU)
    assert answer.index('+CMTI: "SM",1') < answer.index("+CMGS: ")


def test_an_autobauding_modem_loses_its_first_lines_then_boots() -> None:
    modem = Harness(Faults(autobaud=2))
    assert modem.at("AT") == ""  # no echo, no answer
    assert modem.at("AT") == ""
    answer = modem.at("AT")
    assert answer.startswith("AT\r\r\nOK\r\n")
    assert "+CPIN: READY" in answer and "SMS Ready" in answer and "RDY" not in answer
    assert modem.at("AT") == "AT\r\r\nOK\r\n"  # once
    modem.out.clear()
    modem.engine.reset()  # power cycle: the rate is lost again, and no boot line is printed
    assert modem.out == b"" and modem.at("AT") == ""


def test_a_long_sms_arrives_as_segments_the_gateway_puts_together() -> None:
    modem = Harness().quiet()
    modem.at("AT+CNMI=2,1,0,0,0")
    modem.out.clear()
    long_reply = "Proszę nie wysyłać mi więcej kodów, już nie pracuję w tej firmie. " * 2
    assert modem.engine.receive(Received(USER, long_reply, NOW)) == 2
    assert modem.out.decode().count("+CMTI:") == 2
    modem.engine.receive(Received(USER, "?", NOW))

    def run(command: str) -> list[str]:
        lines = modem.at(command).split("\r\n")
        assert lines[-2] == "OK", (command, lines)
        return [line for line in lines[:-2] if line]

    received, storage = read_received(run, ReportLines())
    assert sorted((m.text, m.segments, m.sender) for m in received) == [
        ("?", 1, USER),
        (long_reply, 2, USER),
    ]
    assert storage is not None and storage.used == 0

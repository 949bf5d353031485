"""python-gsmmodem-new's GsmModem connects to the loopback modem and sends through it."""

from __future__ import annotations

from gsmmodem.modem import GsmModem

from gateway.fake import FakeModem


def test_gsmmodem_connects_and_sends_pdu_and_ucs2(fake_modem: FakeModem) -> None:
    modem = GsmModem(fake_modem.device)
    modem.timeout = 0.05  # serial read timeout of its reader thread, joined by close()
    modem.connect()
    try:
        first = modem.sendSms("+447700900123", "Your code is 4821")
        second = modem.sendSms("+79161234567", "Ваш код 4821")
    finally:
        modem.close()
    assert (first.reference, second.reference) == (1, 2)
    messages = fake_modem.inbox.messages()
    assert [(m.to, m.text, m.encoding) for m in messages] == [
        ("+447700900123", "Your code is 4821", "gsm7"),
        ("+79161234567", "Ваш код 4821", "ucs2"),
    ]
    assert all(m.status_report_requested and m.validity is None for m in messages)


def test_gsmmodem_sends_in_text_mode(fake_modem: FakeModem) -> None:
    modem = GsmModem(fake_modem.device)
    modem.timeout = 0.05  # serial read timeout of its reader thread, joined by close()
    modem.smsTextMode = True
    modem.connect()
    try:
        sent = modem.sendSms("+447700900123", "Your code is 1234")
    finally:
        modem.close()
    [message] = fake_modem.inbox.wait_for(1, timeout=5)
    assert (message.to, message.text, message.reference) == (
        "+447700900123",
        "Your code is 1234",
        sent.reference,
    )
    assert "AT+CMGF=1" in fake_modem.commands

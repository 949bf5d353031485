"""An independent AT client, python-gammu (libGammu), drives the loopback modem.

Gammu probes far more than python-gsmmodem-new (echo on, ``AT+CREG=2`` with cell info,
``AT+COPS=3,2``, the SMSC copied into the PDU), so it checks the fake's AT grammar against a
widely deployed implementation. Its ``Init`` alone takes about 5 s: one test does it all.
"""

from __future__ import annotations

import pytest

from gateway.fake import FakeModem

gammu = pytest.importorskip("gammu")

pytestmark = pytest.mark.gammu


def test_gammu_identifies_and_sends_through_the_fake(fake_modem: FakeModem) -> None:
    machine = gammu.StateMachine()
    machine.SetConfig(0, {"Device": fake_modem.device, "Connection": "at", "LockDevice": False})
    machine.Init()
    try:
        assert machine.GetManufacturer() == "FakeModemCo"
        assert machine.GetIMEI() == "490154203237518"
        network = machine.GetNetworkInfo()
        assert (network["NetworkName"], network["State"], network["LAC"]) == (
            "FakeNet",
            "HomeNetwork",
            "1A2B",
        )
        first = machine.SendSMS(
            {"Text": "Your code is 4821", "SMSC": {"Location": 1}, "Number": "+447700900123"}
        )
        machine.SendSMS(
            {
                "Text": "Ваш код 4821",
                "SMSC": {"Location": 1},
                "Number": "+79161234567",
                "Coding": "Unicode_No_Compression",
            }
        )
        fake_modem.faults.fail_next(42)
        with pytest.raises(gammu.GSMError):
            machine.SendSMS({"Text": "lost", "SMSC": {"Location": 1}, "Number": "+32470123456"})
    finally:
        machine.Terminate()
    messages = fake_modem.inbox.messages()
    assert [(m.to, m.text, m.encoding) for m in messages] == [
        ("+447700900123", "Your code is 4821", "gsm7"),
        ("+79161234567", "Ваш код 4821", "ucs2"),
    ]
    assert messages[0].reference == first
    assert "ATE1" in fake_modem.commands and "AT+CREG=2" in fake_modem.commands

"""python-gsmmodem-new's GsmModem against the loopback modem: each fault as the library sees it.

Several tests pin down a library defect the gateway must survive (see the issue): the fake has
to reproduce it faithfully.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from gsmmodem.exceptions import (
    CmsError,
    CommandError,
    IncorrectPinError,
    InvalidStateException,
    PinRequiredError,
    PukRequiredError,
    SmscNumberUnknownError,
    TimeoutException,
)
from gsmmodem.modem import GsmModem, SentSms

from gateway.fake import FakeModem

NUMBER = "+447700900123"


@contextmanager
def connected(fake: FakeModem, pin: str | None = None, **options: object) -> Iterator[GsmModem]:
    modem = GsmModem(fake.device, **options)
    modem.timeout = 0.05  # the reader's serial read timeout: close() joins it (default 1 s)
    try:
        modem.connect(pin)
        yield modem
    finally:
        modem.close()


def _pin_commands(fake: FakeModem) -> list[str]:
    return [c for c in fake.commands if c.startswith("AT+CPIN=")]


def test_ucs2_cyrillic_is_decoded_by_our_decoder(fake_modem: FakeModem) -> None:
    with connected(fake_modem) as modem:
        modem.sendSms("+79161234567", "Ваш код: 4821. Никому не сообщайте.")
    [message] = fake_modem.inbox.messages()
    assert (message.text, message.encoding) == ("Ваш код: 4821. Никому не сообщайте.", "ucs2")


def test_pin_required_and_not_given(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    with pytest.raises(PinRequiredError), connected(fake_modem):
        pass
    assert _pin_commands(fake_modem) == []


def test_wrong_pin_is_sent_once_per_connect(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    with pytest.raises(IncorrectPinError), connected(fake_modem, pin="0000"):
        pass
    assert _pin_commands(fake_modem) == ['AT+CPIN="0000"']


def test_three_wrong_pins_lock_the_sim(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    for _ in range(3):  # the naive supervisor loop the gateway must never be
        with pytest.raises(IncorrectPinError), connected(fake_modem, pin="0000"):
            pass
    with pytest.raises(PukRequiredError), connected(fake_modem, pin="1234"):
        pass


def test_right_pin_with_a_busy_sim_connects(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    fake_modem.faults.sim_busy_after_pin = 0.3  # gsmmodem retries CME 14 every 0.2 s
    with connected(fake_modem, pin="1234") as modem:
        sent = modem.sendSms(NUMBER, "Your code is 4821")
    assert sent.reference == 1
    assert _pin_commands(fake_modem) == ['AT+CPIN="1234"']


def test_no_smsc(fake_modem: FakeModem) -> None:
    fake_modem.faults.smsc = None
    with connected(fake_modem) as modem, pytest.raises(SmscNumberUnknownError):
        modem.sendSms(NUMBER, "Your code is 4821")
    assert fake_modem.inbox.messages() == []


def test_cms_errors_for_the_next_sends(fake_modem: FakeModem) -> None:
    fake_modem.faults.fail_next(42, times=2)
    with connected(fake_modem) as modem:
        codes = []
        for _ in range(2):
            with pytest.raises(CmsError) as caught:
                modem.sendSms(NUMBER, "Your code is 4821")
            codes.append(caught.value.code)
        modem.sendSms(NUMBER, "Your code is 4821")
    assert codes == [42, 42]
    assert len(fake_modem.inbox.messages()) == 1


def test_cmgs_with_scts_breaks_gsmmodem_after_delivery(fake_modem: FakeModem) -> None:
    fake_modem.faults.cmgs_with_scts = True
    with connected(fake_modem) as modem, pytest.raises(ValueError):
        modem.sendSms(NUMBER, "Your code is 4821")
    assert len(fake_modem.inbox.messages()) == 1  # sent all the same


def test_lte_only_registration_confuses_gsmmodem(fake_modem: FakeModem) -> None:
    fake_modem.faults.registration = "lte_only"
    with connected(fake_modem) as modem, pytest.raises(InvalidStateException):
        modem.waitForNetworkCoverage(timeout=2)


def test_mute_modem_times_out(fake_modem: FakeModem) -> None:
    with connected(fake_modem) as modem:
        fake_modem.faults.mute = True
        with pytest.raises(TimeoutException):
            modem.write("AT+CSQ", timeout=0.3)
    assert fake_modem.commands[-1] == "AT+CSQ"


def test_delivery_reports_reach_gsmmodem(fake_modem: FakeModem) -> None:
    fake_modem.faults.status_reports = True
    with connected(fake_modem) as modem:
        sent = modem.sendSms(
            NUMBER, "Your code is 4821", waitForDeliveryReport=True, deliveryTimeout=5
        )
    assert sent.status == SentSms.DELIVERED
    assert 'AT+CPMS="SR"' in fake_modem.commands


def test_reset_breaks_text_mode_but_not_pdu_mode(fake_modem: FakeModem) -> None:
    with connected(fake_modem) as modem:
        modem.sendSms(NUMBER, "Your code is 4821")  # caches AT+CSCS=?, which echo would break
        fake_modem.reset()
        modem.write("AT", timeout=2)  # boot lines arrive as notifications
        assert modem.sendSms(NUMBER, "Your code is 4821").reference == 2  # echo tolerated
    with connected(fake_modem) as modem:
        modem.smsTextMode = True
        fake_modem.reset()
        with pytest.raises(CommandError):
            modem.sendSms(NUMBER, "Your code is 1234")  # the modem is back in PDU mode


def test_unplug_reaches_the_fatal_error_callback(fake_modem: FakeModem) -> None:
    errors: list[Exception] = []
    with connected(fake_modem) as modem:
        modem.fatalErrorCallback = errors.append
        fake_modem.unplug()
        modem.rxThread.join(timeout=5)
    assert len(errors) == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_non_utf8_byte_kills_gsmmodems_reader(fake_modem: FakeModem) -> None:
    with connected(fake_modem) as modem:
        fake_modem.send_urc(b'+CUSD: 0,"caf\xe9"')
        modem.rxThread.join(timeout=5)
        assert not modem.rxThread.is_alive()
        assert modem.alive  # nobody noticed

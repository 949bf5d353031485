"""Our modem driver against the loopback modem over a pty: opening, the SIM, the network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from gateway import sim
from gateway.errors import (
    ModemError,
    ModemNotRespondingError,
    NoNetworkError,
    NoSmsCentreError,
    PinRequiredError,
    PortUnavailableError,
    SimBusyError,
    SimLockedError,
    WrongPinError,
)
from gateway.fake import FakeModem
from gateway.modem import Modem, ModemHealth, ModemSettings

# Generous for success paths on a busy machine; failure paths set their own short waits.
FAST = ModemSettings(
    command_timeout=3.0,
    registration_timeout=0.3,
    send_timeout=3.0,
    sim_ready_timeout=3.0,
    poll_interval=0.05,
)
NUMBER = "+32470123456"


@pytest.fixture(autouse=True)
def _forget_pins() -> Iterator[None]:
    # A refused PIN is remembered per device path, and pty paths are reused between tests.
    sim.forget_refused_pins()
    yield
    sim.forget_refused_pins()


def pin_attempts(fake: FakeModem) -> int:
    return sum(command.upper().startswith("AT+CPIN=") for command in fake.commands)


def test_open_reads_the_sms_centre_and_sends(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        assert modem.smsc == "+447785016005"
        reference = modem.send(NUMBER, "Your code is 1234")
    [message] = fake_modem.inbox.messages()
    assert (message.to, message.text, message.encoding) == (NUMBER, "Your code is 1234", "gsm7")
    assert message.reference == reference


def test_validity_is_the_code_lifetime_and_no_report_is_asked(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, "default")
        modem.send(NUMBER, "override", validity=timedelta(minutes=10))
    default, override = fake_modem.inbox.messages()
    assert default.validity == timedelta(minutes=5)
    assert override.validity == timedelta(minutes=10)
    assert not default.status_report_requested and not override.status_report_requested


def test_delivery_report_only_when_asked(fake_modem: FakeModem) -> None:
    settings = replace(FAST, delivery_report=True, validity=None)
    with Modem(fake_modem.device, settings=settings) as modem:
        modem.send(NUMBER, "report please")
    [message] = fake_modem.inbox.messages()
    assert message.status_report_requested
    assert message.validity is None


def test_cyrillic_goes_as_ucs2(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, "Ваш код: 1234")
    [message] = fake_modem.inbox.messages()
    assert (message.text, message.encoding) == ("Ваш код: 1234", "ucs2")


def test_health(fake_modem: FakeModem) -> None:
    fake_modem.faults.signal_rssi = 21
    with Modem(fake_modem.device, settings=FAST) as modem:
        health = modem.health()
        fake_modem.faults.signal_rssi = 99
        unknown_signal = modem.health().signal_dbm
    assert health == ModemHealth(
        signal_dbm=-71, registration="home", operator="FakeNet", sim="ready"
    )
    assert health.registered
    assert unknown_signal is None


def test_health_without_service_shows_what_is_missing(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    modem = Modem(fake_modem.device, settings=FAST)
    modem.open(wait_for_service=False)
    try:
        health = modem.health()
    finally:
        modem.close()
    assert health.sim == "PIN required"
    assert pin_attempts(fake_modem) == 0


def test_send_after_a_light_open_finishes_the_set_up(fake_modem: FakeModem) -> None:
    modem = Modem(fake_modem.device, settings=FAST)
    modem.open(wait_for_service=False)
    try:
        assert modem.smsc is None
        assert modem.send(NUMBER, "set up on the way") == 1
        assert modem.smsc == "+447785016005"
    finally:
        modem.close()


def test_pin_unlocks_the_sim(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    with Modem(fake_modem.device, pin="1234", settings=FAST) as modem:
        modem.send(NUMBER, "after PIN")
    assert pin_attempts(fake_modem) == 1
    assert len(fake_modem.inbox.messages()) == 1


def test_pin_required_but_not_given(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    with pytest.raises(PinRequiredError):
        Modem(fake_modem.device, settings=FAST).open()
    assert pin_attempts(fake_modem) == 0


def test_wrong_pin_is_tried_once_and_never_again(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    for _ in range(3):  # a supervisor reopening the modem must not lock the SIM
        with pytest.raises(WrongPinError):
            Modem(fake_modem.device, pin="0000", settings=FAST).open()
    assert pin_attempts(fake_modem) == 1
    with Modem(fake_modem.device, pin="1234", settings=FAST) as modem:  # not PUK-locked
        modem.send(NUMBER, "right PIN")


def test_malformed_pin_never_reaches_the_sim() -> None:
    with pytest.raises(ValueError, match="4 to 8 digits"):
        Modem("/dev/null", pin="12ab")


def test_puk_locked_sim_gets_no_pin(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    for _ in range(3):  # three wrong PINs, each from a process that knew no better
        sim.forget_refused_pins()
        with pytest.raises((WrongPinError, SimLockedError)):
            Modem(fake_modem.device, pin="0000", settings=FAST).open()
    with pytest.raises(SimLockedError, match="PUK"):
        Modem(fake_modem.device, pin="1234", settings=FAST).open()
    assert pin_attempts(fake_modem) == 3


def test_sim_busy_after_the_pin_is_waited_out(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    fake_modem.faults.sim_busy_after_pin = 0.5
    with Modem(fake_modem.device, pin="1234", settings=FAST) as modem:
        modem.send(NUMBER, "after a busy SIM")
    assert pin_attempts(fake_modem) == 1


def test_sim_busy_for_too_long(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    fake_modem.faults.sim_busy_after_pin = 30.0
    settings = replace(FAST, sim_ready_timeout=0.3)
    with pytest.raises(SimBusyError):
        Modem(fake_modem.device, pin="1234", settings=settings).open()
    assert pin_attempts(fake_modem) == 1


@pytest.mark.parametrize(
    ("registration", "described"),
    [("none", "not registered"), ("searching", "searching"), ("denied", "denied")],
)
def test_no_network_in_time(fake_modem: FakeModem, registration: str, described: str) -> None:
    fake_modem.faults.registration = registration
    with pytest.raises(NoNetworkError, match=rf"after 0\.3 s \(registration: {described}\)"):
        Modem(fake_modem.device, settings=FAST).open()


@pytest.mark.parametrize(
    ("registration", "described"),
    [("lte_only", "home"), ("sms_only", "home (SMS only)"), ("roaming", "roaming")],
)
def test_registered_on_any_domain(fake_modem: FakeModem, registration: str, described: str) -> None:
    fake_modem.faults.registration = registration
    with Modem(fake_modem.device, settings=FAST) as modem:
        assert modem.health().registration == described
        modem.send(NUMBER, "over LTE")


def test_network_that_comes_late_is_waited_for(fake_modem: FakeModem) -> None:
    fake_modem.faults.registration = "searching"
    settings = replace(FAST, registration_timeout=5.0)
    timer = threading.Timer(0.3, lambda: setattr(fake_modem.faults, "registration", "home"))
    timer.start()
    try:
        with Modem(fake_modem.device, settings=settings) as modem:
            assert modem.health().registered
    finally:
        timer.cancel()


def test_no_sms_centre(fake_modem: FakeModem) -> None:
    fake_modem.faults.smsc = None
    with pytest.raises(NoSmsCentreError):
        Modem(fake_modem.device, settings=FAST).open()


def test_configured_sms_centre_fills_a_missing_one(fake_modem: FakeModem) -> None:
    fake_modem.faults.smsc = None
    settings = replace(FAST, smsc="+32475161616")
    with Modem(fake_modem.device, settings=settings) as modem:
        assert modem.smsc == "+32475161616"
        modem.send(NUMBER, "via the configured centre")


def test_missing_port() -> None:
    with pytest.raises(PortUnavailableError, match="no serial device"):
        Modem("/dev/t2m2fa-no-such-port", settings=FAST).open()


def test_port_held_by_another_modem_is_busy(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        with pytest.raises(PortUnavailableError, match="in use"):
            Modem(fake_modem.device, settings=FAST).open()
        modem.send(NUMBER, "still ours")


def test_mute_modem_is_not_responding(fake_modem: FakeModem) -> None:
    fake_modem.faults.mute = True
    settings = replace(FAST, command_timeout=0.3)
    with pytest.raises(ModemNotRespondingError):
        Modem(fake_modem.device, settings=settings).open()


def test_closed_modem_refuses_work(fake_modem: FakeModem) -> None:
    modem = Modem(fake_modem.device, settings=FAST)
    modem.open()
    modem.close()
    modem.close()
    with pytest.raises(ModemError, match="not open"):
        modem.send(NUMBER, "closed")


def test_two_threads_at_once_are_refused(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem._in_use.acquire()  # another thread is mid-send
        try:
            with pytest.raises(RuntimeError, match="one thread"):
                modem.health()
        finally:
            modem._in_use.release()

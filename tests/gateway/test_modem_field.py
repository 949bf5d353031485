"""Our modem driver against modems as they behave in the field, emulated by the loopback modem.

Each behaviour was reported by python-gsmmodem or Gammu users (see ``gateway.fake.faults``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import serial
from click.testing import CliRunner

from gateway import sim
from gateway.cli import main
from gateway.errors import NoSmsCentreError
from gateway.fake import FakeModem, Faults
from gateway.fake.faults import DEFAULT_SMSC
from gateway.modem import Modem, ModemSettings

FAST = ModemSettings(
    command_timeout=3.0,
    registration_timeout=3.0,
    send_timeout=3.0,
    sim_ready_timeout=5.0,
    poll_interval=0.05,
)
NUMBER = "+32470123456"

Starter = Callable[..., FakeModem]


@pytest.fixture(autouse=True)
def _forget_pins() -> Iterator[None]:
    sim.forget_refused_pins()
    yield
    sim.forget_refused_pins()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Starter]:
    """Start a loopback modem with the given faults: ``start(cfun_at_boot=0)``."""
    started: list[FakeModem] = []

    def starter(**faults: Any) -> FakeModem:
        fake = FakeModem(tmp_path / f"fake{len(started)}", Faults(**faults))
        fake.start()
        started.append(fake)
        return fake

    yield starter
    for fake in started:
        fake.stop()


def count(fake: FakeModem, command: str) -> int:
    return sum(c.upper() == command for c in fake.commands)


@pytest.mark.parametrize("level", [0, 4])
def test_radio_off_at_power_up_is_switched_on(start: Starter, level: int) -> None:
    fake = start(cfun_at_boot=level)
    with Modem(fake.device, settings=FAST) as modem:
        assert modem.send(NUMBER, "radio on") == 1
    assert count(fake, "AT+CFUN=1") == 1
    assert not any(c.upper().startswith("AT+CFUN=1,") for c in fake.commands)  # never a reset


def test_radio_already_on_is_left_alone(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, "hello")
    assert not any(c.upper().startswith("AT+CFUN=") for c in fake_modem.commands)


def test_status_says_radio_off_and_does_not_switch_it_on(start: Starter) -> None:
    fake = start(cfun_at_boot=0)
    result = CliRunner().invoke(main, ["status", "--port", fake.device])
    assert result.exit_code == 0, result.stderr
    assert "registration: radio off" in result.stdout.splitlines()
    assert count(fake, "AT+CFUN=1") == 0


def test_sim_busy_on_the_first_csca_after_radio_on_is_waited_out(start: Starter) -> None:
    fake = start(cfun_at_boot=0, sim_busy_after_radio_on=0.3)
    with Modem(fake.device, settings=FAST) as modem:
        assert modem.smsc == DEFAULT_SMSC
        modem.send(NUMBER, "after a busy SIM")
    assert count(fake, "AT+CSCA?") >= 2  # asked again after +CME ERROR: 14


@pytest.mark.parametrize("fault", ["cpin_without_ok", "cpin_late_ok"])
def test_cpin_answer_without_its_ok(start: Starter, fault: str) -> None:
    fake = start(**{fault: True, "pin": "4321"})
    with Modem(fake.device, pin="4321", settings=FAST) as modem:
        assert modem.smsc == DEFAULT_SMSC  # the next answers were not shifted by a late OK
        assert modem.send(NUMBER, "no OK after +CPIN") == 1
        health = modem.health()
        assert (health.sim, health.registration) == ("ready", "home")
        assert modem.send(NUMBER, "still in step") == 2
    assert [m.text for m in fake.inbox.messages()] == ["no OK after +CPIN", "still in step"]


def _other_tool_sets_csmp(device: str) -> None:
    """What python-gsmmodem or Gammu in text mode send before our gateway gets the port."""
    with serial.Serial(device, timeout=0.5) as port:
        port.write(b"AT+CSMP=17,167,0,0\r")
        assert b"OK" in port.read_until(b"OK\r\n")


def test_sms_centre_wiped_by_csmp_is_set_again_from_settings(start: Starter) -> None:
    fake = start(csmp_wipes_smsc=True)
    _other_tool_sets_csmp(fake.device)
    settings = replace(FAST, smsc="+32475161616")
    with Modem(fake.device, settings=settings) as modem:
        assert modem.smsc == "+32475161616"
        assert modem.send(NUMBER, "through the restored centre") == 1
    assert fake.faults.smsc == "+32475161616"


def test_sms_centre_wiped_and_none_configured_is_a_clear_error(start: Starter) -> None:
    fake = start(csmp_wipes_smsc=True)
    _other_tool_sets_csmp(fake.device)
    with pytest.raises(NoSmsCentreError):
        Modem(fake.device, settings=FAST).open()


def test_sms_centre_lost_at_a_reset_is_restored(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, "before")
        fake_modem.faults.smsc = "+"  # power cycle on a modem that keeps no SMS centre
        fake_modem.reset()
        assert modem.send(NUMBER, "after") == 2
        assert modem.smsc == DEFAULT_SMSC
    assert fake_modem.faults.smsc == DEFAULT_SMSC


def test_status_urcs_around_the_prompt_and_the_reference(start: Starter) -> None:
    fake = start(status_urcs_in_send=True)
    with Modem(fake.device, settings=FAST) as modem:
        references = [modem.send(NUMBER, f"code {i}") for i in range(5)]
        assert modem.health().registration == "home"
    assert references == [1, 2, 3, 4, 5]
    assert count(fake, "ATE0") == 1  # ^BOOT and +CIEV are not taken for a reset


def test_atz_error_before_the_pin_does_not_stop_the_set_up(start: Starter) -> None:
    fake = start(pin="4321", atz_error_before_pin=True)
    with Modem(fake.device, pin="4321", settings=FAST) as modem:
        assert modem.send(NUMBER, "unlocked") == 1

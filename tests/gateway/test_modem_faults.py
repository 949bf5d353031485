"""Our modem driver surviving each python-gsmmodem-new defect, against the loopback modem.

Also: temporary, permanent and unknown outcomes of a send.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from gateway import sim
from gateway.errors import ModemDisconnectedError, ModemNotRespondingError, Outcome, SendError
from gateway.fake import FakeModem
from gateway.modem import Modem, ModemSettings

FAST = ModemSettings(
    command_timeout=3.0,
    registration_timeout=0.3,
    send_timeout=3.0,
    sim_ready_timeout=3.0,
    poll_interval=0.05,
)
NUMBER = "+32470123456"


@pytest.fixture
def modem(fake_modem: FakeModem) -> Iterator[Modem]:
    with Modem(fake_modem.device, settings=FAST) as opened:
        yield opened


@pytest.fixture(autouse=True)
def _forget_pins() -> Iterator[None]:
    sim.forget_refused_pins()
    yield
    sim.forget_refused_pins()


@pytest.mark.parametrize(
    ("code", "outcome"),
    [(38, Outcome.TEMPORARY), (42, Outcome.TEMPORARY), (500, Outcome.TEMPORARY),
     (1, Outcome.PERMANENT), (10, Outcome.PERMANENT), (330, Outcome.PERMANENT)],
)  # fmt: skip
def test_cms_errors_keep_their_code_and_outcome(
    fake_modem: FakeModem, modem: Modem, code: int, outcome: Outcome
) -> None:
    fake_modem.faults.fail_next(code)
    with pytest.raises(SendError) as caught:
        modem.send(NUMBER, "refused")
    assert (caught.value.cms_code, caught.value.outcome) == (code, outcome)
    modem.send(NUMBER, "the modem is still usable")
    assert [m.text for m in fake_modem.inbox.messages()] == ["the modem is still usable"]


def test_send_timeout_is_unknown_and_the_late_answer_is_not_the_next_ones(
    fake_modem: FakeModem,
) -> None:
    fake_modem.faults.send_delay = 1.5
    settings = replace(FAST, send_timeout=0.3)
    with Modem(fake_modem.device, settings=settings) as modem:
        with pytest.raises(SendError) as caught:  # had it waited, it would have got +CMGS: 1
            modem.send(NUMBER, "slow network")
        assert caught.value.outcome is Outcome.UNKNOWN
        assert caught.value.cms_code is None
        fake_modem.faults.send_delay = 0.0
        health = modem.health()  # resyncs: drains the late +CMGS: 1 / OK
        assert health.signal_dbm is not None and health.registered
        assert modem.late_references == (1,)
        assert modem.send(NUMBER, "next one") == 2
    assert [m.text for m in fake_modem.inbox.messages()] == ["slow network", "next one"]


def test_send_right_after_a_timeout_gets_its_own_reference(fake_modem: FakeModem) -> None:
    fake_modem.faults.send_delay = 0.8
    settings = replace(FAST, send_timeout=0.2)
    with Modem(fake_modem.device, settings=settings) as modem:
        with pytest.raises(SendError):
            modem.send(NUMBER, "first")
        fake_modem.faults.send_delay = 0.0
        assert modem.send(NUMBER, "second") == 2


def test_urc_during_send_is_skipped_and_never_answered(fake_modem: FakeModem) -> None:
    fake_modem.faults.urc_during_send = True
    with Modem(fake_modem.device, settings=FAST) as modem:
        references = [modem.send(NUMBER, f"code {i:04d}") for i in range(20)]
    assert references == list(range(1, 21))
    assert len(fake_modem.inbox.messages()) == 20
    assert not any(c.startswith(("AT+CMGR", "AT+CPMS")) for c in fake_modem.commands)


def test_non_utf8_byte_from_the_modem_is_survived(fake_modem: FakeModem, modem: Modem) -> None:
    fake_modem.send_urc(b'+CUSD: 0,"Cr\xe9dit: 5 \xff",15')
    assert modem.send(NUMBER, "after a bad byte") == 1
    fake_modem.send_urc(b"\xe9\xe9\xe9")
    assert modem.health().operator == "FakeNet"


def test_prompt_without_space_is_accepted(fake_modem: FakeModem) -> None:
    fake_modem.faults.prompt_without_space = True
    settings = replace(FAST, command_timeout=30.0)  # a missed prompt would fail the send
    with Modem(fake_modem.device, settings=settings) as modem:
        assert modem.send(NUMBER, "no space") == 1
        assert modem.send(NUMBER, "still in sync") == 2
    assert len(fake_modem.inbox.messages()) == 2


def test_cmgs_with_service_centre_timestamp(fake_modem: FakeModem, modem: Modem) -> None:
    fake_modem.faults.cmgs_with_scts = True
    assert modem.send(NUMBER, "with scts") == 1


def test_modem_reset_is_detected_and_the_modem_re_initialised(
    fake_modem: FakeModem, modem: Modem
) -> None:
    modem.send(NUMBER, "before")
    fake_modem.reset()
    before = len(fake_modem.commands)
    assert modem.send(NUMBER, "after the reset") == 2
    again = fake_modem.commands[before:]
    cmgs = next(i for i, command in enumerate(again) if command.startswith("AT+CMGS"))
    assert {"ATE0", "AT+CMEE=1", "AT+CMGF=0"} <= set(again[:cmgs])


def test_reset_while_idle_asks_for_the_pin_once_more(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    with Modem(fake_modem.device, pin="1234", settings=FAST) as modem:
        modem.send(NUMBER, "before")
        fake_modem.reset()
        modem.send(NUMBER, "after")
    assert sum(c.startswith("AT+CPIN=") for c in fake_modem.commands) == 2


def test_modem_silent_for_a_while_then_back(fake_modem: FakeModem) -> None:
    settings = replace(FAST, command_timeout=0.3)
    with Modem(fake_modem.device, settings=settings) as modem:
        fake_modem.faults.mute = True  # it reads our commands and loses them
        with pytest.raises(ModemNotRespondingError):
            modem.send(NUMBER, "into the void")
        fake_modem.faults.mute = False
        assert modem.send(NUMBER, "back again") == 1
    assert [m.text for m in fake_modem.inbox.messages()] == ["back again"]


def test_unplugged_modem_is_disconnected(fake_modem: FakeModem, modem: Modem) -> None:
    fake_modem.unplug()
    with pytest.raises(ModemDisconnectedError):
        modem.send(NUMBER, "nobody there")
    modem.close()

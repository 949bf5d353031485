"""Autobauding modems (SIMCom SIM800, Quectel at power-up): found by ``AT`` until ``OK``.

The loopback modem's ``autobaud`` fault loses the first N command lines (no answer, no echo),
answers the next, then prints its boot lines; the driver must neither give up nor take those
boot lines for a reset, for any N up to its setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.errors import ModemNotRespondingError
from gateway.fake import FakeModem, Faults
from gateway.modem import Modem, ModemSettings

FAST = ModemSettings(
    command_timeout=3.0, registration_timeout=3.0, send_timeout=3.0, autobaud_wait=0.2
)
NUMBER = "+32470123456"


@pytest.fixture
def autobauding(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[FakeModem]:
    with FakeModem(tmp_path, Faults(autobaud=request.param)) as fake:
        yield fake


@pytest.mark.parametrize("autobauding", [1, 3, 8], indirect=True)
def test_an_autobauding_modem_is_found_and_sends(autobauding: FakeModem) -> None:
    with Modem(autobauding.device, settings=FAST) as modem:
        modem.send(NUMBER, "Your code is 1234")
        # The boot lines printed after the sync were not taken for a reset: no second set-up.
        assert sum(c.upper() == "ATE0" for c in autobauding.commands) == 1
    assert [m.text for m in autobauding.inbox.messages()] == ["Your code is 1234"]


@pytest.mark.parametrize("autobauding", [3], indirect=True)
def test_a_restarted_autobauding_modem_is_found_again(autobauding: FakeModem) -> None:
    with Modem(autobauding.device, settings=replace(FAST, command_timeout=1.0)) as modem:
        modem.send(NUMBER, "first")
        autobauding.reset()  # it has lost the baud rate: silence until AT is repeated
        modem.send(NUMBER, "second")
    assert [m.text for m in autobauding.inbox.messages()] == ["first", "second"]


@pytest.mark.parametrize("autobauding", [5], indirect=True)
def test_the_number_of_tries_is_a_setting(autobauding: FakeModem) -> None:
    with pytest.raises(ModemNotRespondingError, match=r"AT \(4 tries\)"):
        Modem(autobauding.device, settings=replace(FAST, autobaud_attempts=4)).open()


@pytest.mark.parametrize("autobauding", [8], indirect=True)
def test_send_from_the_command_line_finds_an_autobauding_modem(autobauding: FakeModem) -> None:
    result = CliRunner().invoke(
        main, ["send", "--port", autobauding.device, "--wait", "3", NUMBER, "hello"]
    )
    assert result.exit_code == 0, result.output
    assert [m.text for m in autobauding.inbox.messages()] == ["hello"]


def test_the_loopback_switch_makes_the_modem_autobaud(tmp_path: Path) -> None:
    from gateway.cli.fake_commands import fake_modem_command

    params = {p.name for p in fake_modem_command.params}
    assert "autobaud" in params

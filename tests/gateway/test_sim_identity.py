"""SIM identity: IMSI and ICCID read from the modem, as vendors answer them; masked in logs."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from click.testing import CliRunner

from gateway.at_channel import AtCommandError
from gateway.cli import main
from gateway.fake import FakeModem
from gateway.fake.faults import DEFAULT_ICCID, DEFAULT_IMSI
from gateway.modem import Modem
from gateway.sim import Runner
from gateway.sim_identity import SimIdentity, mask_identifier, read_sim_identity

CME_11 = AtCommandError("+CME ERROR: 11", "CME", 11)


def runner(answers: Mapping[str, list[str] | AtCommandError]) -> Runner:
    def run(command: str, *, prefix: str | None = None) -> list[str]:
        answer = answers.get(command, AtCommandError("ERROR", None, None))
        if isinstance(answer, AtCommandError):
            raise answer
        return answer

    return run


@pytest.mark.parametrize(
    "answers",
    [
        {"AT+CIMI": ["234150000000001"], "AT+CCID": ['+CCID: "8944150000000000017"']},
        {"AT+CIMI": ["234150000000001"], "AT+CCID": ["8944150000000000017"]},  # SIMCom: bare
        {"AT+CIMI": ["234150000000001"], "AT+ICCID": ["ICCID: 8944150000000000017F"]},  # Sierra
    ],
)
def test_vendor_answers_give_the_same_identity(answers: Mapping[str, list[str]]) -> None:
    identity = read_sim_identity(runner(answers))
    assert identity == SimIdentity("234150000000001", "8944150000000000017")
    assert identity.key == "234150000000001"


def test_locked_sim_gives_the_iccid_only_and_is_keyed_by_it() -> None:
    answers: dict[str, list[str] | AtCommandError] = {
        "AT+CIMI": CME_11,
        "AT+CCID": ["+CCID: 8944150000000000017"],
    }
    identity = read_sim_identity(runner(answers))
    assert identity == SimIdentity(None, "8944150000000000017")
    assert identity.key == "iccid:8944150000000000017"


def test_a_modem_that_tells_nothing_gives_no_key() -> None:
    identity = read_sim_identity(runner({"AT+CIMI": ["OK?"]}))
    assert identity == SimIdentity() and identity.key is None


def test_masking_keeps_the_network_and_the_last_digits() -> None:
    assert mask_identifier("234150000000001") == "23415•••001"
    assert mask_identifier("8944150000000000017") == "894415•••0017"
    assert SimIdentity(None, None).masked() == "imsi unknown, iccid unknown"


def test_modem_reads_the_loopback_sims_identity(fake_modem: FakeModem) -> None:
    fake_modem.faults.imsi, fake_modem.faults.iccid = "208011234567890", "8933011234567890123"
    with Modem(fake_modem.device) as modem:
        assert modem.sim_identity() == SimIdentity("208011234567890", "8933011234567890123")


def test_loopback_answers_ccid_and_iccid(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device) as modem:
        assert modem.sim_identity() == SimIdentity(DEFAULT_IMSI, DEFAULT_ICCID)
    assert "AT+CCID" in fake_modem.commands and "AT+CIMI" in fake_modem.commands


def test_status_port_json_shows_health_and_sim(fake_modem: FakeModem) -> None:
    result = CliRunner().invoke(main, ["status", "--port", fake_modem.device, "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer == {
        "version": 1,
        "modem": {
            "port": fake_modem.device,
            "signal_dbm": -73,
            "registration": "home",
            "registered": True,
            "operator": "FakeNet",
            "sim": "ready",
            "imsi": DEFAULT_IMSI,
            "iccid": DEFAULT_ICCID,
        },
    }

"""Network registration as reported by ``+CREG``, ``+CGREG`` and ``+CEREG`` (3GPP TS 27.007).

LTE modules often report the circuit-switched domain as not registered (``+CREG: 0,0``) while
the EPS domain is (``+CEREG: 0,1``), and SMS then goes over SGs or IMS. So the modem counts as
registered when *any* domain is in a registered state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: The commands that read registration, in the order we ask them.
REGISTRATION_QUERIES = ("CREG", "CGREG", "CEREG")

#: 1 home, 5 roaming, 6/7 "SMS only" home/roaming, 9/10 "CSFB not preferred" home/roaming.
REGISTERED_STATS = frozenset({1, 5, 6, 7, 9, 10})

_STAT_NAMES = {
    0: "not registered",
    1: "home",
    2: "searching",
    3: "denied",
    4: "unknown",
    5: "roaming",
    6: "home (SMS only)",
    7: "roaming (SMS only)",
    8: "emergency only",
    9: "home",
    10: "roaming",
}

# When nothing is registered, the most telling state wins.
_UNREGISTERED_PRIORITY = (3, 2, 8, 4, 0)

REGISTERED_NAMES = frozenset(_STAT_NAMES[stat] for stat in REGISTERED_STATS)


def parse_registration(lines: Sequence[str], query: str) -> int | None:
    """The ``<stat>`` of the answer to ``AT+<query>?``, or None when there is none.

    The read form is ``+CREG: <n>,<stat>[,<lac>,<ci>[,<AcT>]]``; an unsolicited
    ``+CREG: <stat>[,...]`` that slipped in has a quoted second field or none, and is skipped.
    """
    prefix = f"+{query}:"
    stat = None
    for line in lines:
        if not line.startswith(prefix):
            continue
        fields = [field.strip() for field in line[len(prefix) :].split(",")]
        if len(fields) >= 2 and fields[0].isdigit() and fields[1].isdigit():
            stat = int(fields[1])
    return stat


@dataclass(frozen=True)
class Registration:
    """Registration of every domain the modem reported.

    :param stats: ``<stat>`` per query name (``"CREG"``, ``"CGREG"``, ``"CEREG"``); a query the
        modem does not support is absent.
    """

    stats: Mapping[str, int]

    @property
    def registered(self) -> bool:
        return any(stat in REGISTERED_STATS for stat in self.stats.values())

    def describe(self) -> str:
        """One word or two: ``home``, ``roaming``, ``home (SMS only)``, ``searching``, ..."""
        for query in REGISTRATION_QUERIES:
            stat = self.stats.get(query)
            if stat in REGISTERED_STATS:
                return _STAT_NAMES[stat]
        present = set(self.stats.values())
        for stat in _UNREGISTERED_PRIORITY:
            if stat in present:
                return _STAT_NAMES[stat]
        return "unknown"

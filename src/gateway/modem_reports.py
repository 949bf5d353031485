"""The AT side of delivery reports: asking the modem to hand them over, and reading stored ones.

27.005 §3.4.1: ``AT+CNMI`` ``<ds>=1`` routes a report to the host as ``+CDS`` (nothing is kept
on the SIM); ``<ds>=2`` stores it and announces its index with ``+CDSI``, to be read with
``AT+CMGR`` and deleted. Some modems only know one of them, so both are tried. ``<mode>=2``
buffers the lines while the host is busy with a command and flushes them afterwards; with
``AT+CSMS=0`` a ``+CDS`` needs no ``AT+CNMA`` acknowledgement (without one, phase 2+ modems
stop routing). Lines are read only by the thread that owns the port, between its commands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.at_channel import AtCommandError
from gateway.status_report import ReportLines

log = logging.getLogger("gateway.modem")

Run = Callable[[str], list[str]]

#: Tried in order; the first the modem accepts is kept.
#: ``<mt>=1`` in each: incoming SMS are stored and announced (``+CMTI``), see
#: :mod:`gateway.incoming`.
ROUTES = ("AT+CNMI=2,1,0,1,0", "AT+CNMI=2,1,0,2,0", "AT+CNMI=1,1,0,2,0")


def route_reports(run: Run) -> str | None:
    """Ask the modem to pass status reports on; return the ``AT+CNMI`` it took, or None."""
    try:
        run("AT+CSMS=0")
    except AtCommandError:
        log.debug("AT+CSMS=0 refused; carrying on")
    for command in ROUTES:
        try:
            run(command)
        except AtCommandError:
            continue
        return command
    log.warning("the modem routes no status reports (AT+CNMI refused): no delivery reports")
    return None


def read_stored(run: Run, lines: ReportLines) -> None:
    """Read and delete each report a ``+CDSI`` announced; decoded ones join ``lines.reports``.

    A report that cannot be read is skipped (and logged): it is never worth a failed send.
    """
    memory = None
    while lines.stored:
        mem, index = lines.stored.popleft()
        try:
            if mem != memory:
                run(f'AT+CPMS="{mem}"')  # <mem1>: where AT+CMGR and AT+CMGD look
                memory = mem
            lines.add_stored(run(f"AT+CMGR={index}"))
            run(f"AT+CMGD={index}")
        except AtCommandError as exc:
            log.warning("could not read stored status report %s %d (%s)", mem, index, exc)

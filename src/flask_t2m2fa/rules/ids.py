"""Ids typed by clients (URLs, forms, JSON bodies), read against the column that holds them.

An integer primary key is a signed 64-bit column on PostgreSQL, MariaDB and SQLite: a value
outside it makes the driver raise (``OverflowError``, "value out of range") before any row is
looked at. So an id is parsed first, and anything that is not a positive id the column can
hold is no row: the same answer as an unknown id (404), never a 500.
"""

from __future__ import annotations

#: The largest value of a signed 64-bit integer column (BIGINT; SQLite's INTEGER).
MAX_ROW_ID = 2**63 - 1


def row_id(value: object, *, text_ok: bool = True) -> int | None:
    """``value`` as a row id (1 to :data:`MAX_ROW_ID`), or None when it cannot be one.

    :param text_ok: accept a string of ASCII digits (a URL or a form field); a JSON body
        passes False: its id is a number, and ``"5"`` is no id there.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif text_ok and isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > len(str(MAX_ROW_ID)):
            return None
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ROW_ID else None

"""V.250 command-line syntax: split ``AT...`` lines into commands, and format results."""

from __future__ import annotations

import re
from dataclasses import dataclass

_EXTENDED_PREFIXES = "+^$%*#!"
_BASIC = re.compile(r"&?[A-Za-z]\d*")
_S_REGISTER = re.compile(r"[Ss]\d+(=\d*|\?)")


@dataclass(frozen=True)
class Command:
    """One command of a command line: ``name`` upper-cased, ``kind`` and raw ``args``.

    ``kind`` is ``exec`` (``AT+X``), ``read`` (``AT+X?``), ``test`` (``AT+X=?``) or ``set``
    (``AT+X=args``). Basic commands (``E0``, ``&F``) are ``exec`` with their digits as ``args``.
    """

    name: str
    kind: str
    args: str = ""


class AtSyntaxError(ValueError):
    """The line breaks V.250 syntax; a modem answers ERROR."""


def split_line(body: str) -> list[Command]:
    """Split what follows ``AT`` into commands: basic ones run together, extended ones
    separated by ``;`` (a ``;`` inside quotes belongs to the argument)."""
    commands: list[Command] = []
    pos = 0
    while pos < len(body):
        char = body[pos]
        if char in "; ":
            pos += 1
        elif char in _EXTENDED_PREFIXES:
            end = _end_of_extended(body, pos)
            commands.append(_extended(body[pos:end]))
            pos = end
        elif char in "Dd":  # dial takes the rest of the line
            commands.append(Command("D", "exec", body[pos + 1 :]))
            pos = len(body)
        elif match := _S_REGISTER.match(body, pos):
            commands.append(Command("S", "exec", match.group(0)[1:]))
            pos = match.end()
        elif match := _BASIC.match(body, pos):
            text = match.group(0)
            letters = 2 if text.startswith("&") else 1
            commands.append(Command(text[:letters].upper(), "exec", text[letters:]))
            pos = match.end()
        else:
            raise AtSyntaxError(f"unexpected {char!r}")
    return commands


def _end_of_extended(body: str, start: int) -> int:
    quoted = False
    for pos in range(start, len(body)):
        if body[pos] == '"':
            quoted = not quoted
        elif body[pos] == ";" and not quoted:
            return pos
    return len(body)


def _extended(text: str) -> Command:
    name_end = 1
    while name_end < len(text) and (text[name_end].isalnum() or text[name_end] in "_&"):
        name_end += 1
    name, rest = text[:name_end].upper(), text[name_end:].strip()
    if len(name) < 2:
        raise AtSyntaxError("empty command name")
    if rest == "":
        return Command(name, "exec")
    if rest == "?":
        return Command(name, "read")
    if rest == "=?":
        return Command(name, "test")
    if rest.startswith("="):
        return Command(name, "set", rest[1:].strip())
    raise AtSyntaxError(f"bad syntax after {name}")


def parse_args(args: str) -> list[str]:
    """Comma-separated arguments, quotes removed (commas inside quotes kept)."""
    if args.strip() == "":
        return []
    values: list[str] = []
    current: list[str] = []
    quoted = False
    for char in args:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    values.append("".join(current).strip())
    return values


def int_arg(values: list[str], index: int, default: int | None = None) -> int:
    """The ``index``-th argument as an int (``default`` when absent or empty)."""
    if index < len(values) and values[index] != "":
        try:
            return int(values[index])
        except ValueError:
            raise AtSyntaxError(f"not a number: {values[index]!r}") from None
    if default is None:
        raise AtSyntaxError("missing argument")
    return default

"""What the client keeps between runs, in the user's config directory, readable by him only.

``tokens.json`` holds the remember-this-PC tokens, one per server + account + user: each stands
in for an SMS code, so it is kept like a password (file mode 0600, directory 0700, written
atomically) and never printed. ``session.json`` holds the cookies of the current login (one
at a time), so that ``resend``, ``whoami`` and ``logout`` can follow ``login``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "t2m2fa-client"
TOKENS_FILE = "tokens.json"
SESSION_FILE = "session.json"


def config_dir() -> Path:
    """The per-user directory (``$XDG_CONFIG_HOME/t2m2fa-client`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a damaged file is as good as none: the user logs in with a code again


def _write_private(path: Path, data: Any) -> None:
    """Replace ``path`` atomically with a file only its owner can read."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(data, file, indent=1)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Identity:
    """Who logs in where: the key of a remembered-PC token."""

    server: str
    account: str
    username: str

    def matches(self, entry: Any) -> bool:
        return isinstance(entry, dict) and all(
            entry.get(name) == value for name, value in asdict(self).items()
        )

    def __str__(self) -> str:
        return f"{self.username} ({self.account}) on {self.server}"


class TokenStore:
    """The remembered-PC tokens, one entry per :class:`Identity`."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / TOKENS_FILE

    def _entries(self) -> list[Any]:
        data = _read(self.path)
        entries = data.get("tokens") if isinstance(data, dict) else None
        return entries if isinstance(entries, list) else []

    def get(self, who: Identity) -> str | None:
        for entry in self._entries():
            if who.matches(entry) and isinstance(entry.get("token"), str):
                return str(entry["token"])
        return None

    def put(self, who: Identity, token: str) -> None:
        entries = [e for e in self._entries() if not who.matches(e)]
        entries.append({**asdict(who), "token": token})
        _write_private(self.path, {"tokens": entries})

    def drop(self, who: Identity) -> bool:
        """Forget the token of ``who``; True if there was one."""
        entries = self._entries()
        kept = [e for e in entries if not who.matches(e)]
        if len(kept) == len(entries):
            return False
        _write_private(self.path, {"tokens": kept})
        return True


@dataclass
class Session:
    """The current login: who, and the server's cookies (a session cookie is a credential)."""

    who: Identity
    cookies: list[dict[str, str]] = field(default_factory=list)


class SessionStore:
    def __init__(self, directory: Path) -> None:
        self.path = directory / SESSION_FILE

    def load(self) -> Session | None:
        data = _read(self.path)
        if not isinstance(data, dict):
            return None
        try:
            who = Identity(**data["who"])
            cookies = [dict(c) for c in data["cookies"]]
        except (KeyError, TypeError, ValueError):
            return None
        return Session(who, cookies)

    def save(self, session: Session) -> None:
        _write_private(self.path, {"who": asdict(session.who), "cookies": session.cookies})

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

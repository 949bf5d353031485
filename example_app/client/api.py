"""The HTTP side: the host's ``/api/*`` and the extension's ``/t2m2fa/api/*``, JSON only.

One :class:`httpx.Client` per run, TLS certificates checked (``--ca-file`` adds a private CA,
nothing turns the check off). Every network failure becomes a :class:`ClientError` with one
line to show: no traceback reaches the user.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

#: Exit codes (documented in ``python -m example_app.client --help``).
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NETWORK = 3
EXIT_NOT_LOGGED_IN = 4
EXIT_INTERRUPTED = 130

TIMEOUT = httpx.Timeout(30.0)
REMEMBER_HEADER = "X-T2M2FA-Remember"


class ClientError(Exception):
    """A one-line reason to stop, and the exit code that goes with it."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.body.get("status", ""))

    @property
    def message(self) -> str:
        text = self.body.get("message")
        return str(text) if text else f"The server refused ({self.status or self.status_code})."


def normalise_server(url: str) -> str:
    """``https://host[:port][/prefix]`` without a trailing slash; only http(s) URLs."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ClientError(f"not a server URL: {url!r} (e.g. https://talk2m.example)", EXIT_USAGE)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class Api:
    """The server at ``server``, with the cookies of the current login."""

    def __init__(
        self,
        server: str,
        *,
        cookies: list[dict[str, str]] | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.server = server
        verify: ssl.SSLContext | bool = True
        if ca_file is not None:
            verify = ssl.create_default_context(cafile=ca_file)
        self.http = httpx.Client(base_url=server, verify=verify, timeout=TIMEOUT)
        for cookie in cookies or []:
            self.http.cookies.set(cookie["name"], cookie["value"], cookie["domain"], cookie["path"])

    def cookies(self) -> list[dict[str, str]]:
        return [
            {"name": c.name, "value": c.value or "", "domain": c.domain, "path": c.path}
            for c in self.http.cookies.jar
        ]

    def get(self, path: str) -> Answer:
        return self._call("GET", path, None, {})

    def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Answer:
        return self._call("POST", path, body, headers or {})

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> Answer:
        try:
            response = self.http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach {self.server}: {_reason(exc)}", EXIT_NETWORK) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            what = f"HTTP {response.status_code}, not JSON"
            raise ClientError(f"unexpected answer from {self.server}{path}: {what}", EXIT_NETWORK)
        return Answer(response.status_code, data)

    def close(self) -> None:
        self.http.close()


def _reason(exc: httpx.HTTPError) -> str:
    """``connection refused``, ``timed out``, ``certificate verify failed``...: the gist."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "the server's TLS certificate is not trusted (see --ca-file)"
    if "] " in text:  # "[Errno 111] Connection refused"
        text = text.split("] ", 1)[1]
    return text[:1].lower() + text[1:]

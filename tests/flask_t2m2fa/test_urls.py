"""``next`` redirects stay on this site."""

from __future__ import annotations

import pytest

from flask_t2m2fa.rules.urls import is_same_site


@pytest.mark.parametrize("target", ["/private", "/a?b=c#d", "http://localhost/x"])
def test_same_site(target: str) -> None:
    assert is_same_site(target, host="localhost", scheme="http")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/",
        "http://localhost.evil/",
        "javascript:alert(1)",
        "/\t/evil.example",
        "",
        None,
        "private",
        "https://localhost/x",
        "\x00/x",
    ],
)
def test_other_sites_refused(target: str | None) -> None:
    assert not is_same_site(target, host="localhost", scheme="http")

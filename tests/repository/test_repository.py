"""The repository as a fresh clone sees it: nothing in it points at one machine's files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tracked_symlinks() -> list[tuple[str, str]]:
    """(path, target) of every symlink git tracks (mode 120000)."""
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-s", "-z"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    links = []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        if meta.startswith("120000 "):
            links.append((path, os.readlink(ROOT / path)))
    return links


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)
def test_no_tracked_symlink_points_outside_the_repository() -> None:
    outside = [
        (path, target)
        for path, target in _tracked_symlinks()
        if os.path.isabs(target)
        or not (ROOT / path).parent.joinpath(target).resolve().is_relative_to(ROOT)
    ]
    assert outside == []

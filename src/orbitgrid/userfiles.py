"""Reading the files a user names: one ScenarioError line when one cannot be read or decoded."""

from __future__ import annotations

from pathlib import Path

from orbitgrid.errors import ScenarioError


def read_user_text(path: str | Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The text of a user's file; a missing or unreadable file, or bytes that are not text in
    encoding, is a ScenarioError naming the file (and the line of the first bad byte)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode(encoding, errors=errors)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError(
            f"{path}:{line}: not {encoding.upper()} text (byte 0x{data[exc.start]:02x} at "
            f"column {column})"
        ) from None

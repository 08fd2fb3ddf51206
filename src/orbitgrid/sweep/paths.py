"""Dotted paths into nested data (`constellations.0.walker.altitude_km`): get, set, flatten."""

from __future__ import annotations

from typing import Any


def set_path(data: dict, path: str, value: Any) -> None:
    """Set a dotted path (list indices as numbers) in nested data, adding missing mappings."""
    parts = path.split(".")
    node: Any = data
    for part, following in zip(parts[:-1], parts[1:], strict=True):
        if isinstance(node, list):
            node = node[int(part)]
        else:
            if node.get(part) is None:
                node[part] = [] if following.isdigit() else {}
            node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path; KeyError if there is none."""
    node = data
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(path)
    return node


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to every leaf of nested data."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

"""Tenants and their API keys. The keys file (JSON) stores only a SHA-256 of each key:

    {"tenants": {"NAME": {"key_sha256": HEX, "max_queued": N|null, "max_running": N|null,
                          "execute": false}}}

A key is "og_" + 32 random bytes, URL-safe base64, printed once by `orbitgrid keys add`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from orbitgrid.errors import ScenarioError

ANONYMOUS = "anonymous"
NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class Tenant:
    """A tenant: quotas None mean unlimited; execute: may run programs (issue 14)."""

    name: str
    key_sha256: str
    max_queued: int | None = None
    max_running: int | None = None
    execute: bool = False


ANONYMOUS_TENANT = Tenant(ANONYMOUS, "")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "og_" + secrets.token_urlsafe(32)


class KeysFileError(ScenarioError):
    """A bad keys file or tenant (one line)."""


class Tenants:
    """The tenants of a keys file; None as the file: anonymous access only."""

    def __init__(self, tenants: list[Tenant] | None):
        self.anonymous = tenants is None
        self.by_hash = {t.key_sha256: t for t in tenants or []}

    @classmethod
    def load(cls, path: str | Path | None) -> Tenants:
        return cls(None if path is None else read_keys(path))

    def authenticate(self, key: str | None) -> Tenant | None:
        """The key's tenant; None when the key is missing or unknown (401)."""
        if self.anonymous:
            return ANONYMOUS_TENANT
        if not key:
            return None
        # a lookup by the key's SHA-256: timing reveals nothing of a key, only of its hash
        return self.by_hash.get(key_hash(key))


def read_keys(path: str | Path) -> list[Tenant]:
    """Tenants from a keys file; a bad file raises KeysFileError naming it and the reason."""
    path = Path(path)
    if not path.is_file():
        raise KeysFileError(f"{path}: keys file not found (create it with `orbitgrid keys add`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KeysFileError(f"{path}: not a JSON keys file: {exc}") from None
    tenants = data.get("tenants") if isinstance(data, dict) else None
    if not isinstance(tenants, dict):
        raise KeysFileError(f"{path}: expected {{\"tenants\": {{NAME: {{...}}}}}}")
    out = []
    for name, t in tenants.items():
        where = f"{path}: tenants.{name}"
        if not NAME.match(name):
            raise KeysFileError(f"{where}: a name is 1-64 letters, digits, '_', '.' or '-'")
        if not isinstance(t, dict) or not re.fullmatch(r"[0-9a-f]{64}", str(t.get("key_sha256"))):
            raise KeysFileError(f"{where}.key_sha256: expected a SHA-256 in hex")
        for q in ("max_queued", "max_running"):
            v = t.get(q)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise KeysFileError(f"{where}.{q}: expected a whole number >= 0")
        unknown = set(t) - {"key_sha256", "max_queued", "max_running", "execute"}
        if unknown:
            raise KeysFileError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        out.append(Tenant(name, t["key_sha256"], t.get("max_queued"), t.get("max_running"),
                          bool(t.get("execute", False))))
    return out


def add_tenant(path: str | Path, name: str, max_queued: int | None = None,
               max_running: int | None = None, execute: bool = False) -> str:
    """Create tenant name in the keys file (created if missing); returns its new key, which
    is stored nowhere (only its hash). The file is replaced atomically, mode 0600."""
    path = Path(path)
    if not NAME.match(name):
        raise KeysFileError(f"NAME: {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    if not path.parent.is_dir():
        raise KeysFileError(f"--keys: {path.parent}: no such folder")
    tenants = read_keys(path) if path.exists() else []
    if any(t.name == name for t in tenants):
        raise KeysFileError(f"{path}: tenant {name!r} already exists")
    key = new_key()
    tenants.append(Tenant(name, key_hash(key), max_queued, max_running, execute))
    body = {"tenants": {t.name: {k: v for k, v in asdict(t).items() if k != "name"}
                        for t in tenants}}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(body, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    return key

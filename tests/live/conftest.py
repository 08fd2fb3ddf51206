"""Fixtures of the live tests: one real server per module, tenants and HTTP clients
(helpers in live_support.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from live_support import EPOCH, SCENARIO, LiveServer


@pytest.fixture(scope="session")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "live-test.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture(scope="module")
def keyed(scenario_file, tmp_path_factory):
    """One server per test module, with a keys file of 40 tenants: (server, [keys])."""
    from orbitgrid.live.tenants import add_tenant

    folder = tmp_path_factory.mktemp("live")
    keys = [add_tenant(folder / "keys.json", f"t{k}") for k in range(40)]
    s = LiveServer(scenario_file, folder / "state", "--keys", str(folder / "keys.json"))
    s.start(EPOCH)
    yield s, keys
    s.stop()


@pytest.fixture
def server(keyed):
    return keyed[0]


@pytest.fixture
def key(keyed):
    """A tenant of its own for each test: it sees only its own jobs."""
    return keyed[1].pop()


@pytest.fixture
def http(server, key):
    with httpx.Client(base_url=server.url, timeout=30,
                      headers={"Authorization": f"Bearer {key}"}) as c:
        yield c

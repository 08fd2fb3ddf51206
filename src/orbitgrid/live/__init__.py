"""orbitgrid live: the space OS as a running service (see docs/live.md).

`orbitgrid live SCENARIO --state DIR` runs the twin on a clock with its API; Client talks to it.
"""

__all__ = ["Client", "LiveError", "wait_up"]


def __getattr__(name: str):
    # the client (httpx, websockets) is imported only when asked for, not by the CLI
    if name in __all__:
        from orbitgrid.live import client

        return getattr(client, name)
    raise AttributeError(name)

"""A Python client of the live service.

    from orbitgrid.live import Client
    with Client("http://127.0.0.1:8100", key) as c:
        job = c.submit(kind="batch", work_flop=1e15)
        c.get(job["id"]); c.list(state="done"); c.cancel(job["id"])
        for event in c.events(after=0): ...

events() reconnects after a dropped connection with ?after= the last id it yielded, so a
caller misses no event and sees none twice.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx


def wait_up(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 120.0) -> bool:
    """Wait for the service at url to answer GET /v1/health: True once it does, False when
    timeout_s (wall seconds) pass or proc, the service's process when given, exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


class LiveError(RuntimeError):
    """An error answer: status code and the server's detail."""

    def __init__(self, status: int, detail: Any):
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class Client:
    """Client(url, key=None): url the service's root (http://host:port), key its API key."""

    def __init__(self, url: str, key: str | None = None, timeout_s: float = 30.0):
        self.url = url.rstrip("/")
        self.key = key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kw) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code >= 400:
            try:
                detail = r.json().get("detail")
            except ValueError:
                detail = r.text
            raise LiveError(r.status_code, detail)
        return r.json()

    def health(self) -> dict:
        return self._call("GET", "/v1/health")

    def submit(self, idempotency_key: str | None = None, retries: int = 3, **job) -> dict:
        """Submit a job (the jobs_file columns as keywords); retried on connection errors with
        one idempotency key, so a retry never makes a second job."""
        key = idempotency_key or uuid.uuid4().hex
        for attempt in range(retries + 1):
            try:
                return self._call("POST", "/v1/jobs", json=job,
                                  headers={"Idempotency-Key": key})
            except httpx.TransportError:
                if attempt == retries:
                    raise
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def get(self, job_id: str) -> dict:
        return self._call("GET", f"/v1/jobs/{job_id}")

    def list(self, state: str | None = None, limit: int = 100,
             after: str | None = None) -> dict:
        params = {k: v for k, v in (("state", state), ("limit", limit), ("after", after))
                  if v is not None}
        return self._call("GET", "/v1/jobs", params=params)

    def cancel(self, job_id: str) -> dict:
        return self._call("DELETE", f"/v1/jobs/{job_id}")

    def satellites(self) -> list[dict]:
        return self._call("GET", "/v1/satellites")["satellites"]

    def events(self, after: int = 0, reconnect: bool = True,
               idle_timeout_s: float | None = None) -> Iterator[dict]:
        """Events with id > after, as they happen; reconnects (with after) when the
        connection drops unless reconnect is False. idle_timeout_s: stop after that long
        without an event (None: never)."""
        from websockets.exceptions import ConnectionClosed, InvalidStatus
        from websockets.sync.client import connect

        ws_url = "ws" + self.url[4:] + "/v1/events"
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else None
        delay = 0.1
        while True:
            try:
                with connect(f"{ws_url}?after={after}", additional_headers=headers,
                             open_timeout=10) as ws:
                    delay = 0.1
                    while True:
                        try:
                            message = ws.recv(timeout=idle_timeout_s)
                        except TimeoutError:
                            return
                        event = json.loads(message)
                        after = event["id"]
                        yield event
            except InvalidStatus as exc:  # refused at the handshake (a bad key or after)
                status = exc.response.status_code
                if 400 <= status < 500:
                    raise LiveError(401 if status == 403 else status,
                                    "the event stream refused the key or ?after") from None
                if not reconnect:
                    return
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except (ConnectionClosed, OSError) as exc:
                closed = getattr(exc, "rcvd", None)
                if closed is not None and closed.code == 1008:
                    raise LiveError(401, closed.reason) from None
                if not reconnect:
                    return
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

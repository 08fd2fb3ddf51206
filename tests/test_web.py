"""The dashboard in a real browser: Debian's chromium driven by Playwright, fully offline.

The server runs on a free localhost port; every request the page makes is recorded and must go
to this machine. Screenshots go to a temporary folder, or to the folder named by
ORBITGRID_SCREENSHOTS (`ORBITGRID_SCREENSHOTS=docs/screenshots pytest tests/test_web.py`
refreshes the README's pictures). The browser is ORBITGRID_CHROMIUM, else /usr/bin/chromium or a
chromium on PATH; where there is none the browser tests skip, saying so, except under CI (CI=true),
where they fail.
"""

import io
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import sync_playwright

from orbitgrid import load_scenario, simulate
from orbitgrid.report import czml_summary
from orbitgrid.web import create_app

SHOTS = Path(os.environ.get("ORBITGRID_SCREENSHOTS") or tempfile.mkdtemp(prefix="orbitgrid-shots-"))


def find_chromium() -> str | None:
    """The Chromium to drive: ORBITGRID_CHROMIUM if set, else Debian's, else one on PATH."""
    if "ORBITGRID_CHROMIUM" in os.environ:
        given = os.environ["ORBITGRID_CHROMIUM"]
        return given if os.access(given, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)


CHROMIUM = find_chromium()
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",  # WebGL on the CPU
]
LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    simulate(load_scenario("demo", {"duration": "1h", "step": "60s"}), out=runs / "demo-1h")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(runs), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        missing = "no Chromium: install Debian's chromium or set ORBITGRID_CHROMIUM"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing} (CI=true: the browser tests must run)")
        pytest.skip(missing)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _colours(png: bytes) -> tuple[int, int]:
    """Distinct colours and blue-ish (ocean) pixels of a screenshot, on a 200x100 thumbnail."""
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 100))
    rgb = np.frombuffer(image.tobytes(), dtype=np.uint8).reshape(-1, 3).astype(int)
    ocean = int(((rgb[:, 2] > rgb[:, 0] + 30) & (rgb[:, 2] > 90)).sum())
    return len(np.unique(rgb, axis=0)), ocean


def _get_json(url):
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def test_api_lists_runs_and_serves_czml(server):
    runs = _get_json(f"{server}/api/runs")
    assert [(r["run"], r["name"]) for r in runs] == [("demo-1h", "demo")]
    czml = _get_json(f"{server}/api/runs/demo-1h/czml")
    assert czml_summary(czml)["satellites"] == runs[0]["satellites"] == 93
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{server}/runs/..%2Fetc")
    missing.value.close()
    assert missing.value.code == 404


def test_dashboard_globe_and_plots_offline(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests, failures = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: failures.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda e: failures.append(str(e)))

    page.goto(server)
    link = page.locator("#runs a", has_text="demo-1h")
    assert link.count() == 1
    page.screenshot(path=SHOTS / "dashboard-runs.png")
    link.click()
    page.wait_for_url(f"{server}/runs/demo-1h")
    assert "93 of 93 satellites" in page.locator("#decimation").inner_text()
    page.wait_for_function("window.globeTimes && window.globeTimes.data", timeout=60_000)

    # the globe is drawn: many colours and the ocean of the Natural Earth imagery
    box = page.locator("#globe").bounding_box()
    deadline = time.monotonic() + 60
    while True:
        png = page.screenshot(clip=box)
        colours, ocean = _colours(png)
        if ocean > 1500 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert colours > 200 and ocean > 1500, (colours, ocean)
    (SHOTS / "dashboard-globe.png").write_bytes(png)

    # the time slider moves the clock
    page.evaluate("window.orbitgridViewer.clock.shouldAnimate = false")
    page.locator("#slider").fill("500")
    clock = page.evaluate(
        "Cesium.JulianDate.toIso8601(window.orbitgridViewer.clock.currentTime, 0)"
    )
    assert clock == "2026-05-13T00:30:00Z"

    # the report's plots are on the page, drawn by plotly
    for title in ("Eclipse timeline of chosen satellites (UTC)", "Ground contacts by station"):
        plot = page.locator(f".plot[data-title^='{title}']")
        assert plot.count() == 1, title
        plot.locator(".main-svg").first.wait_for(timeout=30_000)
    assert page.locator(".plot .main-svg").count() >= 4
    page.screenshot(path=SHOTS / "dashboard-run.png", full_page=False)

    hosts = {urlsplit(u).hostname for u in requests if u.startswith(("http:", "https:", "ws"))}
    assert hosts <= LOCAL, hosts
    assert not [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert failures == []
    assert any("/static/cesium/Assets/Textures/NaturalEarthII" in u for u in requests)
    page.close()

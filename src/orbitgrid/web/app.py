"""FastAPI app: the list of runs, a run page with its plots and a globe, the run's CZML.

Everything it serves is local: Cesium's built files and plotly.js come with the package.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from string import Template

import plotly
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from orbitgrid.report import globe_czml, report_body
from orbitgrid.report.html import STYLE
from orbitgrid.results import Run, run_folders

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _template(name: str) -> Template:
    return Template((HERE / "templates" / name).read_text())


def list_runs(runs_dir: Path) -> list[Run]:
    """Run folders directly under runs_dir, newest first."""
    return [Run(p) for p in run_folders(runs_dir)]


@lru_cache(maxsize=8)
def _globe(path: str, mtime: float) -> tuple[str, str]:
    czml, tracks = globe_czml(Run(path))
    return czml, f"{tracks.decimation.describe()}; positions from {tracks.source}"


def create_app(runs_dir: str | Path = "runs") -> FastAPI:
    """The dashboard over the run folders in runs_dir."""
    runs_dir = Path(runs_dir)
    app = FastAPI(title="orbitgrid", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def get_run(name: str) -> Run:
        path = runs_dir / name
        if "/" in name or name.startswith(".") or not (path / "summary.json").is_file():
            raise HTTPException(404, f"no run {name!r} in {runs_dir}")
        return Run(path)

    def globe(run: Run) -> tuple[str, str]:
        return _globe(str(run.path), (run.path / "summary.json").stat().st_mtime)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        rows = "".join(
            f"<tr><td><a href='/runs/{html.escape(r.path.name)}'>{html.escape(r.path.name)}</a>"
            f"</td><td>{html.escape(r.summary['name'])}</td><td>{r.summary['satellites']}</td>"
            f"<td>{r.summary['duration_s'] / 3600:g}</td><td>{len(r.tables)}</td></tr>"
            for r in list_runs(runs_dir)
        )
        return _template("index.html").substitute(
            style=STYLE, runs_dir=html.escape(str(runs_dir)), rows=rows or ""
        )

    @app.get("/runs/{name}", response_class=HTMLResponse)
    def run_page(name: str) -> str:
        run = get_run(name)
        _, decimation = globe(run)
        return _template("run.html").substitute(
            style=STYLE,
            name=html.escape(name),
            title=html.escape(run.summary["name"]),
            decimation=html.escape(decimation),
            body=report_body(run),
        )

    @app.get("/api/runs")
    def api_runs() -> list[dict]:
        return [{**r.summary, "run": r.path.name} for r in list_runs(runs_dir)]

    @app.get("/api/runs/{name}/czml")
    def api_czml(name: str) -> Response:
        czml, _ = globe(get_run(name))
        return Response(czml, media_type="application/json")

    @app.get("/plotly.min.js")
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    return app

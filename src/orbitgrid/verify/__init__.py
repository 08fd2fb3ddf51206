"""`orbitgrid verify`: every model against its authority, where a user sees it.

Each reference case (verify/cases.py) computes orbitgrid's figure and the published or
independent one and returns Checks: model, reference, tolerance, source, pass/fail. A case that
needs an optional package (skyfield, aep8: `pip install orbitgrid[verify]`) says so when it is
missing instead of failing. run_verify prints them (a table, or JSON) and can write one offline
HTML page with the plots; its return value is the exit status (1 when any check fails).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from orbitgrid.verify.cases import CASES, Case, Check, MissingPackage
from orbitgrid.verify.report import write_report

__all__ = ["CASES", "Case", "Check", "MissingPackage", "run_cases", "run_verify"]


def run_cases(names: list[str] | None = None, progress: bool = True) -> list[Check]:
    """The checks of the named cases (all by default), in CASES order."""
    cases = [c for c in CASES if names is None or c.name in names]
    checks: list[Check] = []
    if progress:
        from rich.progress import Progress

        with Progress(transient=True, console=_stderr_console()) as bar:
            task = bar.add_task("verify", total=len(cases))
            for case in cases:
                bar.update(task, description=case.name)
                checks += _run_one(case)
                bar.advance(task)
    else:
        for case in cases:
            checks += _run_one(case)
    return checks


def _run_one(case: Case) -> list[Check]:
    start = time.perf_counter()
    try:
        out = case.run()
    except MissingPackage as exc:
        out = [Check(case.name, case.name, None, None, "-", case.source, None,
                     note=f"skipped: needs {exc.args[0]} (pip install 'orbitgrid[verify]')")]
    except Exception as exc:  # a case that cannot run fails, and the others still run
        out = [Check(case.name, case.name, None, None, "-", case.source, False,
                     note=f"error: {type(exc).__name__}: {exc}")]
    seconds = time.perf_counter() - start
    return [c.with_case(case.name, seconds) for c in out]


def run_verify(only: str | None = None, as_json: bool = False, report: Path | None = None,
               progress: bool = True) -> int:
    """Run the cases (only: one case name, or a comma-separated list), print them, write the
    report; 0 when every check passed or was skipped, 1 when any failed, 2 for an unknown name."""
    names = None
    if only:
        names = [n.strip() for n in only.split(",") if n.strip()]
        known = {c.name for c in CASES}
        unknown = [n for n in names if n not in known]
        if unknown:
            print(f"--only: unknown case {unknown[0]!r}; known: {', '.join(sorted(known))}",
                  file=sys.stderr)
            return 2
    checks = run_cases(names, progress=progress and sys.stderr.isatty())
    if as_json:
        print(json.dumps([_public(c) for c in checks], indent=2))
    else:
        _print_table(checks)
    if report is not None:
        write_report(checks, report)
    return 1 if any(c.passed is False for c in checks) else 0


def _public(c: Check) -> dict:
    d = asdict(c)
    d.pop("plot")
    return d


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _print_table(checks: list[Check]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="orbitgrid verify")
    for col in ("case", "quantity", "model", "reference", "tolerance", "result", "source"):
        table.add_column(col, overflow="fold")
    for c in checks:
        result = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[yellow]skip[/]"}
        table.add_row(c.case, c.quantity, _fmt(c.model, c.unit), _fmt(c.reference, c.unit),
                      c.tolerance, result[c.passed] + (f" {c.note}" if c.note else ""), c.source)
    Console(width=max(160, Console().width)).print(table)
    failed = sum(c.passed is False for c in checks)
    skipped = sum(c.passed is None for c in checks)
    print(f"{len(checks) - failed - skipped} passed, {failed} failed, {skipped} skipped")


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    return f"{x:.6g} {unit}".strip()

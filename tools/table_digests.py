"""Digest every Parquet table of every preset at a short horizon, for refactors that must not
change results: run it before and after, then diff the two outputs.

    python tools/table_digests.py --duration 1h > before.txt
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

from orbitgrid.scenario import preset_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="1h")
    parser.add_argument("--only", nargs="*", help="presets to run (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or preset_names():
            out = Path(tmp) / name
            cmd = ["orbitgrid", "run", name, "--duration", args.duration, "--out", str(out),
                   "--save", "power", "--save", "links", "--save", "ephemeris"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                print(f"{name}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
                continue
            for table in sorted(out.rglob("*.parquet")):
                digest = hashlib.sha256(table.read_bytes()).hexdigest()[:16]
                print(f"{name}/{table.relative_to(out)} {digest}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

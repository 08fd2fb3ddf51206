"""Writes its whole environment and its resource limits to output/env.json."""

import json
import os
import resource
from pathlib import Path

limits = {name: resource.getrlimit(getattr(resource, name))[0]
          for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NOFILE", "RLIMIT_NPROC")}
out = Path(os.environ["ORBITGRID_OUTPUT_DIR"])
(out / "env.json").write_text(json.dumps({"env": dict(os.environ), "limits": limits,
                                          "args_file": json.loads(Path("args.json").read_text()),
                                          "inputs": sorted(os.listdir(
                                              os.environ["ORBITGRID_INPUT_DIR"])),
                                          "cwd": os.getcwd()}))

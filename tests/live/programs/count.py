"""A step-counting program for the tests: `steps` steps of `step_s` wall seconds, each logged
(step, wall time) to output/steps.log; its state (step, running total of step numbers) in
checkpoint/state.json every `every` steps and on SIGTERM (unless `ignore_term`); at the end
output/result.json. Args (ORBITGRID_ARGS): steps, step_s, every, ignore_term, allocate_mb."""

import json
import os
import signal
import sys
import time
from pathlib import Path

args = json.loads(os.environ["ORBITGRID_ARGS"])
checkpoint = Path(os.environ["ORBITGRID_CHECKPOINT_DIR"]) / "state.json"
output = Path(os.environ["ORBITGRID_OUTPUT_DIR"])
if args.get("allocate_mb"):
    hog = bytearray(int(args["allocate_mb"]) * 1_000_000)  # past its memory limit: fails here
state = json.loads(checkpoint.read_text()) if checkpoint.exists() else {"n": 0, "total": 0}
asked = False


def on_term(signum, frame):
    global asked
    asked = True


signal.signal(signal.SIGTERM, signal.SIG_IGN if args.get("ignore_term") else on_term)


def save() -> None:
    tmp = checkpoint.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, checkpoint)


with open(output / "steps.log", "a") as log:
    while state["n"] < args["steps"]:
        time.sleep(args.get("step_s", 0.02))
        if asked:  # no step once asked to stop: checkpoint what is done and go
            save()
            sys.exit(0)
        state["n"] += 1
        state["total"] += state["n"]
        log.write(f"{state['n']} {time.time():.6f} {os.environ['ORBITGRID_SATELLITE']}\n")
        log.flush()
        if state["n"] % args.get("every", 5) == 0:
            save()
(output / "result.json").write_text(json.dumps(state))

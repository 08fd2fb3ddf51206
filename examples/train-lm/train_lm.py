"""A small character-level language model (numpy) trained on Python's own standard-library
sources: the real program of orbitgrid's train-lm example (examples/train-lm/README.md).

An MLP over the last CONTEXT bytes (embedding, one tanh hidden layer, softmax over 256 bytes),
trained with Adam. Deterministic: batch k is drawn by a generator seeded with (seed, k), so a
run resumed from a checkpoint makes the same steps as one never interrupted, and its final
weights are the same bytes. It checkpoints every `every` steps and on SIGTERM (at the end of
the step in progress), logs its loss per step to output/loss.csv and writes output/weights.npz.

Args (ORBITGRID_ARGS, JSON): steps (2000), every (100), seed (0), corpus_bytes (2,000,000),
batch (64), hidden (128), lr (0.003).
"""

import json
import os
import signal
import sys
import sysconfig
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one thread: the same sums in the same order every run
import numpy as np  # noqa: E402

CONTEXT, EMBED = 8, 16
args = {"steps": 2000, "every": 100, "seed": 0, "corpus_bytes": 2_000_000, "batch": 64,
        "hidden": 128, "lr": 0.003, **json.loads(os.environ.get("ORBITGRID_ARGS") or "{}")}
checkpoint_dir = Path(os.environ["ORBITGRID_CHECKPOINT_DIR"])
output = Path(os.environ["ORBITGRID_OUTPUT_DIR"])
satellite = os.environ.get("ORBITGRID_SATELLITE", "")


def corpus(limit: int) -> np.ndarray:
    """The first `limit` bytes of the standard library's top-level .py files, sorted by name."""
    parts, size = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        data = path.read_bytes()
        parts.append(data)
        size += len(data)
        if size >= limit:
            break
    return np.frombuffer(b"".join(parts)[:limit], dtype=np.uint8)


def init(seed: int, hidden: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([seed, 0])
    return {"emb": rng.normal(0, 0.1, (256, EMBED)),
            "w1": rng.normal(0, 1 / np.sqrt(CONTEXT * EMBED), (CONTEXT * EMBED, hidden)),
            "b1": np.zeros(hidden),
            "w2": rng.normal(0, 1 / np.sqrt(hidden), (hidden, 256)),
            "b2": np.zeros(256)}


def step(p, m, v, text, k: int) -> float:
    """One Adam step on batch k; returns its loss (nats per byte)."""
    rng = np.random.default_rng([args["seed"], 1, k])
    at = rng.integers(0, len(text) - CONTEXT - 1, args["batch"])
    x = text[at[:, None] + np.arange(CONTEXT)]  # (B, C)
    y = text[at + CONTEXT]
    e = p["emb"][x].reshape(len(at), -1)
    h = np.tanh(e @ p["w1"] + p["b1"])
    logits = h @ p["w2"] + p["b2"]
    logits -= logits.max(axis=1, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    loss = float(-np.log(prob[np.arange(len(at)), y]).mean())
    d = prob
    d[np.arange(len(at)), y] -= 1
    d /= len(at)
    g = {"w2": h.T @ d, "b2": d.sum(axis=0)}
    dh = (d @ p["w2"].T) * (1 - h * h)
    g["w1"], g["b1"] = e.T @ dh, dh.sum(axis=0)
    de = (dh @ p["w1"].T).reshape(len(at), CONTEXT, EMBED)
    g["emb"] = np.zeros_like(p["emb"])
    np.add.at(g["emb"], x, de)
    t = k + 1
    for name in p:
        m[name] = 0.9 * m[name] + 0.1 * g[name]
        v[name] = 0.999 * v[name] + 0.001 * g[name] ** 2
        mh, vh = m[name] / (1 - 0.9 ** t), v[name] / (1 - 0.999 ** t)
        p[name] -= args["lr"] * mh / (np.sqrt(vh) + 1e-8)
    return loss


def save(k: int, p, m, v) -> None:
    """Checkpoint after k steps, atomically (a kill mid-write leaves the previous one)."""
    tmp = checkpoint_dir / "state.tmp.npz"
    np.savez(tmp, step=k, **p, **{f"m_{n}": a for n, a in m.items()},
             **{f"v_{n}": a for n, a in v.items()})
    os.replace(tmp, checkpoint_dir / "state.npz")


def main() -> None:
    text = corpus(int(args["corpus_bytes"]))
    p = init(int(args["seed"]), int(args["hidden"]))
    m = {n: np.zeros_like(a) for n, a in p.items()}
    v = {n: np.zeros_like(a) for n, a in p.items()}
    k = 0
    saved = checkpoint_dir / "state.npz"
    if saved.exists():
        with np.load(saved) as z:
            k = int(z["step"])
            p = {n: z[n] for n in p}
            m = {n: z[f"m_{n}"] for n in p}
            v = {n: z[f"v_{n}"] for n in p}
    asked = []
    signal.signal(signal.SIGTERM, lambda *_: asked.append(True))
    with open(output / "loss.csv", "a") as log:
        if k == 0:
            log.write("step,loss,wall_time,satellite\n")
        while k < args["steps"]:
            loss = step(p, m, v, text, k)
            k += 1
            log.write(f"{k},{loss:.6f},{time.time():.6f},{satellite}\n")
            log.flush()
            if k % args["every"] == 0 or asked:
                save(k, p, m, v)
            if asked:
                sys.exit(0)
    np.savez(output / "weights.npz", **p)


if __name__ == "__main__":
    main()

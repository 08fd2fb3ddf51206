"""Rows gathered chunk by chunk over a run and read back one block of keys at a time.

A run's event and per-orbit tables are ordered key-major (satellite, then time), but their rows
come time-major, chunk after chunk. Held in memory until the end they grow with the horizon (a
week of starlink-gen2: ~30 M contacts, ~4 M orbit rows). `KeyBlocks` keeps each block of keys'
rows in the order they were added and, once more than `spill_bytes` are held, appends them to
that block's file in a scratch folder; `blocks()` reads them back one block at a time, so memory
holds at most the threshold plus one block, whatever the horizon. The rows of a block come back
exactly as the in-memory path gives them (same rows, same order), so the tables are the same.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

# Rows held in memory by one store before they go to its scratch files.
SPILL_BYTES = 32 * 2**20


class KeyBlocks:
    """Rows (the fields of dtype, one of them the int key) kept per block of keys
    [edges[i], edges[i + 1]), in memory or, past spill_bytes, in files under scratch.

    scratch None keeps everything in memory. The store's folder (made on the first spill, inside
    scratch) is removed by close(), and by blocks() once the last block has been read.
    """

    def __init__(self, dtype: np.dtype, key: str, edges: np.ndarray, scratch: Path | None,
                 spill_bytes: int | None = None):
        self.dtype = np.dtype(dtype)
        self.key = key
        self.edges = np.asarray(edges, dtype=np.int64)
        self.scratch = scratch
        self.spill_bytes = SPILL_BYTES if spill_bytes is None else spill_bytes
        self.held: list[list[np.ndarray]] = [[] for _ in range(len(self.edges) - 1)]
        self.held_bytes = 0
        self.folder: Path | None = None
        self.spilled_rows = 0

    def add(self, columns: dict[str, np.ndarray]) -> None:
        """Add rows: a 1-D column (the same length) per field of the dtype."""
        key = np.asarray(columns[self.key])
        if key.size == 0:
            return
        rows = np.empty(key.size, self.dtype)
        for name in self.dtype.names:
            rows[name] = columns[name]
        block = np.searchsorted(self.edges, key, side="right") - 1
        if block.min() < 0 or block.max() >= len(self.held):
            raise ValueError(f"{self.key} outside [{self.edges[0]}, {self.edges[-1]})")
        order = np.argsort(block, kind="stable")  # a block's rows keep the order they came in
        cuts = np.searchsorted(block[order], np.arange(len(self.held) + 1))
        rows = rows[order]
        for b in np.flatnonzero(np.diff(cuts)):
            self.held[b].append(rows[cuts[b]:cuts[b + 1]])
        self.held_bytes += rows.nbytes
        if self.scratch is not None and self.held_bytes >= self.spill_bytes:
            self._spill()

    def _spill(self) -> None:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix=f"{self.key}-", dir=self.scratch))
        for b, parts in enumerate(self.held):
            if parts:
                with open(self._file(b), "ab") as f:
                    for part in parts:
                        part.tofile(f)
                        self.spilled_rows += part.size
                parts.clear()
        self.held_bytes = 0

    def _file(self, b: int) -> Path:
        return self.folder / f"{b}.rows"

    def blocks(self) -> Iterator[tuple[int, int, dict[str, np.ndarray]]]:
        """(lo, hi, columns) per block of keys, in key order: the block's rows in the order
        they were added (spilled ones first: they came first). Each block is let go once read."""
        try:
            for b in range(len(self.held)):
                parts = []
                path = self._file(b) if self.folder is not None else None
                if path is not None and path.exists():
                    parts.append(np.fromfile(path, self.dtype))
                    os.unlink(path)
                parts += self.held[b]
                self.held[b] = []
                rows = np.concatenate(parts) if parts else np.empty(0, self.dtype)
                yield (int(self.edges[b]), int(self.edges[b + 1]),
                       {name: np.ascontiguousarray(rows[name]) for name in rows.dtype.names})
        finally:
            self.close()

    def clear(self) -> None:
        """Forget every row (the live twin: no run folder to write)."""
        self.close()
        self.held = [[] for _ in self.held]

    def close(self) -> None:
        """Remove the scratch files; the rows still held stay."""
        self.held_bytes = sum(p.nbytes for parts in self.held for p in parts)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def block_edges(n: int, size: int, per: int = 1) -> np.ndarray:
    """Edges of blocks of `size` satellites over n satellites, in keys of `per` per satellite
    (contacts: one key per satellite and station); at least one block."""
    return np.r_[np.arange(0, max(n, 1), size), max(n, 1)] * per

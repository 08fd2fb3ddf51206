"""Rows kept per block of keys (orbitgrid.spill): spilled to files or held, they come back as
they went in, a block at a time, and the files go."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.spill import KeyBlocks, block_edges

ROW = np.dtype([("sat", np.int64), ("t", float), ("cut", bool)])


def _chunks(seed=3, n_chunks=9, n_keys=50):
    rng = np.random.default_rng(seed)
    out = []
    for c in range(n_chunks):
        k = rng.integers(0, n_keys, rng.integers(0, 40))
        out.append({"sat": k, "t": c + rng.random(k.size), "cut": rng.random(k.size) < 0.3})
    return out


@pytest.mark.parametrize("spill_bytes", [0, 200, 2**40])
def test_each_block_gives_its_rows_in_the_order_they_came(tmp_path, spill_bytes):
    chunks = _chunks()
    store = KeyBlocks(ROW, "sat", block_edges(50, 8), tmp_path, spill_bytes)
    for c in chunks:
        store.add(c)
    if spill_bytes < 2**40:
        assert store.spilled_rows > 0 and any(tmp_path.rglob("*.rows"))
    every = {f: np.concatenate([c[f] for c in chunks]) for f in ROW.names}
    seen = 0
    for lo, hi, rows in store.blocks():
        mine = (every["sat"] >= lo) & (every["sat"] < hi)
        for f in ROW.names:
            np.testing.assert_array_equal(rows[f], every[f][mine])
        seen += mine.sum()
    assert (lo, hi) == (48, 50) and seen == every["sat"].size
    assert list(tmp_path.iterdir()) == []  # the store's folder is gone


def test_a_key_outside_the_blocks_is_refused(tmp_path):
    store = KeyBlocks(ROW, "sat", block_edges(10, 4), tmp_path)
    with pytest.raises(ValueError, match="sat outside"):
        store.add({"sat": np.array([3, 10]), "t": np.zeros(2), "cut": np.zeros(2, bool)})


def test_close_removes_the_files_of_a_store_never_read(tmp_path):
    store = KeyBlocks(ROW, "sat", block_edges(50, 8), tmp_path, 0)
    for c in _chunks():
        store.add(c)
    assert any(tmp_path.rglob("*.rows"))
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_block_edges_cover_every_satellite_in_keys():
    np.testing.assert_array_equal(block_edges(10, 4), [0, 4, 8, 10])
    np.testing.assert_array_equal(block_edges(10, 4, per=3), [0, 12, 24, 30])
    np.testing.assert_array_equal(block_edges(0, 4), [0, 1])

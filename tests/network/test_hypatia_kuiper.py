"""A published case: Hypatia's Kuiper K1 end-to-end test, Manila to Dalian over 200 s.

Source: snkas/hypatia (Kassing et al., "Exploring the 'Internet from space' with Hypatia", IMC
2020), satgenpy/tests/test_end_to_end_kuiper.py and its data
satgenpy/tests/data_to_match/kuiper_630_networkx_rtt_1173_to_1241.txt (RTT every 100 ms).
Set-up there: Kuiper K1, 34 planes x 34 satellites, 630 km (14.8 rev/day), 51.9 deg, TLE epoch
2000-01-01 00:00 UTC, odd planes shifted by half a slot; plus-grid ISLs no longer than
2 sqrt((R + 630 km)^2 - (R + 80 km)^2) = 5,442.96 km (R = 6,378.135 km); ground links within
the slant range of a 30 deg cone, 630 km / sin 30 deg = 1,260 km; stations do not relay (routing
over ISLs only). Its figures (node ids: satellite k is "Kuiper-630 k"; Manila 1173, Dalian
1241): path changes at 18.0, 27.6, 74.3, 125.9 and 128.7 s; min RTT 25.229775 ms, max
48.165140 ms; hops 3 to 6.

Tolerances: the paths and the times they change must match exactly at the 100 ms step; RTTs
within 2 us (about 300 m of path: Hypatia places satellites with pyephem's SGP4 and stations on
WGS72, orbitgrid with the sgp4 package and WGS84).
"""

import numpy as np
import pytest

from orbitgrid.verify.cases import hypatia_kuiper_run, hypatia_rtt_series

# time (s), path (satellite numbers between Manila and Dalian), from the test's path trace
HYPATIA_PATHS = [
    (0.0, [184, 183, 217]),
    (18.0, [218, 217]),
    (27.6, [648, 649, 650, 616]),
    (74.3, [218, 217, 216, 250]),
    (125.9, [647, 648, 649, 650, 616]),
    (128.7, [647, 648, 649, 615]),
]
# time (s) -> RTT (ms), from kuiper_630_networkx_rtt_1173_to_1241.txt (ns there)
HYPATIA_RTT_MS = {
    0.0: 29.423137758228544,
    18.0: 25.34649250363251,
    27.5: 25.229775250687573,
    27.6: 41.14250355898298,
    50.0: 41.18579865504387,
    150.0: 42.234037942544386,
    180.0: 41.52717233883765,
}
HYPATIA_MIN_RTT_MS, HYPATIA_MAX_RTT_MS = 25.229775250687573, 48.165140010532916
RTT_TOLERANCE_MS = 2e-3


@pytest.fixture(scope="module")
def hypatia_run(tmp_path_factory):
    # the set-up above, built once for this test and `orbitgrid verify`
    return hypatia_kuiper_run(tmp_path_factory.mktemp("hypatia"))


def _series(run):
    """Seconds from 2000-01-01T00:00:00Z and RTT (ms) of the one route, in time order."""
    t, rtt = hypatia_rtt_series(run)
    assert np.all(np.diff(t) > 0)
    return t, rtt


def test_paths_and_path_changes_match_hypatia(hypatia_run):
    t, _ = _series(hypatia_run)
    changes, previous = [], None
    for when, path in zip(t, hypatia_run.table("routes")["path"].to_pylist(), strict=True):
        if path != previous:
            changes.append((round(when, 1), [int(n.split()[-1]) for n in path[1:-1]]))
            previous = path
    assert changes == HYPATIA_PATHS
    network = hypatia_run.summary["network"]["routes"][0]
    assert network["path_changes"] == 5
    assert network["hops"] == {"min": 3, "max": 6}


def test_rtt_matches_hypatia(hypatia_run):
    t, rtt = _series(hypatia_run)
    assert len(rtt) == 2001 and np.isfinite(rtt).all()
    for when, want in HYPATIA_RTT_MS.items():
        got = rtt[np.argmin(np.abs(t - when))]
        assert got == pytest.approx(want, abs=RTT_TOLERANCE_MS), when
    assert rtt.min() == pytest.approx(HYPATIA_MIN_RTT_MS, abs=RTT_TOLERANCE_MS)
    assert rtt.max() == pytest.approx(HYPATIA_MAX_RTT_MS, abs=RTT_TOLERANCE_MS)

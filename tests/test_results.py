"""The run tables' timestamps: UTC milliseconds after the epoch, null where a time is not finite."""

import subprocess
import sys

import numpy as np
import pyarrow as pa

from orbitgrid.results import utc_timestamps


def test_utc_timestamps_are_milliseconds_after_the_epoch_and_null_when_not_finite():
    epoch = np.datetime64("2026-05-13T00:00:00")
    got = utc_timestamps(epoch, [0.0, 1.5, 86_400.0004, -0.25, np.nan, np.inf])
    assert got.type == pa.timestamp("ms", tz="UTC")
    assert [None if x is None else x.isoformat() for x in got.to_pylist()] == [
        "2026-05-13T00:00:00+00:00",
        "2026-05-13T00:00:01.500000+00:00",
        "2026-05-14T00:00:00+00:00",
        "2026-05-12T23:59:59.750000+00:00",
        None,
        None,
    ]


def test_utc_timestamps_load_no_pyarrow_compute():
    # a cast would import pyarrow.compute (a tenth of a second or more) for runs that need none
    code = ("import sys, numpy as np; from orbitgrid.results import utc_timestamps; "
            "utc_timestamps(np.datetime64('2026-05-13'), [1.0, np.nan]); "
            "print('pyarrow.compute' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""Jobs: generators' work from first principles, arrivals, and the jobs file with its errors."""

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orbitgrid.errors import ScenarioError
from orbitgrid.ops.jobs import (
    ImagePasses,
    JobGenerator,
    arrival_times,
    generate,
    read_jobs_file,
)

EPOCH = datetime(2026, 6, 21, tzinfo=UTC)


def test_training_is_six_n_d_and_inference_two_n_per_token():
    train = generate(JobGenerator(kind="training", arrivals="once", parameters=7e9, tokens=1e12,
                                  satellites=4), 0, 3600, EPOCH, 0, [])
    assert train["work_flop"][0] == pytest.approx(6 * 7e9 * 1e12)
    assert train["min_satellites"][0] == train["max_satellites"][0] == 4
    assert train["checkpoint_bytes"][0] == pytest.approx(16 * 7e9)
    infer = generate(JobGenerator(kind="inference", arrivals="once", count=3, parameters=7e9,
                                  tokens=1000), 1, 3600, EPOCH, 0, [])
    assert np.allclose(infer["work_flop"], 2 * 7e9 * 1000)


def test_image_tiles_start_on_imaging_satellites():
    tiles = generate(JobGenerator(kind="sensing", rate_per_h=100, tile_pixels=1e6,
                                  flop_per_pixel=1e4), 0, 3600, EPOCH, 3, ["a", "b"])
    assert set(tiles["input_at"]) <= {"a", "b"}
    assert np.allclose(tiles["work_flop"], 1e10)
    assert np.allclose(tiles["input_bytes"], 2e6)


def test_imaging_arrivals_are_one_job_per_image():
    images = ImagePasses(time_s=np.array([50.0, 10.0]), satellite=np.array(["b", "a"]),
                         input_bytes=6e8, work_flop=4e13, precision="int8", output_bytes=1e4)
    gen = JobGenerator(kind="sensing", arrivals="imaging", deadline="5min")
    jobs = generate(gen, 2, 3600, EPOCH, 0, ["a", "b"], images)
    assert jobs["arrival"].tolist() == [10.0, 50.0]
    assert jobs["input_at"].tolist() == ["a", "b"]
    assert jobs["deadline"].tolist() == [310.0, 350.0]
    assert set(jobs["precision"]) == {"int8"}
    assert np.allclose(jobs["work_flop"], 4e13) and np.allclose(jobs["input_bytes"], 6e8)
    assert np.allclose(jobs["output_bytes"], 1e4)
    with pytest.raises(ScenarioError, match="generators.2: arrivals imaging needs a sensing"):
        generate(gen, 2, 3600, EPOCH, 0, ["a"], None)
    with pytest.raises(ValueError, match="arrivals imaging makes sensing jobs, not batch"):
        JobGenerator(kind="batch", arrivals="imaging")


def test_poisson_rate_and_diurnal_peak():
    rng = np.random.default_rng(0)
    t = arrival_times(JobGenerator(kind="batch", rate_per_h=600), 86_400 * 10, EPOCH, rng)
    assert len(t) == pytest.approx(600 * 240, rel=0.02)
    d = arrival_times(JobGenerator(kind="batch", arrivals="diurnal", rate_per_h=600,
                                   peak_hour_utc=12, amplitude=0.8), 86_400 * 10, EPOCH, rng)
    hour = (d / 3600) % 24
    noon, midnight = np.sum(np.abs(hour - 12) < 2), np.sum((hour < 2) | (hour > 22))
    assert noon / midnight == pytest.approx(1.8 / 0.2, rel=0.25)


def _write_csv(path, rows):
    path.write_text("\n".join(rows) + "\n")
    return path


def test_jobs_file_csv_and_parquet_agree(tmp_path):
    csv = _write_csv(tmp_path / "jobs.csv", [
        "id,kind,work_flop,arrival,deadline,input_at,min_satellites",
        "a,batch,1e15,2026-06-21T00:10:00Z,,Svalbard,",
        "b,inference,2e12,30,3600,,2",
    ])
    from_csv = read_jobs_file(csv, EPOCH)
    assert from_csv["arrival"].tolist() == [30.0, 600.0]  # ordered by arrival
    assert from_csv["id"].tolist() == ["b", "a"]
    assert from_csv["deadline"][1] == np.inf
    assert from_csv["min_satellites"].tolist() == [2, 1]
    table = pa.table({"id": ["a", "b"], "kind": ["batch", "inference"],
                      "work_flop": [1e15, 2e12], "arrival": [600.0, 30.0],
                      "deadline": [None, 3600.0], "input_at": ["Svalbard", None],
                      "min_satellites": [None, 2]})
    pq.write_table(table, tmp_path / "jobs.parquet")
    from_parquet = read_jobs_file(tmp_path / "jobs.parquet", EPOCH)
    for k in from_csv:
        assert from_csv[k].tolist() == from_parquet[k].tolist(), k


@pytest.mark.parametrize(("rows", "message"), [
    (["id,kind,work_flop,arrival,colour", "a,batch,1,0,red"], ":1: unknown column 'colour'"),
    (["id,kind,work_flop", "a,batch,1"], ":1: missing column 'arrival'"),
    (["id,kind,work_flop,arrival", "a,batch,1,0", "b,batch,-5,0"], ":3: work_flop: expected a"),
    (["id,kind,work_flop,arrival", "a,quantum,1,0"], ":2: kind: unknown kind 'quantum'"),
    (["id,kind,work_flop,arrival", "a,batch,1,yesterday"], ":2: arrival: cannot read"),
    (["id,kind,work_flop,arrival", "a,batch,,0"], ":2: work_flop: a value is required"),
])
def test_bad_jobs_files_name_file_line_and_column(tmp_path, rows, message):
    path = _write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ScenarioError) as info:
        read_jobs_file(path, EPOCH)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)

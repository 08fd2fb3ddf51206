"""The Operations stage in a run: determinism, invariants, and bad input through the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
import yaml

from orbitgrid.network.links import BAND_DEFAULTS, OpticalTerminal
from orbitgrid.scenario import validate_scenario
from orbitgrid.simulation import simulate

SCENARIO = {
    "name": "ops",
    "epoch": "2026-06-21T00:00:00Z",
    "duration": "4h",
    "step": "60s",
    "seed": 7,
    "constellations": [{
        "name": "gpus",  # a morning sun-synchronous plane of H100 satellites, eclipsed every orbit
        "sun_synchronous": {"satellites": 6, "altitude_km": 500, "ltan": "10:30"},
        "satellite": {"bus": "starcloud-1"},
        "isl": {"topology": "plus-grid"},
    }],
    "ground_stations": [{"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.41,
                         "min_elevation_deg": 10}],
    "workload": {
        "policy": "first-fit,follow-the-sun",
        "generators": [
            {"kind": "inference", "rate_per_h": 300, "parameters": 7e9, "tokens": 5e5,
             "deadline": "20min", "output_bytes": 1e6},
            {"kind": "sensing", "rate_per_h": 60, "output_bytes": 1e5},
            {"kind": "training", "arrivals": "once", "parameters": 1e8, "tokens": 1e10,
             "satellites": 3},
        ],
    },
}


def _run(path, save=(), **changes):
    return simulate(validate_scenario({**SCENARIO, **changes}), out=path, save=save)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("ops") / "run", save=("power",))


def test_same_scenario_and_seed_give_identical_tables(run, tmp_path):
    again = _run(tmp_path / "again", save=("power",))
    for name in ("jobs", "schedule", "transfers"):
        assert (run.path / f"{name}.parquet").read_bytes() == \
            (again.path / f"{name}.parquet").read_bytes(), name


def test_tables_and_summary(run):
    jobs = run.table("jobs")
    assert jobs.column_names == ["policy", "job", "kind", "arrival_time", "start_time", "end_time",
                                 "satellites", "state", "energy_j", "bytes_moved", "rollbacks",
                                 "migrations", "deadline_met"]
    ops = run.summary["ops"]
    assert [p["policy"] for p in ops["policies"]] == ["first-fit", "follow-the-sun"]
    assert ops["completed"] > 100
    steps = [w["step"] for w in ops["waterfall"]]
    assert steps[0] == "peak" and steps[-1] == "delivered to jobs"
    # the waterfall adds up: peak minus every loss is what was delivered
    total = sum(w["flop"] for w in ops["waterfall"][:-1])
    rounding = 1e-5 * sum(abs(w["flop"]) for w in ops["waterfall"])  # 6 digits each
    assert total == pytest.approx(ops["waterfall"][-1]["flop"], abs=rounding)
    # on the ground (no eclipse, no upsets, data at hand) the same jobs do at least as well
    base = ops["ground_baseline"]
    assert base["completed"] >= ops["completed"]
    assert base["completion_p99_s"] <= ops["completion_p99_s"]
    assert ops["binding_constraints"][0]["binding"] in ("power", "heat", "idle",
                                                       "data_and_links", "faults_and_recovery")


def _intervals(table, key):
    out = {}
    for k, s, e in zip(table.column(key).to_pylist(), table.column("start_time").to_numpy(),
                       table.column("end_time").to_numpy(), strict=True):
        out.setdefault(k, set()).add((s, e))
    return out


def test_no_satellite_runs_two_jobs_and_no_job_is_in_two_places(run):
    schedule = run.table("schedule")
    for policy in ("first-fit", "follow-the-sun"):
        rows = schedule.filter(pc.equal(schedule.column("policy"), policy))
        for key in ("satellite", "job"):
            for spans in _intervals(rows, key).values():
                spans = sorted(spans)
                for (_, e0), (s1, _) in zip(spans[:-1], spans[1:], strict=True):
                    assert s1 >= e0, (policy, key)


def test_jobs_never_draw_more_than_physics_allows(run):
    # energy of each job <= the compute power allowed integrated over its intervals, with the
    # battery and radiator of its own policy's closed loop
    power = run.table("power")
    t = power.column("time").cast("int64").to_numpy() / 1e3
    keys = list(zip(power.column("policy").to_pylist(), power.column("satellite").to_pylist(),
                    strict=True))
    watts = power.column("compute_w_allowed").to_numpy()
    allowed = {}
    for k, ts, w in zip(keys, t, watts, strict=True):
        allowed.setdefault(k, ([], []))
        allowed[k][0].append(ts)
        allowed[k][1].append(w)
    budget = {}
    schedule = run.table("schedule")
    ms = {c: schedule.column(c).cast("int64").to_numpy() / 1e3 for c in ("start_time", "end_time")}
    for policy, job, sat, s, e in zip(schedule.column("policy").to_pylist(),
                                      schedule.column("job").to_pylist(),
                                      schedule.column("satellite").to_pylist(),
                                      ms["start_time"], ms["end_time"], strict=True):
        ts, w = (np.asarray(x) for x in allowed[policy, sat])
        inside = (ts + 60 > s) & (ts < e)  # steps touching the interval
        budget[policy, job] = budget.get((policy, job), 0.0) + float((w[inside] * 60).sum())
    jobs = run.table("jobs")
    for key, energy in zip(zip(jobs.column("policy").to_pylist(), jobs.column("job").to_pylist(),
                               strict=True), jobs.column("energy_j").to_numpy(), strict=True):
        assert energy <= budget.get(key, 0.0) * (1 + 1e-9) + 1e-6, key
    assert jobs.column("energy_j").to_numpy().sum() > 0


def _seconds(column) -> np.ndarray:
    return column.cast("int64").to_numpy() / 1e3


def test_the_batteries_carry_the_load_the_schedule_ran(run):
    # The closed loop, per policy: the compute each satellite drew in physics (power.parquet),
    # step by step, is the energy its jobs drew in the engine (jobs.parquet), and no more than
    # was allowed at that step; the batteries march with it and never leave load unmet.
    power = run.table("power")
    jobs = run.table("jobs")
    policies = ("first-fit", "follow-the-sun")
    assert set(power.column("policy").to_pylist()) == set(policies)
    batteries = []
    for policy in policies:
        rows = power.filter(pc.equal(power.column("policy"), policy))
        dt = rows.column("duration_s").to_numpy()
        compute = rows.column("compute_w").to_numpy()
        assert (compute <= rows.column("compute_w_allowed").to_numpy() + 1e-6).all()
        assert rows.column("unmet_wh").to_numpy().max() <= 1e-9  # rounding
        drawn = jobs.filter(pc.equal(jobs.column("policy"), policy)).column("energy_j")
        assert (compute * dt).sum() == pytest.approx(drawn.to_numpy().sum(), rel=1e-9)
        batteries.append(rows.column("battery_wh").to_numpy())
    # two schedules, two closed loops: the batteries differ
    assert not np.array_equal(*batteries)


def test_transfers_share_links_within_their_ceilings(run):
    # each link's transfers queue (no overlap) and none, with the all-reduce beside it on an ISL
    # terminal, beats the link's ceiling
    transfers = run.table("transfers")
    kind = np.array(transfers.column("kind").to_pylist(), dtype=object)
    assert set(kind) <= {"transfer", "allreduce"}
    ring = kind == "allreduce"
    assert (~ring).sum() > 100
    start, end = _seconds(transfers.column("start_time")), _seconds(transfers.column("end_time"))
    nbytes = transfers.column("bytes").to_numpy()
    keys = list(zip(transfers.column("policy").to_pylist(), transfers.column("link").to_pylist(),
                    strict=True))
    ka = BAND_DEFAULTS["ka"]["rate_bps"]  # one rate model up and down
    ceiling = {"isl": OpticalTerminal().ceiling_bps, "up": ka, "down": ka}
    for key in dict.fromkeys(keys):
        on = np.array([k == key for k in keys])
        rate = ceiling[key[1].partition(":")[0]]
        rs, re, rb = start[on & ring], end[on & ring], nbytes[on & ring]
        assert (rb * 8 <= rate * (re - rs + 2e-3)).all(), key
        order = np.argsort(start[on & ~ring], kind="stable")
        s, e, b = (x[on & ~ring][order] for x in (start, end, nbytes))
        done = np.isfinite(e)  # only the last on a link may never finish
        assert done[:-1].all() and (s[1:] >= e[:-1] - 1e-3).all(), key
        beside = np.array([rb[(rs >= a - 1e-3) & (re <= z + 1e-3)].sum() for a, z in zip(s, e,
                                                                                    strict=True)])
        assert ((b + beside)[done] * 8 <= rate * (e[done] - s[done] + 2e-3)).all(), key


def test_isl_rate_is_the_link_budget_at_the_neighbour_distance(tmp_path):
    # one plane of 6 at 1,200 km: each satellite's best ISL is its in-plane neighbour, a chord
    # of 2 a sin(30 deg) = a, where the default 10 cm terminals are budget-limited, far field:
    # received = P L x 2 (pi w0 a_rx / (lambda d))^2 (Gaussian beam), rate = received / E_bit.
    a = 6378.137e3 + 1200e3
    term = OpticalTerminal()
    lam = term.wavelength_nm * 1e-9
    w0, a_rx = term.tx_aperture_m / 2, term.rx_aperture_m / 2
    received = (term.tx_power_w * 10 ** (-(term.pointing_loss_db + term.other_losses_db) / 10)
                * 2 * (np.pi * w0 * a_rx / (lam * a)) ** 2)
    expected = received / (100 * 6.62607015e-34 * 299_792_458.0 / lam)
    assert expected < term.ceiling_bps / 2
    scenario = {**SCENARIO, "duration": "1h", "constellations": [{
        "name": "ring", "walker": {"satellites": 6, "planes": 1, "altitude_km": 1200,
                                   "inclination_deg": 53},
        "satellite": {"bus": "starcloud-1"}, "isl": {"topology": "plus-grid"}}],
        "workload": {"generators": [{"kind": "sensing", "rate_per_h": 30, "tile_pixels": 1e10,
                                     "flop_per_pixel": 1e3}]}}
    run = simulate(validate_scenario(scenario), out=tmp_path / "ring")
    transfers = run.table("transfers")
    isl = np.array([x.startswith("isl:") for x in transfers.column("link").to_pylist()])
    assert isl.sum() >= 5
    took = (_seconds(transfers.column("end_time")) - _seconds(transfers.column("start_time")))[isl]
    rate = transfers.column("bytes").to_numpy()[isl] * 8 / took
    # 1 %: the osculating radius moves the chord by a few km (rate ~ 1 / d^2), times in ms
    assert rate == pytest.approx(np.full(isl.sum(), expected), rel=0.01)


def test_imaging_passes_become_sensing_jobs_on_the_imaging_satellites(tmp_path):
    scenario = {**SCENARIO, "duration": "3h",
                "sensing": {"swath_km": 2000, "random_events": {"count": 12, "seed": 1}},
                "workload": {"policy": "data-local",
                             "generators": [{"kind": "sensing", "arrivals": "imaging"}]}}
    run = simulate(validate_scenario(scenario), out=tmp_path / "imaging")
    images = run.table("alerts")
    imaged = np.asarray(images.column("satellite").is_valid())
    assert 2 <= imaged.sum() < len(imaged)  # some events seen in 3 h, not all
    jobs = run.table("jobs").sort_by("arrival_time")
    image_s = np.sort(_seconds(images.column("image_time"))[imaged])
    assert _seconds(jobs.column("arrival_time")) == pytest.approx(image_s, abs=1e-3)
    assert set(jobs.column("kind").to_pylist()) == {"sensing"}
    by_time = dict(zip(_seconds(images.column("image_time")).tolist(),
                       images.column("satellite").to_pylist(), strict=True))
    ran = jobs.column("satellites").to_pylist()
    done = [s == "done" for s in jobs.column("state").to_pylist()]
    assert any(done)
    for t, sat, ok in zip(_seconds(jobs.column("arrival_time")).tolist(), ran, done, strict=True):
        if ok:  # data-local: where the image is
            assert sat == by_time[t]
    # no image crossed an ISL: the bytes moved are the alerts going down
    assert jobs.column("bytes_moved").to_numpy().max() <= 10e3


def test_imaging_without_a_sensing_block_is_a_scenario_error(tmp_path):
    scenario = {**SCENARIO, "duration": "10min",
                "workload": {"generators": [{"kind": "sensing", "arrivals": "imaging"}]}}
    with pytest.raises(Exception, match="workload.generators.0: arrivals imaging needs a "
                                        "sensing: block"):
        simulate(validate_scenario(scenario), out=tmp_path / "x")


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "orbitgrid.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                                              *sys.path]), "PATH": "/usr/bin"})


@pytest.mark.parametrize(("change", "message"), [
    ({"workload": {"policy": "fastest"}}, "workload.policy: unknown policy 'fastest'"),
    ({"jobs_file": "jobs.csv"}, "jobs.csv:3: work_flop: expected a non-negative number, got 'x'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, change, message):
    (tmp_path / "jobs.csv").write_text("id,kind,work_flop,arrival\na,batch,1e12,0\nb,batch,x,0\n")
    scenario = {**SCENARIO, "duration": "10min", **change}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    proc = _cli("run", "s.yaml", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_compares_policies_side_by_side(tmp_path):
    scenario = {**SCENARIO, "duration": "30min"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    proc = _cli("run", "s.yaml", "--out", "out", "--policy", "edf,ops_user_policy:LastFree",
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if "edf" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == ["figure", "edf", "last-free"]
    assert "binding constraint" in proc.stdout


def test_groups_without_the_reference_precision_stay_out_of_the_waterfall(tmp_path):
    """showcase: the imagers' 744-TOPS computer has int8 only, the waterfall counts bf16 FLOP,
    so the imagers get no binding constraint (not a made-up one); the H100 shell does."""
    from orbitgrid.scenario import load_scenario

    sc = load_scenario("showcase").model_copy(update={"duration": 1800.0})
    ops = simulate(sc, out=tmp_path / "run").summary["ops"]
    by_group = {b["group"]: b for b in ops["binding_constraints"]}
    assert by_group["imagers"]["binding"] is None
    assert by_group["imagers"]["note"] == "no bf16 peak"
    shell = [b for g, b in by_group.items() if g.startswith("shell")]
    assert shell and all(b["binding"] in ("power", "heat", "idle", "data_and_links",
                                          "faults_and_recovery", "redundancy") for b in shell)


def test_isl_rate_follows_the_geometry_step_by_step():
    # two polar satellites at 500 km in planes 90 deg apart meet over the poles: their link
    # shortens and lengthens every half orbit, and the Earth blocks it near the equator; a weak
    # laser (20 mW) keeps the rate below the terminal's ceiling, falling with distance
    from orbitgrid.network.links import optical_isl_rate_bps
    from orbitgrid.network.stage import NetworkStage
    from orbitgrid.ops.stage import OpsStage
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.physics.stage import PhysicsStage
    from orbitgrid.pipeline import RunContext, build_world

    a_km = 6378.137 + 500
    scenario = validate_scenario({**SCENARIO, "duration": "3h", "constellations": [{
        "name": "pair", "satellite": {"bus": "starcloud-1"},
        "isl": {"topology": "nearest", "nearest": 1, "terminal": {"tx_power_w": 0.02}},
        "elements": [{"a_km": a_km, "i_deg": 90, "raan_deg": raan, "name": f"p{raan}"}
                     for raan in (0, 90)]}]})
    world = build_world(scenario)
    context = RunContext(world, None)
    physics = PhysicsStage.create(context)
    stage = OpsStage.create(context, physics)
    network = NetworkStage.create(context)
    t = world.steps_s
    samples = Samples(scenario.epoch64, t, *world.exact_states(t))
    kept = stage.block(samples, physics.block(samples), network.block(samples))
    isl = kept.isl_bps[:-1]  # the last sample lasts 0 s
    assert isl.shape == (len(t) - 1, 2) and isl.dtype == np.float32
    assert (isl[:, 0] == isl[:, 1]).all()  # one link, its rate at both ends
    r = samples.r_ecef[:-1]
    # equal radii: the chord's closest point to the centre is its midpoint
    clear = np.linalg.norm(r[:, 0] + r[:, 1], axis=-1) / 2 > 6378.137e3 + 80e3
    assert 0.2 < clear.mean() < 0.8
    assert (isl[~clear, 0] == 0).all()
    budget = optical_isl_rate_bps(np.linalg.norm(r[:, 1] - r[:, 0], axis=-1),
                                  scenario.constellations[0].isl.terminal)
    assert isl[clear, 0] == pytest.approx(budget[clear], rel=1e-6)
    assert isl[clear, 0].max() > 2 * isl[clear, 0].min()  # it varies: no single figure


def test_report_plots_one_policy_closed_loop(run):
    # power.parquet holds one closed loop per policy; the report's power plots show the first
    # policy's, each satellite's line with one point per step, and say which policy
    from orbitgrid.report.plots import power_plots

    chosen = sorted(set(run.table("power").column("satellite").to_pylist()))[:2]
    steps = 4 * 60  # 4 h at 60 s
    for plot in power_plots(run, chosen):
        assert plot.title.endswith("(first-fit)"), plot.title
        for trace in plot.figure.data:
            assert len(trace.x) in (steps, steps + 1), (plot.title, trace.name)


def test_a_workload_with_no_jobs_runs_and_counts_none(tmp_path):
    # a policy with nothing to place: the tables are empty, the figures zero, not a crash
    ops = _run(tmp_path / "idle", duration="1h", workload={"policy": "first-fit"}).summary["ops"]
    assert ops["jobs"] == 0 and ops["completed"] == 0 and ops["deadline_misses"] == 0

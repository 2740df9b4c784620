"""Corpus generation at scale (issue 14): determinism, scale-out, per-core rate, streaming-train memory.

Measures, in one run, on ``examples/corpus-bench.toml``:

1. manifest sha256 of the corpus made in-process, by 2 local Ray workers, after a ``kill -9`` mid-run
   + resume, and by an existing Ray cluster (``ray start --head`` + ``--ray-address auto``);
2. recordings/s in-process vs 2 warm Ray workers (Ray start-up timed apart) → scale-out ×;
3. the per-core rate of motion + simulate + write (seconds of data per CPU second) vs the 1000× goal,
   and how the CPU time splits between the three;
4. peak memory (max RSS) of ``train`` streaming a 20 000-recording corpus vs a 2 000-recording one
   (and the in-memory path on the large one, for reference).

Writes ``benchmarks/results/generate.md`` and ``generate.targets.json``.

    .venv/bin/python benchmarks/bench_generate.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _targets import Target, combine, command_line, status, write_targets

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = ROOT / "examples" / "corpus-bench.toml"
IMUFORGE = Path(sys.executable).with_name("imuforge")
RAY = Path(sys.executable).with_name("ray")
QUIET = {**os.environ, "IMUFORGE_PROGRESS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
#: the memory corpora: short, cheap recordings (2 windows each), so 20 000 of them take minutes
MEMORY_SPEC = dict(name="memory", seed=0, activities=["standing", "sitting", "lying", "cycling", "jumping"],
                   profiles=["nano33-ble-sense-rev2"], placements=["default"], seconds=4.0, fps=50.0,
                   wear_variation="rotation,offset,flips,side", shard_size=500)


def manifest_hash(folder: Path) -> str:
    return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()


def timed_corpus(spec, out: Path, **kw) -> dict:
    """Generate, noting when each shard lands; wall and CPU seconds of this process.

    The per-person caches of this process are emptied first, so every run is timed as a fresh process
    makes the corpus (they fill again during the run, as they do in any run or Ray worker).
    """
    from imuforge.synth import clear_caches
    from imuforge.synth.corpus import generate_corpus

    clear_caches()
    t0, c0 = time.perf_counter(), time.process_time()
    res = generate_corpus(spec, out, **kw)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert res.complete, res.failures
    return {"wall_s": wall, "cpu_s": cpu, "recordings": res.made_recordings, "data_s": res.duration_s,
            "rate": res.made_recordings / wall, "hash": manifest_hash(out)}


def warm_ray(workers: int, spec) -> float:
    """Start a local Ray and warm every worker as this process is warmed before its timed runs (one shard
    made: imports and per-process set-up done, then the per-person caches emptied); returns the seconds."""
    import ray

    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR, object_store_memory=256 * 1024 * 1024)

    @ray.remote(num_cpus=1)
    def touch(spec):
        from imuforge.synth import clear_caches
        from imuforge.synth.corpus import make_plan, make_shard

        make_shard(make_plan(spec), 0)
        clear_caches()
        time.sleep(0.5)
        return os.getpid()

    ray.get([touch.remote(spec) for _ in range(2 * workers)])
    return time.perf_counter() - t0


def split_cpu(spec, n: int = 12) -> dict:
    """CPU seconds of motion, simulate and shard write for ``n`` takes spread over the spec (one BLAS
    thread and freed memory kept, as ``make_shard`` runs them)."""
    from imuforge.synth import clear_caches, keep_freed_memory, single_threaded

    clear_caches()
    keep_freed_memory()
    with single_threaded():
        return _split_cpu(spec, n)


def _split_cpu(spec, n: int) -> dict:
    from imuforge.recording import shard_bytes
    from imuforge.synth import Profiles, person_motion, record, source_key
    from imuforge.synth.corpus import make_plan

    plan = make_plan(spec)
    profiles = Profiles()
    t = {"motion": 0.0, "simulate": 0.0, "write": 0.0}
    recs, data_s = [], 0.0
    # spread over the activities and placements (an even step would keep one placement of each person)
    picks = np.unique(np.linspace(0, len(plan.takes) - 1, n).round().astype(int))
    for take in (plan.takes[i] for i in picks):
        src = plan.sources[take.source]
        c = time.process_time()
        m = person_motion(src, take.person, seed=spec.seed, fps=spec.fps, variation=spec.variation)
        t["motion"] += time.process_time() - c
        c = time.process_time()
        prof = profiles.get(take.profile)
        rec = record(m, prof, profiles.placement(take.profile, take.placement), seed=spec.seed, person=take.person,
                     key=source_key(src), wear=spec.wear_variation)
        t["simulate"] += time.process_time() - c
        recs.append((take.name(src), rec))
        data_s += rec.duration_s
    c = time.process_time()
    shard_bytes(recs)
    t["write"] += time.process_time() - c
    return {**t, "data_s": data_s, "takes": len(picks)}


def duration_split(spec, n: int = 48, stretch: float = 4.0) -> dict:
    """Fixed and per-second CPU cost of a take, per stage: :func:`split_cpu` of the same ``n`` cells of
    the plan (activity, person, placement) at the spec's duration and at ``stretch`` × it, fitted as
    cost = fixed + per_second × duration on the two runs' mean durations. The fixed part (a gait's
    closure, the error terms' draws, a shard's metadata) does not shrink with shorter takes; the
    per-second part is what long ones approach."""
    from dataclasses import replace

    runs = [split_cpu(replace(spec, seconds=s), n) for s in (spec.seconds, stretch * spec.seconds)]
    T = [r["data_s"] / r["takes"] for r in runs]  # mean take duration, s
    out: dict = {"seconds": T, "takes": runs[0]["takes"]}
    for stage in ("motion", "simulate", "write"):
        c = [r[stage] / r["takes"] for r in runs]  # CPU s per take
        per_s = (c[1] - c[0]) / (T[1] - T[0])
        out[stage] = {"fixed_ms": 1e3 * (c[0] - per_s * T[0]), "per_s_ms": 1e3 * per_s}
    for i in range(2):
        cpu = sum(runs[i][k] for k in ("motion", "simulate", "write"))
        out[f"rate_{i}"] = runs[i]["data_s"] / cpu
    return out


def kill_and_resume(spec_path: Path, out: Path, after_shards: int = 3) -> dict:
    from imuforge.synth.corpus import generate_corpus
    from imuforge.synth.spec import load_spec

    proc = subprocess.Popen([str(IMUFORGE), "generate", str(spec_path), "--out", str(out)], env=QUIET,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and len(list((out / ".progress").glob("shard-*.json"))) < after_shards:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list((out / ".progress").glob("shard-*.json")))
    res = generate_corpus(load_spec(spec_path), out)
    return {"killed_after": done, "skipped": res.skipped, "made": res.made, "hash": manifest_hash(out)}


def on_cluster(spec_path: Path, out: Path) -> dict:
    """``ray start --head`` (its own session, ended by us), then ``imuforge generate --ray-address auto``."""
    log = out.parent / "ray-head.log"
    head = subprocess.Popen([str(RAY), "start", "--head", "--num-cpus", "2", "--port", "6390", "--block",
                             "--include-dashboard", "false", "--disable-usage-stats"],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "ray start --address" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        cmd = [str(IMUFORGE), "generate", str(spec_path), "--out", str(out), "--ray-address", "auto"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=QUIET, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        ok = proc.returncode == 0
        return {"exit": proc.returncode, "wall_s": wall, "hash": manifest_hash(out) if ok else None,
                "command": f"imuforge generate {spec_path.relative_to(ROOT)} --out DIR --ray-address auto",
                "stderr": proc.stderr[-500:]}
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


def train_child(corpus: str, out: str, mode: str) -> None:
    """Run in a fresh process: train one epoch, print the peak RSS and seconds as JSON."""
    from imuforge.train import TrainConfig, train

    t0 = time.perf_counter()
    cfg = TrainConfig(data=[corpus], epochs=1, seed=0, stream=mode, batch_size=128)
    run = train(cfg, out, overwrite=True)
    d = json.loads((run.path / "data.json").read_text())
    print(json.dumps({"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "seconds": time.perf_counter() - t0,
                      "windows": sum(d["windows"]["train"].values()) + sum(d["windows"]["validation"].values())}))


def train_memory(corpus: Path, tmp: Path, mode: str) -> dict:
    out = tmp / f"run-{corpus.name}-{mode}"
    proc = subprocess.run([sys.executable, __file__, "--train-child", str(corpus), str(out), mode], env=QUIET,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"train on {corpus} failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory_corpora(tmp: Path, people: tuple[int, int]) -> dict:
    from imuforge.synth.spec import CorpusSpec

    out = {}
    for n in people:
        spec = CorpusSpec.from_dict(dict(MEMORY_SPEC, people=n))
        folder = tmp / f"memory-{spec.recordings}"
        r = timed_corpus(spec, folder, workers=2)
        out[spec.recordings] = {"path": folder, "gen": r}
    return out


def measure(quick: bool, tmp: Path) -> dict:
    from imuforge.synth.spec import load_spec

    spec = load_spec(SPEC)
    r: dict = {"spec": str(SPEC.relative_to(ROOT)), "recordings": spec.recordings, "load_before": os.getloadavg()[0]}
    split_cpu(spec, n=2)  # warm this process (imports, caches) before anything is timed
    first = timed_corpus(spec, tmp / "here")
    r["split"] = split_cpu(spec)
    r["duration"] = duration_split(spec)
    r["ray_start_s"] = warm_ray(2, spec)
    r["ray2"] = timed_corpus(spec, tmp / "ray2", workers=2)
    import ray

    ray.shutdown()
    r["resume"] = kill_and_resume(SPEC, tmp / "killed")
    r["cluster"] = on_cluster(SPEC, tmp / "cluster")
    last = timed_corpus(spec, tmp / "here-again")
    # the in-process reference: run first and last; different hashes mean the code changed during the run
    r["code_stable"] = first["hash"] == last["hash"]
    # the 1-worker rate: the mean of the runs before and after the Ray runs (the load of the shared cores drifts)
    r["here"] = dict(last, rate=(first["rate"] + last["rate"]) / 2, rates=(first["rate"], last["rate"]),
                     wall_s=(first["wall_s"] + last["wall_s"]) / 2, cpu_s=first["cpu_s"] + last["cpu_s"],
                     data_s=first["data_s"] + last["data_s"])
    people = (40, 400) if quick else (400, 4000)
    corpora = memory_corpora(tmp, people)
    r["memory"] = {}
    for n, c in corpora.items():
        r["memory"][n] = {"gen": c["gen"], "stream": train_memory(c["path"], tmp, "on")}
    big = max(corpora)
    r["memory"][big]["in_memory"] = train_memory(corpora[big]["path"], tmp, "off")
    r["load_after"] = os.getloadavg()[0]
    return r


def figures(r: dict) -> dict:
    h, s = r["here"], r["split"]
    small, big = sorted(r["memory"])
    return {"scale": r["ray2"]["rate"] / h["rate"],
            "rt_per_core": h["data_s"] / h["cpu_s"],
            "rt_split": s["data_s"] / (s["motion"] + s["simulate"] + s["write"]),
            "same_ray": r["ray2"]["hash"] == h["hash"], "same_resume": r["resume"]["hash"] == h["hash"],
            "same_cluster": r["cluster"]["hash"] == h["hash"],
            "mem_ratio": r["memory"][big]["stream"]["max_rss_mb"] / r["memory"][small]["stream"]["max_rss_mb"],
            "small": small, "big": big}


def report_markdown(r: dict, f: dict) -> str:
    h, s, m = r["here"], r["split"], r["memory"]
    cpu = s["motion"] + s["simulate"] + s["write"]
    L = ["# Corpus generation at scale (issue 14)", "",
         f"Command: `{command_line()}`; spec `{r['spec']}` ({r['recordings']} recordings); {os.cpu_count()} shared "
         f"cores, 1-min load average {r['load_before']:.1f} before, {r['load_after']:.1f} after (other work ran on "
         "the same cores: rates are lower bounds).", "",
         "## Same bytes whoever makes them", "",
         "The in-process reference ran first and last: " + ("same hash both times (the code did not change "
         "during the run)." if r["code_stable"] else "**different hashes: the code changed during the run**; "
         "rows compare with the last run."), "",
         "| run | manifest sha256 | identical to in-process |", "|---|---|---|",
         f"| in-process (1 worker) | `{h['hash'][:16]}…` | — |",
         f"| 2 local Ray workers (`--workers 2`) | `{r['ray2']['hash'][:16]}…` | {f['same_ray']} |",
         f"| killed (-9) after {r['resume']['killed_after']} shards, then resumed ({r['resume']['skipped']} skipped, "
         f"{r['resume']['made']} made) | `{r['resume']['hash'][:16]}…` | {f['same_resume']} |",
         f"| Ray cluster: `ray start --head` + `{r['cluster']['command']}` | "
         f"`{(r['cluster']['hash'] or 'failed')[:16]}…` | {f['same_cluster']} |", "",
         "## Scale-out and per-core rate", "",
         "| engine | recordings/s | wall s | notes |", "|---|---|---|---|",
         f"| in-process | {h['rate']:.1f} | {h['wall_s']:.1f} | mean of a run before ({h['rates'][0]:.1f}) and after "
         f"({h['rates'][1]:.1f}) the Ray runs; {h['data_s'] / h['cpu_s']:.0f}× real time per CPU second |",
         f"| 2 local Ray workers | {r['ray2']['rate']:.1f} | {r['ray2']['wall_s']:.1f} | after a {r['ray_start_s']:.1f} s "
         "Ray start and warm-up of each worker (one shard, then its caches emptied; timed apart) |", "",
         f"Scale-out: **{f['scale']:.2f}×** with 2 workers (target ≥ 1.6×).", "",
         f"Per core, motion + simulate + write: **{f['rt_per_core']:.0f}× real time** (seconds of data per CPU "
         f"second of the in-process run; goal 1000×). Over {s['takes']} takes spread across the spec "
         f"({f['rt_split']:.0f}× there) the CPU time splits: motion {100 * s['motion'] / cpu:.0f} %, "
         f"simulate {100 * s['simulate'] / cpu:.0f} %, shard write {100 * s['write'] / cpu:.0f} %.", "",
         *duration_lines(r["duration"]),
         "## Training memory, streamed", "",
         "| corpus | windows | peak RSS (MB) | train s (1 epoch) |", "|---|---|---|---|"]
    for n in sorted(m):
        L.append(f"| {n} recordings, streamed | {m[n]['stream']['windows']} | {m[n]['stream']['max_rss_mb']:.0f} | "
                 f"{m[n]['stream']['seconds']:.0f} |")
    big = f["big"]
    L.append(f"| {big} recordings, in memory (`--stream off`) | {m[big]['in_memory']['windows']} | "
             f"{m[big]['in_memory']['max_rss_mb']:.0f} | {m[big]['in_memory']['seconds']:.0f} |")
    L += ["", f"Streamed peak memory, {big} vs {f['small']} recordings: **{f['mem_ratio']:.2f}×** (target ≤ 1.5×).",
          f"The memory corpora ({MEMORY_SPEC['seconds']:g} s recordings) were made with `--workers 2` at "
          + ", ".join(f"{m[n]['gen']['rate']:.0f} rec/s ({n})" for n in sorted(m)) + "."]
    return "\n".join(L) + "\n"


def duration_lines(d: dict) -> list[str]:
    """Where the per-core rate goes: the fixed and per-second cost of a take, per stage."""
    stages = ("motion", "simulate", "write")
    fixed = sum(d[k]["fixed_ms"] for k in stages)
    per_s = sum(d[k]["per_s_ms"] for k in stages)
    t0, t1 = d["seconds"]
    rows = [f"| {k} | {d[k]['fixed_ms']:.1f} | {d[k]['per_s_ms']:.2f} |" for k in stages]
    out = [f"Fixed and per-second CPU cost of a take ({d['takes']} cells of the plan spread across its "
           f"activities and placements, made at {t0:.3g} s and at {t1:.3g} s; cost = fixed + per second × "
           "duration, two points; each take makes its own motion, where the corpus shares one between a "
           "person's placements):", "",
           "| stage | fixed ms per take | ms per second of data |", "|---|---|---|", *rows,
           f"| all | {fixed:.1f} | {per_s:.2f} |", "",
           f"These takes ran at {d['rate_0']:.0f}× real time at {t0:.3g} s and {d['rate_1']:.0f}× at {t1:.3g} s."]
    if fixed > 0 and per_s > 0:
        out[-1] += (f" Longer such takes approach {1e3 / per_s:.0f}× (the per-second cost alone); at "
                    f"{t0:.3g} s the fixed cost is {100 * fixed / (fixed + per_s * t0):.0f} % of a take's CPU.")
    else:
        out[-1] += " The two-point fit is not usable here (a cost came out ≤ 0: a loaded machine?)."
    return out + [""]


def target_rows(r: dict, f: dict) -> list[Target]:
    same = {"2 workers": status(float(f["same_ray"]), at_least=1), "kill -9 + resume":
            status(float(f["same_resume"]), at_least=1), "Ray cluster": status(float(f["same_cluster"]), at_least=1)}
    return [
        Target("14 corpus", "byte-identical manifest: 1 vs 2 workers, after kill -9 + resume, on a cluster",
               ", ".join(f"{k}: {'identical' if v.verdict == 'met' else 'different'}" for k, v in same.items()),
               "in-process run of the same spec", combine(same), {k: v.verdict for k, v in same.items()}),
        Target("14 corpus", "scale-out ≥ 1.6× with 2 workers on 2 cores", f"{f['scale']:.2f}× "
               f"({r['ray2']['rate']:.1f} vs {r['here']['rate']:.1f} rec/s)", "in-process (1 worker)",
               status(f["scale"], at_least=1.6, unit="×", note=f"load avg {r['load_before']:.1f}"),
               {"scale_x": f["scale"], "rate_1": r["here"]["rate"], "rate_2": r["ray2"]["rate"]}),
        Target("14 corpus", "motion + simulate + write ≥ 1000× real time per core",
               f"{f['rt_per_core']:.0f}× per core", "—", status(f["rt_per_core"], at_least=1000, unit="×"),
               {"rt_per_core": f["rt_per_core"], "rt_split_takes": f["rt_split"]}),
        Target("14 corpus", f"train peak memory, {f['big']} vs {f['small']} recordings, ≤ 1.5×",
               f"{f['mem_ratio']:.2f}× ({r['memory'][f['big']]['stream']['max_rss_mb']:.0f} vs "
               f"{r['memory'][f['small']]['stream']['max_rss_mb']:.0f} MB)", "in-memory path on the large corpus: "
               f"{r['memory'][f['big']]['in_memory']['max_rss_mb']:.0f} MB",
               status(f["mem_ratio"], at_most=1.5, unit="×"), {"ratio": f["mem_ratio"]}),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="memory corpora of 200 / 2 000 recordings")
    ap.add_argument("--train-child", nargs=3, metavar=("CORPUS", "OUT", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.train_child:
        train_child(*args.train_child)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as d:
        r = measure(args.quick, Path(d))
    f = figures(r)
    page = report_markdown(r, f)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "generate.md").write_text(page)
    print(page)
    write_targets("generate", target_rows(r, f))
    return 0


if __name__ == "__main__":
    sys.exit(main())

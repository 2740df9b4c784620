"""``imuforge demo``: the whole pipeline on an emulated wearable, end to end, in about a minute.

Steps (each timed, its outputs under ``--out``):

1. start an emulated wearable (``nano33-ble-sense-rev2``) on a pseudo-terminal, in its own process;
2. capture a short calibration recording from it over the serial path (the wearable lying on the desk);
3. synthesise labelled data for its profile and placement from text descriptions (motion library);
4. calibrate the synthetic data against the capture (device fit: noise, bias, timing);
5. train a tiny CNN for a few epochs, with the classical augmentation docs/TRAINING.md recommends;
6. export it to int8 TFLite (C files, model card, TFLM reference outputs);
7. "flash" the emulated wearable with the model (restart it with the model) and run HIL;
8. print a one-screen summary with the paths of the reports.

A step that cannot run (a layer missing, a failure) is reported as skipped with the reason; the
steps after it use what exists (e.g. training on the uncalibrated data) or are skipped too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILE = "nano33-ble-sense-rev2"

#: Text descriptions → labelled synthetic data (the IMUGPT idea: text → motion → virtual IMU).
DESCRIPTIONS = [
    "a person walks briskly in a park",
    "an elderly man walks slowly",
    "a woman strolls leisurely in the evening",
    "a person jogs at an easy pace",
    "a young man runs fast outside",
    "a person stands still waiting for the bus",
    "an office worker sits on a chair",
    "a person walks up the stairs",
    "a person walks down the stairs",
    "a person descends a staircase slowly",
    "someone lies on a bed",
]
QUICK_DESCRIPTIONS = ["a person walks briskly in a park", "a young man runs fast outside",
                      "a person stands still waiting for the bus", "an office worker sits on a chair"]


@dataclass
class Settings:
    quick: bool
    seed: int
    capture_s: float
    motions_per_text: int
    motion_s: float
    epochs: int
    descriptions: list[str]
    matcher: str
    window_s: float = 2.56
    stride_s: float = 1.28
    rate_hz: float = 50.0


@dataclass
class Step:
    name: str
    status: str = "pending"  # ok | skipped | failed
    seconds: float = 0.0
    detail: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


class Demo:
    def __init__(self, out: Path, settings: Settings):
        self.out = out
        self.s = settings
        self.steps: list[Step] = []
        self.state: dict[str, Any] = {}
        self.emulator: subprocess.Popen | None = None
        self.t0 = time.monotonic()

    # ------------------------------------------------------------------ plumbing
    def step(self, n: int, total: int, name: str, fn: Callable[[Step], None], needs: tuple[str, ...] = ()) -> Step:
        st = Step(name)
        self.steps.append(st)
        print(f"[{n}/{total}] {name} …", file=sys.stderr, flush=True)
        missing = [k for k in needs if k not in self.state]
        if missing:
            st.status, st.detail = "skipped", f"needs {', '.join(missing)} (an earlier step did not produce it)"
        else:
            t = time.monotonic()
            try:
                fn(st)
                st.status = "ok" if st.status == "pending" else st.status
            except (ImportError, ModuleNotFoundError) as exc:
                st.status, st.detail = "skipped", f"layer not available: {exc}"
            except Exception as exc:  # the demo reports a failed step and goes on with what exists
                st.status, st.detail = "failed", f"{type(exc).__name__}: {exc}"
                (self.out / "logs").mkdir(parents=True, exist_ok=True)
                (self.out / "logs" / f"step{n}.traceback.txt").write_text(traceback.format_exc())
            st.seconds = time.monotonic() - t
        mark = {"ok": "done", "skipped": "SKIPPED", "failed": "FAILED"}[st.status]
        print(f"      {mark} in {st.seconds:.1f} s" + (f": {st.detail}" if st.detail else ""), file=sys.stderr,
              flush=True)
        return st

    def start_emulator(self, model: Path | None = None) -> str:
        """The emulated wearable (``imuforge emulate``) in its own process; returns its pty path."""
        from imuforge.bridge.links import wait_for_port_file

        self.stop_emulator()
        port_file = self.out / "logs" / "emulator.port"
        port_file.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "imuforge.cli", "emulate", "--profile", PROFILE, "--pty",
               "--port-file", str(port_file)]
        if model is not None:
            cmd += ["--hil-model", str(model)]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1"}
        log = open(self.out / "logs" / "emulator.log", "ab")
        self.emulator = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
        try:
            return wait_for_port_file(port_file, timeout_s=60.0)
        except Exception:
            self.stop_emulator()
            raise RuntimeError(f"the emulated wearable did not start (see {self.out / 'logs' / 'emulator.log'})")

    def stop_emulator(self) -> None:
        if self.emulator is not None and self.emulator.poll() is None:
            self.emulator.terminate()
            try:
                self.emulator.wait(5)
            except subprocess.TimeoutExpired:
                self.emulator.kill()
        self.emulator = None

    # ------------------------------------------------------------------ steps
    def s1_emulator(self, st: Step) -> None:
        port = self.start_emulator()
        self.state["port"] = port
        st.detail = f"{PROFILE} on {port} (pid {self.emulator.pid})"

    def s2_capture(self, st: Step) -> None:
        from imuforge.bridge.capture import CaptureOptions, capture
        from imuforge.bridge.links import SerialLink

        port = self.state["port"]
        d = self.out / "capture"
        d.mkdir(parents=True, exist_ok=True)
        opts = CaptureOptions(seconds=self.s.capture_s, profile=PROFILE, subject="desk")
        res = capture(lambda: SerialLink(port), d / "desk.rawlog", opts)
        if res.recording is None:
            raise RuntimeError("no samples captured: " + "; ".join(res.messages))
        path = res.recording.save(d / "desk.imu.parquet", overwrite=True)
        self.state["capture"] = path
        r = res.recording
        st.detail = (f"{len(r)} samples, {r.duration_s:.1f} s at {r.rate_hz:.2f} Hz measured, "
                     f"{res.missing_samples + res.lost_at_end} missing, {res.stats.frames_corrupt} corrupt "
                     "frames")
        st.outputs = {"recording": str(path), "raw log": str(res.log_path)}

    def s3_synthesise(self, st: Step) -> None:
        from imuforge.motion.text import get_matcher, parse_one
        from imuforge.progress import progress
        from imuforge.recording import Dataset
        from imuforge.sensors import load_profile
        from imuforge.synth import Profiles, generate_recordings, plan_takes

        profile = load_profile(PROFILE)
        placement = profile.default_placement
        matcher = get_matcher(self.s.matcher).name  # auto: embeddings when the text extra is installed
        d = self.out / "synthetic"
        ds = Dataset.create(d, meta={"generator": "imuforge demo", "descriptions": self.s.descriptions,
                                     "matcher": matcher})
        specs = [parse_one(text, seconds=self.s.motion_s, matcher=matcher) for text in self.s.descriptions]
        # person i is one body doing every description (subject-wise splits stay honest): the library's rule
        takes = plan_takes(len(specs), self.s.motions_per_text, [profile.name], [placement])
        bar = progress(total=len(takes), desc="synthesise", unit="rec")
        counts: dict[str, int] = {}
        for take, _, rec in generate_recordings(specs, takes, seed=self.s.seed, profiles=Profiles([profile])):
            spec = specs[take.source]
            ds.add(rec, name=f"{take.source:02d}-{spec.activity}-{take.person:02d}")
            counts[spec.activity] = counts.get(spec.activity, 0) + 1
            bar.update(1)
        bar.close()
        self.state["synthetic"] = d
        self.state["placement"] = placement
        st.detail = (f"{sum(counts.values())} recordings × {self.s.motion_s:g} s at {placement} "
                     f"({', '.join(f'{a} {n}' for a, n in counts.items())}); matcher {matcher}")
        st.outputs = {"dataset": str(d)}
        self.state["specs"] = [s.to_dict() for s in specs]
        st.outputs["descriptions"] = "; ".join(f"{s.text!r} → {s.activity}" for s in specs)

    def s4_calibrate(self, st: Step) -> None:
        from imuforge.calibrate.pipeline import calibrate
        from imuforge.errors import CalibrationWarning, said_elsewhere

        d = self.out / "calibration"
        with said_elsewhere(CalibrationWarning):  # its findings are in its report; the step says what it did
            res = calibrate([self.state["synthetic"]], [self.state["capture"]], d, fit_profile=True,
                            profile=PROFILE, seed=self.s.seed, overwrite=True)
        self.state["calibrated"] = res.dataset
        done = res.report.steps_done
        skipped = [f"{s.step} ({s.skipped})" for s in res.report.steps if s.skipped is not None]
        st.detail = "steps: " + (", ".join(done) or "none") + (f"; skipped: {'; '.join(skipped)}" if skipped else "")
        st.outputs = {"dataset": str(res.dataset), "report": str(d / "report.html")}

    def s5_train(self, st: Step) -> None:
        from imuforge.errors import TrainingNote, said_elsewhere
        from imuforge.train import TrainConfig, train
        from imuforge.train.augment import Augmentation

        data = self.state.get("calibrated") or self.state["synthetic"]
        if "calibrated" not in self.state:
            st.detail = "on the uncalibrated synthetic data (calibration did not run); "
        cfg = TrainConfig(data=[str(data)], model="tiny_cnn", window_s=self.s.window_s, stride_s=self.s.stride_s,
                          rate_hz=self.s.rate_hz, epochs=self.s.epochs, seed=self.s.seed, batch_size=32,
                          augment=Augmentation.parse("default").to_json())  # the recipe docs/TRAINING.md recommends
        with said_elsewhere(TrainingNote):  # the demo's step says what it needs of them
            run = train(cfg, self.out / "run", overwrite=True)
        self.state["run"] = run.path
        metrics = run.json("metrics.json") or {}
        hist = run.json("history.json") or {}
        val = metrics.get("validation", metrics)
        acc = val.get("accuracy") if isinstance(val, dict) else None
        st.detail += f"tiny_cnn, {self.s.epochs} epochs, augment default, labels {', '.join(run.labels)}"
        best = hist.get("best_epoch")
        kept = f", kept epoch {best} of {self.s.epochs}" if isinstance(best, int) else ""
        if acc is not None:  # the kept epoch's (the bar ends at the last epoch's)
            st.detail += f"; validation accuracy {100 * acc:.1f} %{kept}"
        elif hist.get("val_accuracy"):
            st.detail += f"; validation accuracy {100 * max(hist['val_accuracy']):.1f} %"
        st.outputs = {"run": str(run.path)}

    def s6_export(self, st: Step) -> None:
        from imuforge.export import export_run

        d = self.out / "export"
        # the default C name: the one the QEMU firmware (hil --qemu) and the Nano 33 sketch build
        card = export_run(self.state["run"], d, profile=PROFILE, placement=self.state.get("placement"))
        self.state["export"] = d
        self.state["card"] = card
        m = card.metrics
        st.detail = (f"model.tflite {card.size['flash_model_bytes']} B, TFLM arena "
                     f"{card.size['arena_bytes_tflm']} B; "
                     f"float acc {100 * m.float_model.accuracy:.1f} % → int8 {100 * m.int8.accuracy:.1f} %; "
                     f"LiteRT vs TFLM: {card.checks['checks_passed']['litert_agrees_with_tflm']}")
        st.outputs = {"model": str(d / "model.tflite"), "card": str(d / "card.md"), "C header": str(d / "model.h")}

    def s7_hil(self, st: Step) -> None:
        from imuforge.bridge.links import SerialLink
        from imuforge.hil.runner import run_hil

        port = self.start_emulator(self.state["export"])  # flash: the board restarts with the model
        link = SerialLink(port)
        try:
            rep = run_hil(self.state["export"], self.state["export"], link, out=self.out / "hil", runs=3, warmup=1)
        finally:
            link.close()
            self.stop_emulator()
        self.state["hil"] = rep
        lat = rep["latency"]
        st.status = "ok" if rep["passed"] else "failed"
        st.detail = (f"{'PASS' if rep['passed'] else 'FAIL'}: {rep['windows_completed']}/{rep['windows']} windows, "
                     f"{rep['mismatch_count']} mismatches; accuracy {100 * (rep['accuracy'] or 0):.1f} %, "
                     f"macro-F1 {100 * (rep['macro_f1'] or 0):.1f} %; latency median "
                     f"{lat.get('median_us', float('nan')):.0f} µs; {rep['throughput']['windows_per_s']:.0f} windows/s")
        st.outputs = {k: v for k, v in rep["files"].items()}

    # ------------------------------------------------------------------ run
    def run(self) -> int:
        (self.out / "logs").mkdir(parents=True, exist_ok=True)
        # marks the folder as a demo's from the first step on: a run stopped by Ctrl-C is re-run into it
        (self.out / "summary.json").write_text(json.dumps({"settings": vars(self.s), "status": "running"},
                                                          default=str) + "\n")
        plan = [("start the emulated wearable", self.s1_emulator, ()),
                ("capture a calibration recording over the serial path", self.s2_capture, ("port",)),
                ("synthesise data from text for its profile and placement", self.s3_synthesise, ()),
                ("calibrate the synthetic data against the capture", self.s4_calibrate, ("synthetic", "capture")),
                ("train", self.s5_train, ("synthetic",)),
                ("export int8 (TFLite, C files, model card)", self.s6_export, ("run",)),
                ("HIL on the emulated wearable", self.s7_hil, ("export",))]
        try:
            for i, (name, fn, needs) in enumerate(plan, 1):
                self.step(i, len(plan), name, fn, needs)
                if i == 2:
                    self.stop_emulator()  # the board goes back in the drawer until it is flashed
        finally:
            self.stop_emulator()
        summary = self.summary()
        print(summary)
        (self.out / "summary.txt").write_text(summary + "\n")
        (self.out / "summary.json").write_text(json.dumps(
            {"settings": vars(self.s), "status": "finished", "seconds": time.monotonic() - self.t0,
             "steps": [vars(s) for s in self.steps]}, indent=1, default=str) + "\n")
        return 0 if all(s.status == "ok" for s in self.steps) else 1

    def summary(self) -> str:
        total = time.monotonic() - self.t0
        w = 78
        lines = ["=" * w, f"imuforge demo — {PROFILE}, {'quick' if self.s.quick else 'full'} mode, "
                 f"{total / 60:.1f} min".center(w), "=" * w]
        for i, s in enumerate(self.steps, 1):
            mark = {"ok": "ok  ", "skipped": "SKIP", "failed": "FAIL"}[s.status]
            lines.append(f"{i}. [{mark}] {s.name} ({s.seconds:.0f} s)")
            if s.detail:  # wrapped at words (cut at 2 × 78 characters, it ended "…, kept epoc")
                lines += textwrap.wrap(s.detail, w, initial_indent=" " * 6, subsequent_indent=" " * 6)
        lines.append("-" * w)
        lines.append("reports:")
        keys = [("capture", "recording"), ("calibrate", "report"), ("export", "card"), ("HIL", "html"),
                ("HIL", "json"), ("HIL", "junit")]
        for s in self.steps:
            for short, key in keys:
                if s.name.lower().startswith(short.lower()) or short in s.name:
                    if key in s.outputs:
                        lines.append(f"  {short + ' ' + key:<18} {s.outputs[key]}")
        lines.append(f"  {'summary':<18} {self.out / 'summary.txt'}")
        bad = [s for s in self.steps if s.status != "ok"]
        lines.append("=" * w)
        lines.append("all steps done" if not bad else
                     f"{len(bad)} step(s) not ok: " + ", ".join(f"{s.name} ({s.status})" for s in bad))
        # a fresh user's run (session 62) ended "all steps done" at 61 % and wondered whether that was right
        lines.append(f"The demo checks the pipeline end to end in about a minute: its model learns from "
                     f"{self.s.motions_per_text} synthetic people per description in {self.s.epochs} epochs, "
                     "and its accuracy is not a figure of what imuforge's data give (benchmarks/RESULTS.md: "
                     "the sim-to-real benchmark; docs/TRAINING.md trains a model to deploy).")
        return "\n".join(lines)


#: what a demo writes into its ``--out`` folder; a folder holding only these (and a previous demo's
#: ``summary.json``) is a demo's, which a new run replaces part by part
DEMO_PARTS = ("capture", "synthetic", "calibration", "run", "export", "hil", "logs", "summary.txt",
              "summary.json")


def prepare_out(out: Path) -> None:
    """Make ``out`` ready for a demo: created when missing; a previous demo's folder (its ``summary.json``
    there, nothing but :data:`DEMO_PARTS`) has those parts removed first, so a second ``make demo`` runs as
    the first did; any other non-empty folder is refused (nothing of the user's is deleted or mixed)."""
    import shutil

    from imuforge.errors import ValidationError

    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out {out} is a file", allowed="a folder (new, or a demo's to re-run into)")
    found = sorted(q.name for q in out.iterdir()) if out.exists() else []
    if found and ("summary.json" not in found or set(found) - set(DEMO_PARTS)):
        raise ValidationError(f"--out {out} is not empty and not a previous demo's folder (it holds "
                              f"{', '.join(found[:4])}{' …' if len(found) > 4 else ''})",
                              allowed="a new or empty folder, or one a demo wrote")
    for name in found:
        q = out / name
        if q.is_dir():
            shutil.rmtree(q)
        else:
            q.unlink()
    out.mkdir(parents=True, exist_ok=True)


def register(sub) -> None:
    p = sub.add_parser(
        "demo", help="run the whole pipeline on an emulated wearable (≈ 2 min; --quick under a minute)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The whole imuforge pipeline on built-in defaults, against an emulated wearable\n"
                    "(nano33-ble-sense-rev2 on a pseudo-terminal):\n"
                    "  1. start the emulated wearable\n"
                    "  2. capture a calibration recording from it over the serial path\n"
                    "  3. synthesise data for its profile and placement from text descriptions\n"
                    "  4. calibrate the synthetic data against the capture\n"
                    "  5. train a tiny CNN (augmented)\n"
                    "  6. export int8 TFLite + model.h + model card (LiteRT vs TFLM checked)\n"
                    "  7. run HIL on the emulated wearable (bit-exact vs the host TFLM reference)\n"
                    "Each step is timed; a failed step is marked and later steps use what exists.")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--quick", action="store_true",
                   help="small settings for CI (under a minute; the full demo ≈ 2 min on 2 cores)")
    p.add_argument("--seed", type=int, default=0, help="seed of every step (default 0)")
    p.add_argument("--epochs", type=int, help="training epochs (default 20; --quick 8)")
    p.add_argument("--matcher", default="auto", choices=("auto", "embedding", "keywords"),
                   help="text → activity matcher (auto: sentence embeddings if installed, else keywords)")
    p.set_defaults(func=run)


def run(args) -> int:
    from imuforge._quiet import preload_ml_stack
    from imuforge.errors import check_range, check_seed
    from imuforge.train.trainer import SIZE_LIMITS

    check_seed(args.seed)  # the flags first, before the folder is touched or the emulator starts
    if args.epochs is not None:
        check_range("--epochs", args.epochs, *SIZE_LIMITS["--epochs"])
    prepare_out(args.out)  # said before TensorFlow loads
    preload_ml_stack()
    if args.quick:
        s = Settings(True, args.seed, capture_s=6.0, motions_per_text=3, motion_s=15.0, epochs=args.epochs or 8,
                     descriptions=QUICK_DESCRIPTIONS, matcher="keywords" if args.matcher == "auto" else args.matcher)
    else:
        s = Settings(False, args.seed, capture_s=20.0, motions_per_text=8, motion_s=40.0, epochs=args.epochs or 20,
                     descriptions=DESCRIPTIONS, matcher=args.matcher)
    return Demo(args.out, s).run()

"""Build the reference int8 models in models/ from imuforge's own synthetic data (``make models``).

For each device profile: synthetic people (body size, gait parameters and activity order drawn
from the seed) perform a schedule of activities from the procedural motion library; the device
profile turns each motion into a Recording at the profile's default placement (with its
hardware errors); a tiny CNN is trained on 2.56-s windows at 50 Hz and exported to int8.
The test data are *other* synthetic people (other seeds) than the training data.

Usage::

    .venv/bin/python models/build.py --all-wrist           # every built-in wrist device (make models)
    .venv/bin/python models/build.py --profile nano33-ble-sense-rev2 --profile smartwatch-wrist

Outputs in ``models/<profile>/``: model.tflite, model.h, model.c, card.json, card.md, and
BUILD.json (the exact parameters and the command). Data and run folders go to ``--work`` (a
temporary folder by default); the cards describe the data ("synthetic: 24 people × 40 s …")
instead of naming those folders, so they read the same on every machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent

PROFILES_DIR = HERE.parent / "profiles"
ACTIVITIES = ("walking", "running", "stairs_up", "stairs_down", "standing", "sitting", "cycling")


def synth_dataset(path: Path, profile: str, subjects: int, seconds: float, seed: int) -> None:
    """``subjects`` synthetic people, each doing every activity for ``seconds`` in a seeded random order."""
    import numpy as np

    from imuforge.motion.library import schedule
    from imuforge.progress import progress
    from imuforge.recording import Dataset
    from imuforge.sensors import simulate

    ds = Dataset.create(path, meta={"generator": "models/build.py", "profile": profile, "seed": seed})
    for i in progress(range(subjects), desc=f"synthesising {path.name}", unit="person"):
        s = seed * 1000 + i
        rng = np.random.default_rng(s)
        order = rng.permutation(ACTIVITIES)
        motion = schedule([(str(a), seconds) for a in order], fps=100.0, rng=s)
        rec = simulate(motion, profile, seed=s, subject=f"synth{s}")
        ds.add(rec, name=f"person{s}")


def wrist_profiles() -> list[str]:
    """The built-in device profiles (``profiles/devices/``) whose default placement is on a wrist."""
    from imuforge.sensors.profiles import list_profiles, load_profile

    out = []
    for info in list_profiles():
        if info.kind == "device" and info.path.resolve().parent == (PROFILES_DIR / "devices").resolve():
            if load_profile(info.path).default_placement.startswith("wrist"):
                out.append(info.name)
    return out


def describe_paths(obj, subs: dict[str, str]):
    """``obj`` (card JSON) with every string's folder paths replaced by descriptions (longest first)."""
    if isinstance(obj, dict):
        return {k: describe_paths(v, subs) for k, v in obj.items()}
    if isinstance(obj, list):
        return [describe_paths(v, subs) for v in obj]
    if isinstance(obj, str):
        for old in sorted(subs, key=len, reverse=True):
            obj = obj.replace(old, subs[old])
        return obj
    return obj


def build(profile: str, out: Path, work: Path, *, subjects: int, test_subjects: int, seconds: float, seed: int,
          epochs: int) -> dict:
    from imuforge.export import export_run
    from imuforge.export.card import sign_card
    from imuforge.export.exporter import card_markdown
    from imuforge.train.run import write_json
    from imuforge.sensors.profiles import load_profile
    from imuforge.train import TrainConfig, train

    t0 = time.time()
    prof = load_profile(profile)
    synth_dataset(work / "train", profile, subjects, seconds, seed)
    synth_dataset(work / "test", profile, test_subjects, seconds, seed + 1)
    # accelerometer and gyro channels of the device (an accelerometer-only device gets a 3-channel model)
    channels = [f"{g}_{a}" for k, g in (("accel", "acc"), ("gyro", "gyro")) if k in prof.sensors for a in "xyz"]
    cfg = TrainConfig(data=[str(work / "train")], model="tiny_cnn", window_s=2.56, stride_s=1.28, rate_hz=50.0,
                      epochs=epochs, patience=8, batch_size=64, seed=seed, channels=channels)
    run = train(cfg, work / "run", overwrite=True)
    export_dir = work / "export"
    card = export_run(run.path, export_dir, data=[str(work / "test")], name="imuforge_model",
                      profile=prof.name, placement=prof.default_placement)
    out.mkdir(parents=True, exist_ok=True)
    for f in ("model.tflite", "model.h", "model.c"):
        shutil.copy2(export_dir / f, out / f)
    # the card names the data by what it is, not by the (temporary) folders it was built in
    people = f"{len(ACTIVITIES)} activities × {seconds:g} s each, {prof.name} at {prof.default_placement}"
    subs = {str(work / "train"): f"synthetic: {subjects} people × {people}, seed {seed}, built by models/build.py",
            str(work / "test"): f"synthetic test people: {test_subjects} other people × {people}, seed {seed + 1}, "
                                "built by models/build.py",
            str(work / "run"): "training run of models/build.py (not kept; history.png here)",
            str(work): "models/build.py work folder (not kept)"}
    for w in (work, work.resolve()):
        subs.setdefault(str(w / "train"), subs[str(work / "train")])
        subs.setdefault(str(w / "test"), subs[str(work / "test")])
        subs.setdefault(str(w / "run"), subs[str(work / "run")])
        subs.setdefault(str(w), subs[str(work)])
    card = sign_card(describe_paths(card.to_json(), subs))  # its content changed: a new content digest
    card_text = json.dumps(card)
    leaks = [p for p in {str(work), str(work.resolve()), tempfile.gettempdir()} if p in card_text]
    if leaks:
        raise RuntimeError(f"model card still names local folders {leaks}: extend describe_paths")
    write_json(out / "card.json", card)
    (out / "card.md").write_text(card_markdown(card))
    shutil.copy2(run.path / "history.png", out / "history.png")
    info = {"profile": profile, "subjects": subjects, "test_subjects": test_subjects, "seconds_per_activity": seconds,
            "activities": list(ACTIVITIES), "seed": seed, "epochs": epochs, "model": cfg.model,
            "command": f".venv/bin/python models/build.py --profile {profile} --subjects {subjects} "
                       f"--test-subjects {test_subjects} --seconds {seconds:g} --seed {seed} --epochs {epochs}",
            "minutes": round((time.time() - t0) / 60, 1),
            "int8": {k: card["metrics"]["int8"][k] for k in ("accuracy", "macro_f1")},
            "float": {k: card["metrics"]["float"][k] for k in ("accuracy", "macro_f1")},
            "flash_bytes": card["size"]["flash_model_bytes"], "arena_bytes": card["size"]["arena_bytes_tflm"],
            "sha256": card["model"]["sha256"]}
    (out / "BUILD.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", action="append", help="device profile (repeatable)")
    ap.add_argument("--all-wrist", action="store_true",
                    help="every built-in device whose default placement is a wrist (the default without --profile)")
    ap.add_argument("--subjects", type=int, default=24, help="synthetic training people per profile")
    ap.add_argument("--test-subjects", type=int, default=8, help="synthetic test people (other seeds)")
    ap.add_argument("--seconds", type=float, default=40.0, help="seconds per activity per person")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--work", type=Path, default=None, help="folder for data and runs (default: a temp folder)")
    args = ap.parse_args(argv)
    profiles = list(args.profile or [])
    if args.all_wrist or not profiles:
        profiles += [p for p in wrist_profiles() if p not in profiles]
    print(f"building reference models for: {', '.join(profiles)}", flush=True)
    for profile in profiles:
        with tempfile.TemporaryDirectory() as tmp:
            work = (args.work / profile) if args.work else Path(tmp)
            if work.exists() and args.work:
                shutil.rmtree(work)
            info = build(profile, HERE / profile, work, subjects=args.subjects, test_subjects=args.test_subjects,
                         seconds=args.seconds, seed=args.seed, epochs=args.epochs)
        print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

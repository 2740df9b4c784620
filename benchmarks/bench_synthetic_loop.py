"""Synthetic loop: what calibrating onto one person costs when the generator is right.

The sim-to-real benchmark (``bench_sim2real.py``) tests on real sets where the generator differs from the
real device and people, so calibration can only look good there. Here the generator's own people stand in
for the real ones: "real" people made with another seed and worn as a lab protocol has them (offsets and
looseness; no turns or flips), one of them the user's capture (60 s of each activity), the others the test.
Whatever a calibration moves away from the uncalibrated synthetic data, it moves on the evidence of one
person: a model trained on the result meets the other people.

Rows per placement (plain training and ``--augment default``): uncalibrated; ``--align``; ``--align --map
per-class --map-strength full`` (IMUGPT's map, the peer); the same with ``--map-strength evidence`` (the
default since session 39, :func:`imuforge.calibrate.mapping.evidence_strength`). Macro-F1 mean ± sd over
captured people × training seeds; the ratio evidence / full; the strengths the evidence gave.

Run: ``.venv/bin/python benchmarks/bench_synthetic_loop.py [--persons 2] [--seeds 1]``
(writes ``benchmarks/results/synthetic_loop.json`` and ``.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import types
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IMUFORGE_PROGRESS", "0")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_sim2real as S  # noqa: E402
from _targets import command_line  # noqa: E402

OUT = HERE / "results" / "synthetic_loop"
CLASSES = ("walking", "running", "sitting", "standing", "stairs_up", "stairs_down")
#: the placements looped over: a watch and a pocket phone (the visible real sets' two commonest devices)
PLACEMENTS = {"wrist_left": "smartwatch-wrist", "pocket_right_thigh": "smartphone-waist"}
#: how the stand-in real people wear the device: as a lab protocol has them (one way, put on by hand)
REAL_WEAR = "offset,looseness"
#: calibrations compared: (label, --align, --map-strength; None: no map)
VARIANTS = (("uncalibrated", False, None), ("--align", True, None),
            ("+ per-class, full", True, "full"), ("+ per-class, evidence", True, "evidence"))
AUGMENTS = (None, "default")


def loop_placement(placement: str, profile: str, persons: int, seeds: int, work: Path) -> dict:
    """Every variant × augmentation × captured person × seed at one placement: figures and strengths."""
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.recording import read_dataset

    rs = types.SimpleNamespace(profile=profile, placement=placement)
    proto = S.Protocol()
    syn = S.synthetic(work / "syn", rs, CLASSES, proto, seed=0)
    stand_in = S.Protocol(syn_people=6, syn_seconds=60.0)
    real = list(read_dataset(S.synthetic(work / "real", rs, CLASSES, stand_in, seed=7,
                                         wear=REAL_WEAR)).recordings())
    people = sorted({r.subject for r in real})[:persons]
    figures: dict[str, dict[str, list[float]]] = {v[0]: {str(a): [] for a in AUGMENTS} for v in VARIANTS}
    strengths: dict[str, list[float]] = {}
    for pi, P in enumerate(people):
        cap = S.write_dataset(work / f"cap{pi}", [r for r in real if r.subject == P], {"capture": P})
        test = S.write_dataset(work / f"test{pi}", [r for r in real if r.subject != P], {"test": "others"})
        for vi, (label, align, strength) in enumerate(VARIANTS):
            data = syn
            if align:
                mapping = {"map_mode": "per-class", "map_strength": strength} if strength else {}
                res = calibrate([syn], [cap], work / f"cal{pi}-{vi}", align=True, seed=pi, plots=False,
                                **mapping)
                data = res.dataset
                step = res.report.step("map")
                if strength == "evidence" and step is not None:
                    for c, chm in step.strengths.items():
                        strengths.setdefault(c, []).extend(chm.values())
            for aug in AUGMENTS:
                for s in range(seeds):
                    r = S.fit_eval(work, f"{placement}-{pi}-{label}-{aug}-{s}".replace(" ", "_"), proto,
                                   list(CLASSES), test, data=[data], seed=s, augment=aug)
                    figures[label][str(aug)].append(r["macro_f1"])
                    print(f"[{placement}] P={P} {label:24s} augment={aug} seed {s}: {r['macro_f1']:.3f}",
                          flush=True)
    return {"profile": profile, "people": people, "figures": figures,
            "strengths": {c: {"mean": float(np.mean(k)), "zero": int(np.sum(np.array(k) <= 0.01)),
                              "full": int(np.sum(np.array(k) >= 0.99)), "n": len(k)}
                          for c, k in sorted(strengths.items())}}


def render(res: dict) -> str:
    def cell(v):
        return f"{np.mean(v):.3f} ± {np.std(v):.3f}" if v else "—"

    lines = ["## Synthetic loop: calibrating onto one person when the generator is right", "",
             f"Command: `{res['command']}`. 24 synthetic people × 30 s per activity trained; 6 stand-in "
             f"real people × 60 s (generator seed 7, worn `{REAL_WEAR}`: a lab protocol's one way), one the "
             f"capture, the other five tested; {', '.join(CLASSES)}; tiny_cnn with `imuforge train`'s "
             "defaults. "
             f"Macro-F1 mean ± sd over {res['persons']} captured people × {res['seeds']} training seed(s). "
             "Peer: the full per-class map (IMUGPT's, `--map-strength full`).", ""]
    for placement, r in res["placements"].items():
        f = r["figures"]
        lines += [f"### {placement} (`{r['profile']}`)", "", "| calibration | plain | `--augment default` |",
                  "|---|---|---|"]
        lines += [f"| {label} | {cell(f[label]['None'])} | {cell(f[label]['default'])} |"
                  for label, *_ in VARIANTS]
        ratio = [np.mean(f["+ per-class, evidence"][a]) / np.mean(f["+ per-class, full"][a])
                 for a in ("None", "default")]
        lines += ["", f"evidence / full: **{ratio[0]:.2f}×** plain, **{ratio[1]:.2f}×** augmented.", "",
                  "Strengths the evidence gave (per class, over its channels and captured people): "
                  + "; ".join(
                      f"{c} mean {k['mean']:.2f} ({k['zero']} of {k['n']} at 0, {k['full']} at 1)"
                      for c, k in r["strengths"].items()) + ".", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=2, help="captured people per placement")
    ap.add_argument("--seeds", type=int, default=1, help="training seeds")
    ap.add_argument("--placements", default=",".join(PLACEMENTS),
                    help="comma-separated, of " + ", ".join(PLACEMENTS))
    ap.add_argument("--render", action="store_true", help="only rebuild the .md from the JSON")
    args = ap.parse_args()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not args.render:
        res = {"command": command_line(), "persons": args.persons, "seeds": args.seeds, "placements": {}}
        with tempfile.TemporaryDirectory() as d:
            for p in args.placements.split(","):
                res["placements"][p] = loop_placement(p, PLACEMENTS[p], args.persons, args.seeds, Path(d) / p)
        OUT.with_suffix(".json").write_text(json.dumps(res, indent=1))
    res = json.loads(OUT.with_suffix(".json").read_text())
    OUT.with_suffix(".md").write_text(render(res) + "\n")
    print(OUT.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

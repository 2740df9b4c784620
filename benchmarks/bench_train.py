"""Training / export benchmark: real data (aeon BasicMotions) and zoo model sizes.

1. BasicMotions (smartwatch acc + gyro, 10 Hz, 6 ch × 100 samples; 40 train / 40 test cases):
   the cases go through the product path — Recordings in Dataset folders → ``train`` (tiny_cnn)
   → ``export`` (int8, tested on the test split) — and the float / int8 accuracy and macro-F1 are
   compared with a peer measured in the same run: aeon's MiniRocketClassifier on the same split.
2. Each zoo model for 2.56 s × 6 channels at 50 Hz (128 × 6), 6 classes: int8 flash size, TFLM
   arena (smallest that runs, bisection), parameters, host latency on TFLM's reference kernels and
   on LiteRT; the tiny CNN against its budget (≤ 20 KB flash, ≤ 16 KB arena).

Run: ``.venv/bin/python benchmarks/bench_train.py`` (writes benchmarks/results/train.md and train.targets.json).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("IMUFORGE_PROGRESS", "0")

import numpy as np  # noqa: E402
from _targets import Target, combine, status, write_targets  # noqa: E402

HERE = Path(__file__).resolve().parent
FLASH_BUDGET, ARENA_BUDGET = 20 * 1024, 16 * 1024  # tiny CNN at 128 × 6, bytes
CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


def basic_motions_dataset(path: Path, split: str):
    """BasicMotions cases as 10-s Recordings at 10 Hz (one per case; each case its own group)."""
    from aeon.datasets import load_basic_motions

    from imuforge.recording import Dataset, Recording

    X, y = load_basic_motions(split=split)
    ds = Dataset.create(path, meta={"source": f"aeon BasicMotions {split} split"})
    t = np.arange(X.shape[2]) / 10.0
    for i in range(X.shape[0]):
        rec = Recording(t, X[i].T, CHANNELS, 10.0, labels=[(0.0, 10.0, str(y[i]).lower())],
                        placement="wrist", subject=f"{split}{i:02d}",
                        provenance={"dataset": "BasicMotions (aeon)", "split": split, "case": i})
        ds.add(rec, name=f"{split}{i:02d}")
    return X, np.array([str(v).lower() for v in y])


def bench_basic_motions(tmp: Path) -> dict:
    from aeon.classification.convolution_based import MiniRocketClassifier

    from imuforge.export import export_run
    from imuforge.train import TrainConfig, classification_metrics, train

    Xtr, ytr = basic_motions_dataset(tmp / "bm_train", "train")
    Xte, yte = basic_motions_dataset(tmp / "bm_test", "test")
    t0 = time.perf_counter()
    cfg = TrainConfig(data=[str(tmp / "bm_train")], model="tiny_cnn", window_s=10.0, stride_s=10.0, rate_hz=10.0,
                      epochs=150, patience=30, batch_size=8, learning_rate=3e-3, val_fraction=0.2, seed=0)
    run = train(cfg, tmp / "bm_run")
    card = export_run(run.path, tmp / "bm_export", data=[str(tmp / "bm_test")])
    ours_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    peer = MiniRocketClassifier(random_state=0, n_jobs=1)
    peer.fit(Xtr, ytr)
    pred = peer.predict(Xte)
    peer_s = time.perf_counter() - t0
    labels = sorted(set(ytr))
    lut = {lab: i for i, lab in enumerate(labels)}
    pm = classification_metrics([lut[v] for v in yte], [lut[v] for v in pred], labels).to_json()
    t0 = time.perf_counter()
    for _ in range(20):
        peer.predict(Xte[:1])
    peer_lat = (time.perf_counter() - t0) / 20 * 1e6
    m = card.metrics.to_json()
    return {"float": m["float"], "int8": m["int8"], "drop": m["int8_drop_points"], "peer": pm,
            "ours_s": ours_s, "peer_s": peer_s, "peer_latency_us": peer_lat,
            "litert_vs_tflm": card.checks["checks_passed"]["litert_agrees_with_tflm"],
            "test_windows": card.data.test.windows, "flash": card.size["flash_model_bytes"],
            "arena": card.size["arena_bytes_tflm"],
            "tflm_latency_us": card.latency_host["tflm_reference_kernels"]["median_us"]}


def bench_zoo() -> list[dict]:
    from imuforge.export import LiteRTModel, TflmModel, check_ops, model_ops, to_int8_tflite
    from imuforge.train import ZOO, build_model
    from imuforge.train.trainer import seed_everything

    seed_everything(0)
    rep = np.random.default_rng(0).normal(size=(64, 128, 6)).astype(np.float32)
    rows = []
    for name in ZOO:
        model = build_model(name, (128, 6), 6)
        tfl = to_int8_tflite(model, rep)
        check_ops(model_ops(tfl))
        tflm = TflmModel(tfl)
        q = np.zeros((1, 128, 6), np.int8)
        rows.append({"model": name, "params": int(model.count_params()), "flash": len(tfl),
                     "arena": tflm.minimal_arena(), "arena_tensors": tflm.arena_used(),
                     "tflm_us": tflm.latency_us(q, repeats=50)["median_us"],
                     "litert_us": LiteRTModel(tfl).latency_us(q, repeats=300)["median_us"],
                     "ops": model_ops(tfl)})
    return rows


def target_rows(bm: dict, zoo: list[dict]) -> list[Target]:
    from imuforge.export.exporter import MAX_DROP_POINTS

    tiny = next(r for r in zoo if r["model"] == "tiny_cnn")
    f, q, p = bm["float"], bm["int8"], bm["peer"]
    drop = max(bm["drop"]["accuracy"], bm["drop"]["macro_f1"])
    saturated = min(f["macro_f1"], q["macro_f1"], p["macro_f1"]) >= 0.999
    return [
        Target("5 train/export", "tiny CNN ≤ 20 KB flash, ≤ 16 KB arena (128 × 6)",
               f"{tiny['flash']} B flash, {tiny['arena']} B arena", "—",
               combine({"flash": status(tiny["flash"], at_most=FLASH_BUDGET, unit="B"),
                        "arena": status(tiny["arena"], at_most=ARENA_BUDGET, unit="B")}),
               {"flash": tiny["flash"], "arena": tiny["arena"]}),
        Target("5 train/export", f"BasicMotions: int8 within {MAX_DROP_POINTS:g} point of float (the export gate)",
               f"float {f['accuracy']:.3f} / int8 {q['accuracy']:.3f} accuracy, float {f['macro_f1']:.3f} / int8 "
               f"{q['macro_f1']:.3f} macro-F1; LiteRT vs TFLM (≤ 1 LSB): {bm['litert_vs_tflm']}",
               f"aeon MiniRocket {p['accuracy']:.3f} accuracy, {p['macro_f1']:.3f} macro-F1",
               status(drop, at_most=MAX_DROP_POINTS, unit="points",
                      note="every method at 1.000: the data set does not separate them" if saturated else ""),
               {"float": f, "int8": q, "peer": p, "drop_points": drop}),
    ]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmpd:
        bm = bench_basic_motions(Path(tmpd))
    zoo = bench_zoo()
    p = bm["peer"]
    lines = [
        "# Training and export benchmarks",
        "",
        "Command: `.venv/bin/python benchmarks/bench_train.py` (2 shared cores; CPU TensorFlow).",
        "",
        "## Real data: aeon BasicMotions (train split → test split)",
        "",
        "imuforge path: 40 train cases as Recordings → `train` (tiny_cnn, 10 s windows at 10 Hz, subject-wise "
        "validation = 20 % of the training cases, early stopping) → `export` (int8, tested on the 40 test cases "
        "with TFLM). Peer measured in the same run on the same split: aeon `MiniRocketClassifier` "
        "(float64, host only).",
        "",
        "| | accuracy | macro-F1 |",
        "|---|---|---|",
        f"| imuforge tiny_cnn, float | {bm['float']['accuracy']:.3f} | {bm['float']['macro_f1']:.3f} |",
        f"| imuforge tiny_cnn, int8 (TFLM) | {bm['int8']['accuracy']:.3f} | {bm['int8']['macro_f1']:.3f} |",
        f"| peer: aeon MiniRocket | {p['accuracy']:.3f} | {p['macro_f1']:.3f} |",
        f"| **ratio int8 / peer** | **{bm['int8']['accuracy'] / p['accuracy']:.3f}** | "
        f"**{bm['int8']['macro_f1'] / p['macro_f1']:.3f}** |",
        "",
        f"- int8 drop vs float: {bm['drop']['accuracy']:.2f} points accuracy, {bm['drop']['macro_f1']:.2f} points "
        f"macro-F1; LiteRT within 1 LSB of TFLM on all {bm['test_windows']} test windows: {bm['litert_vs_tflm']}",
        f"- int8 model: {bm['flash']} B flash, {bm['arena']} B arena; host latency "
        f"{bm['tflm_latency_us']:.0f} µs (TFLM) vs MiniRocket predict of one case {bm['peer_latency_us']:.0f} µs "
        f"(ratio {bm['peer_latency_us'] / bm['tflm_latency_us']:.0f}× in imuforge's favour)",
        f"- wall time: imuforge train + export {bm['ours_s']:.0f} s, MiniRocket fit + predict {bm['peer_s']:.0f} s",
        "",
        "## Zoo models at 2.56 s × 6 channels × 50 Hz (input 128 × 6, 6 classes, int8)",
        "",
        "| model | params | flash (B) | TFLM arena (B) | arena, tensors only (B) | host TFLM (µs) | host LiteRT (µs) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in zoo:
        lines.append(f"| {r['model']} | {r['params']} | {r['flash']} | {r['arena']} | {r['arena_tensors']} | "
                     f"{r['tflm_us']:.0f} | {r['litert_us']:.0f} |")
    tiny = next(r for r in zoo if r["model"] == "tiny_cnn")
    lines += [
        "",
        f"tiny_cnn against its budget: flash {tiny['flash']} / {FLASH_BUDGET} B = **{tiny['flash'] / FLASH_BUDGET:.2f}**, "
        f"arena {tiny['arena']} / {ARENA_BUDGET} B = **{tiny['arena'] / ARENA_BUDGET:.2f}** "
        f"({'within' if tiny['flash'] <= FLASH_BUDGET and tiny['arena'] <= ARENA_BUDGET else 'OVER'} budget).",
        "Arena = smallest arena the tflite-micro interpreter loads and runs the model in (bisection, 64-bit host: "
        "an upper bound for a 32-bit Cortex-M). Host latencies are single-window medians on this machine's CPU "
        "(TFLM reference kernels, LiteRT builtin kernels without XNNPACK); device latency comes from HIL.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "train.md").write_text(text)
    write_targets("train", target_rows(bm, zoo))
    return 0


if __name__ == "__main__":
    from imuforge._quiet import preload_ml_stack

    preload_ml_stack()  # no TensorFlow start-up chatter in the figures
    sys.exit(main())

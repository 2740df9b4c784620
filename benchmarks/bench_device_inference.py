"""The exported model on the device: generated C vs TFLM for tiny_cnn, ds_cnn and res_cnn (issue 12).

Trains each zoo model at its default width on the test sinusoids (``tests/synthetic_har.py``, 128 × 6
windows = 2.56 s at 50 Hz, 2 epochs: sizes and instruction counts do not depend on training) and
exports it with ``imuforge.export.export_run`` (which compiles the generated C on the host and compares
it with the TFLM interpreter on every test window and 256 random int8 windows). Then, per model, the
QEMU mps2-an386 (Cortex-M4) firmware with the export's generated C answers HIL on every test window
(``imuforge.hil.qemu.measure_in_qemu``, ``-icount shift=5``):

* plain C and the SMLAD path (``--dsp``): bit-exact windows vs host TFLM, instructions per inference
  (SysTick µs × 1000 / 32) and per MAC;
* a stack-probe build (plain and SMLAD; the firmware paints the stack below the caller before every run):
  static arena + stack high-water mark.

Peer: the TFLM interpreter (tflite-micro Python) for bit-exactness and its measured minimal arena.
Flash of the generated C: ``arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os`` object, text + rodata + data.
Writes ``benchmarks/results/device_inference.md`` and ``device_inference.targets.json``.

    .venv/bin/python benchmarks/bench_device_inference.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("IMUFORGE_PROGRESS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _targets import Target, combine, command_line, number, status, write_targets  # noqa: E402

MODELS = ("tiny_cnn", "ds_cnn", "res_cnn")
EPOCHS = 2
RAM_RATIO = 0.6
FLASH_SLACK = 8192
INSTR_PER_MAC = 3.0


def export_models(tmp: Path) -> dict[str, Path]:
    """Train and export the three zoo models on the synthetic HAR data."""
    from imuforge.export import export_run
    from imuforge.train import TrainConfig, train
    from tests.synthetic_har import make_dataset

    make_dataset(tmp / "data" / "a", subjects=("s1", "s2", "s3"), seed=0)
    make_dataset(tmp / "data" / "b", subjects=("s4", "s5"), seed=10)
    out = {}
    for name in MODELS:
        cfg = TrainConfig(data=[str(tmp / "data")], model=name, epochs=EPOCHS, seed=3, batch_size=16)
        train(cfg, tmp / f"run_{name}")
        export_run(tmp / f"run_{name}", tmp / f"exp_{name}", qemu=False)
        out[name] = tmp / f"exp_{name}"
    return out


def measure_model(exp: Path) -> dict:
    """Card figures and the four QEMU runs (plain, SMLAD, and their stack-probe builds) of one export."""
    import json

    from imuforge.hil.qemu import measure_in_qemu

    card = json.loads((exp / "card.json").read_text())
    g, host = card["size"]["generated_c"], card["checks"]["generated_c_equals_tflm"]
    runs = {key: measure_in_qemu(exp, dsp=dsp, stack_probe=probe)
            for key, dsp, probe in (("plain", False, False), ("dsp", True, False),
                                    ("plain_probe", False, True), ("dsp_probe", True, True))}
    stack = max(runs[k].arena_used for k in ("plain_probe", "dsp_probe")) - g["arena_bytes"]
    io = g["input_bytes"] + g["output_bytes"]
    return {"tflite": card["size"]["flash_model_bytes"], "tflm_arena": card["size"]["arena_bytes_tflm"],
            "arena": g["arena_bytes"], "io": io, "stack": stack, "stack_bound": g["cortex_m4"]["stack_bound_bytes"],
            "ram": g["arena_bytes"] + stack, "flash": g["cortex_m4"]["flash_bytes"], "macs": g["macs"],
            "host_windows": host["windows"] + host["random_windows"],
            "host_exact": host["windows"] + host["random_windows"] - host["mismatches"],
            "qemu": {k: r.to_json() for k, r in runs.items()}}


def _row(name: str, m: dict) -> str:
    q = m["qemu"]
    exact_q = sum(q[k]["bit_exact_windows"] for k in q)
    total_q = sum(q[k]["windows"] for k in q)
    ins = [q[k]["instructions_per_inference"] for k in ("plain", "dsp")]
    return (f"| {name} | {m['host_exact']} / {m['host_windows']} | {exact_q} / {total_q} | {m['tflm_arena']} | "
            f"{m['arena']} + {m['stack']} = {m['ram']} ({m['ram'] / m['tflm_arena']:.2f}×; with I/O "
            f"{(m['ram'] + m['io']) / m['tflm_arena']:.2f}×) | {m['flash']} vs {m['tflite']} + 8192 | {number(m['macs'])} | "
            f"{number(ins[0])} ({ins[0] / m['macs']:.2f}) | {number(ins[1])} ({ins[1] / m['macs']:.2f}) |")


def report_markdown(ms: dict[str, dict], seconds: float) -> str:
    L = ["# The exported model on the device: generated C vs TFLM (QEMU Cortex-M4)", "",
         f"Command: `{command_line()}` (written by the script; {seconds:.0f} s).", "",
         ("Zoo models at their default widths, trained 2 epochs on the test sinusoids (128 × 6 windows, 2.56 s at "
          "50 Hz), exported with `imuforge export`. Host: the generated C compiled with `cc -O2` vs the TFLM "
          "interpreter (tflite-micro Python) on every test window and 256 random int8 windows. QEMU: the "
          "mps2-an386 firmware (`make -C firmware_bridge/qemu cgen`) answering HIL on every test window, four "
          "builds per model (plain C, `--dsp` SMLAD path, and both with the stack probe), each window compared "
          "with host TFLM. RAM = static arena + stack high-water mark (the firmware paints 4 KB below the "
          "caller's stack pointer before each run and finds the deepest overwritten word; the larger of the "
          "plain and SMLAD builds), set against TFLM's measured minimal arena (64-bit host; it also holds input "
          "and output, so the ratio with the generated C's I/O buffers is given too). Flash: the Cortex-M4 object "
          "(`arm-none-eabi-gcc -Os`, text + rodata + data). Instructions: `-icount shift=5`, SysTick µs × 1000 / 32, "
          "mean over the windows."), "",
         ("Kernels (`src/imuforge/export/cgen/kernels.py`): a convolution builds its window for one output position "
          "once, as 16-bit lanes in SXTAB16 order in an arena buffer, and runs it against four output channels per "
          "pass; the weights are packed at export, four channels' taps adjacent and, up to 16 KB of convolution "
          "weights, already sign-extended to 16-bit pairs, so the SMLAD loop is one LDRD of inputs and per channel "
          "one LDRD of weights and two SMLADs (15 instructions per 16 MACs). Requantisation is one 64-bit "
          "multiply-accumulate with a per-channel addend table; max pooling takes four channels per SSUB8/SEL. "
          "The plain C has the same layouts (the compiler's SMLABB/SMLATT on the 16-bit lanes)."), "",
         ("| model | bit-exact host | bit-exact QEMU (4 builds) | TFLM arena | RAM: arena + stack | flash (C) vs "
          ".tflite + 8 KB | MACs | instr / inference (/ MAC) | with `--dsp` |"),
         "|---|---|---|---|---|---|---|---|---|"]
    L += [_row(n, m) for n, m in ms.items()]
    L += ["", ("`-fstack-usage` bound (sum of all frames) for comparison: "
               + ", ".join(f"{n} {m['stack_bound']} B" for n, m in ms.items()) + "."), ""]
    return "\n".join(L)


def target_rows(ms: dict[str, dict]) -> list[Target]:
    host = {n: status(m["host_exact"], at_least=m["host_windows"], unit="windows") for n, m in ms.items()}
    qemu = {n: status(sum(r["bit_exact_windows"] for r in m["qemu"].values()), unit="windows",
                      at_least=sum(r["windows"] for r in m["qemu"].values())) for n, m in ms.items()}
    ram = {n: status((m["ram"] + m["io"]) / m["tflm_arena"], at_most=RAM_RATIO, unit="×") for n, m in ms.items()}
    flash = {n: status(m["flash"], at_most=m["tflite"] + FLASH_SLACK, unit="B") for n, m in ms.items()}
    t = ms["tiny_cnn"]
    ipm = t["qemu"]["dsp"]["instructions_per_inference"] / t["macs"]
    return [
        Target("12 device inference", "100 % bit-exact windows vs TFLM, host and QEMU, all zoo models",
               "; ".join(f"{n}: host {m['host_exact']}/{m['host_windows']}, QEMU "
                         f"{sum(r['bit_exact_windows'] for r in m['qemu'].values())}/"
                         f"{sum(r['windows'] for r in m['qemu'].values())}" for n, m in ms.items()),
               "TFLM interpreter (tflite-micro)",
               combine({**{f"{n} host": s for n, s in host.items()}, **{f"{n} QEMU": s for n, s in qemu.items()}}),
               {n: {"host": [m["host_exact"], m["host_windows"]]} for n, m in ms.items()}),
        Target("12 device inference", "RAM (arena + stack high-water mark) ≤ 0.6× TFLM arena",
               "; ".join(f"{n}: {m['ram']} B ({m['ram'] / m['tflm_arena']:.2f}×), with I/O "
                         f"{(m['ram'] + m['io']) / m['tflm_arena']:.2f}×" for n, m in ms.items()),
               "TFLM arena: " + ", ".join(f"{n} {m['tflm_arena']} B" for n, m in ms.items()),
               combine(ram, note="ratio with the input/output buffers"),
               {n: {"ram": m["ram"], "io": m["io"], "tflm_arena": m["tflm_arena"]} for n, m in ms.items()}),
        Target("12 device inference", "flash of generated code + weights ≤ .tflite + 8 KB",
               "; ".join(f"{n}: {m['flash']} B vs {m['tflite'] + FLASH_SLACK} B" for n, m in ms.items()),
               "the .tflite flatbuffer (TFLM also needs its interpreter code)", combine(flash),
               {n: {"flash": m["flash"], "tflite": m["tflite"]} for n, m in ms.items()}),
        Target("12 device inference", "≤ 3 Cortex-M4 instructions / MAC, tiny_cnn, DSP path",
               f"{ipm:.2f} instr/MAC ({number(t['qemu']['dsp']['instructions_per_inference'])} per inference, "
               f"{number(t['macs'])} MACs; plain C "
               f"{t['qemu']['plain']['instructions_per_inference'] / t['macs']:.2f})",
               "hand-made MLP kernels of the firmware: 6.8 instr/MAC",
               status(ipm, at_most=INSTR_PER_MAC, unit="instr/MAC"), {"instr_per_mac": ipm}),
    ]


def main() -> int:
    from imuforge.export.cgen.firmware import missing_tools

    if missing_tools():
        print(f"needs {', '.join(missing_tools())}")
        return 1
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-device-") as tmp:
        exports = export_models(Path(tmp))
        ms = {n: measure_model(e) for n, e in exports.items()}
    text = report_markdown(ms, time.perf_counter() - t0)
    print(text)
    out = Path(__file__).resolve().parent / "results" / "device_inference.md"
    out.write_text(text)
    print(f"wrote {out}")
    write_targets("device_inference", target_rows(ms))
    return 0


if __name__ == "__main__":
    from imuforge._quiet import preload_ml_stack

    preload_ml_stack()
    sys.exit(main())

"""HIL on the real firmware (QEMU mps2-an386, Cortex-M4): latency per inference from SysTick cycles, throughput.

For each ``-icount shift`` (QEMU's virtual clock advances 2^shift ns per instruction; SysTick counts
the 25 MHz SYSCLK), runs ``imuforge.hil.runner.run_hil`` over ``socket://`` on the committed
export (firmware_bridge/model/export, 45 windows, ``--runs 20 --warmup 1``) and reports µs, SysTick
cycles (µs × 25) and instructions (µs × 1000 / 2^shift) per inference, bit-exactness and windows/s.
Peers measured in the same run: the host's TFLM interpreter (tflite-micro Python, reference kernels)
per inference, and the emulated wearable (:mod:`imuforge.hil.device`, as `imuforge emulate --hil-model` runs it) over TCP.
Writes ``benchmarks/results/firmware_hil.md`` and ``firmware_hil.targets.json``.

    .venv/bin/python benchmarks/bench_firmware_hil.py
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("IMUFORGE_PROGRESS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
FW = ROOT / "firmware_bridge"
EXPORT = FW / "model" / "export"
SYSCLK_HZ = 25_000_000
ELF = FW / "qemu/build/imuforge_bridge.elf"
RUNS = 20

from _targets import Target, command_line, status, write_targets  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_qemu(shift: int | None, runs: int, out: Path) -> dict:
    from imuforge.bridge.links import SerialLink
    from imuforge.hil.runner import run_hil

    port = _port()
    cmd = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial",
           f"tcp:127.0.0.1:{port},server=on,wait=on", "-kernel", str(ELF)]
    if shift is not None:
        cmd[1:1] = ["-icount", f"shift={shift}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        link = SerialLink(f"socket://127.0.0.1:{port}")
        rep = run_hil(EXPORT, EXPORT, link, out=out, runs=runs, warmup=1)
        link.close()
    finally:
        proc.kill()
        proc.wait(5)
    return rep


def measure() -> dict:
    """Firmware in QEMU at three -icount shifts and free-running; host TFLM and the emulated wearable as peers."""
    import numpy as np

    from imuforge.bridge.links import SerialLink
    from imuforge.export import TflmModel
    from imuforge.hil.device import start_emulator
    from imuforge.hil.runner import run_hil

    tmp = Path(tempfile.mkdtemp(prefix="bench-fw-hil-"))
    shifts = {}
    for shift in (4, 5, 6):
        rep = run_qemu(shift, RUNS, tmp / f"s{shift}")
        us = rep["latency"]["mean_us"]
        shifts[shift] = {"us": us, "cycles": us * SYSCLK_HZ / 1e6, "instructions": us * 1000 / 2 ** shift,
                         "min_us": rep["latency"]["min_us"], "max_us": rep["latency"]["max_us"],
                         "bit_exact": rep["bit_exact"], "windows": rep["windows"],
                         "windows_per_s": rep["throughput"]["windows_per_s"]}
    free = run_qemu(None, RUNS, tmp / "free")
    with np.load(EXPORT / "reference.npz") as z:
        q = z["q"][:1]
    tflm_us = TflmModel((EXPORT / "model.tflite").read_bytes()).latency_us(q, repeats=200)["median_us"]
    emu = start_emulator(EXPORT, transport="tcp")
    try:
        link = SerialLink(emu.port)
        erep = run_hil(EXPORT, EXPORT, link, out=tmp / "emu", runs=RUNS, warmup=1)
        link.close()
    finally:
        emu.stop()
    return {"shifts": shifts, "free": free, "tflm_us": tflm_us, "emulator": erep}


def firmware_facts() -> dict:
    """Compiler version, the ELF's text size and the model card's figures, for the page."""
    def out(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    text_bytes = int(out("arm-none-eabi-size", str(ELF)).splitlines()[1].split()[0])
    card = json.loads((EXPORT / "card.json").read_text())
    return {"gcc": out("arm-none-eabi-gcc", "-dumpversion").strip(), "text_bytes": text_bytes,
            "parameters": card["size"]["parameters"], "ops": ", ".join(card["model"]["ops"])}


def report_markdown(m: dict, facts: dict) -> str:
    sh, free, erep = m["shifts"], m["free"], m["emulator"]
    s5 = sh[5]
    ewps = erep["throughput"]["windows_per_s"]
    L = ["# HIL on the real firmware (QEMU mps2-an386, Cortex-M4)", "",
         f"Command: `{command_line()}` (written by the script).", "",
         (f"Firmware: `firmware_bridge/qemu` (arm-none-eabi-gcc {facts['gcc']}, {facts['text_bytes'] / 1000:.1f} KB "
          "text), answering the HIL messages from the portable core (`core/ifb_hil.c`) with the int8 model of "
          f"`firmware_bridge/model/export` ({facts['parameters']} parameters; ops {facts['ops']}) run by the C "
          "reference kernels. Reference: the host's TFLM interpreter (tflite-micro Python). Link: QEMU's UART0 on "
          "a TCP chardev, `imuforge.hil.runner.run_hil` (the code behind `imuforge hil --port socket://…`), "
          f"`runs={RUNS}`, `warmup=1`. Latency from SysTick (mps2-an386 SYSCLK 25 MHz); under `-icount shift=N` "
          "QEMU's virtual clock advances 2^N ns per instruction, so instructions = µs × 1000 / 2^N."), "",
         ("| -icount shift | ns / instruction | µs / inference | SysTick cycles | instructions | min–max µs "
          f"| bit-exact (windows) | windows/s (runs={RUNS}) |"), "|---|---|---|---|---|---|---|---|"]
    for shift, r in sh.items():
        L.append(f"| {shift} | {2 ** shift} | {r['us']:.1f} | {r['cycles']:.0f} | {r['instructions']:.0f} | "
                 f"{r['min_us']:.1f}–{r['max_us']:.1f} | {r['bit_exact']} ({r['windows']}) | {r['windows_per_s']:.1f} |")
    fl = free["latency"]
    L.append(f"| none (free-running) | – | {fl['mean_us']:.1f} | {fl['mean_us'] * 25:.0f} | – | "
             f"{fl['min_us']:.1f}–{fl['max_us']:.1f} | {free['bit_exact']} ({free['windows']}) | "
             f"{free['throughput']['windows_per_s']:.1f} |")
    ins = [r["instructions"] for r in sh.values()]
    same = (f"* Instructions per inference at the three shifts: {', '.join(f'{x:.0f}' for x in ins)} (the same "
            "count checks the SysTick clock: µs scale with 2^shift). At shift 5 one inference takes "
            f"**{s5['us']:.0f} µs = {s5['cycles']:.0f} cycles** of the 25 MHz clock. Without `-icount` the "
            "figures follow the host CPU and mean nothing for a microcontroller.")
    peers = (f"* Peers in the same run: the host TFLM interpreter takes {m['tflm_us']:.1f} µs per inference "
             f"(median, Python call included); the emulated wearable (TFLM on the host) over TCP did {ewps:.1f} "
             f"windows/s (firmware in QEMU at shift 5 / emulated wearable: {s5['windows_per_s'] / ewps:.2f}×), "
             f"bit-exact {erep['bit_exact']}. Throughput in QEMU is bound by its UART receive path, not by the "
             "firmware.")
    L += ["", same, peers,
          "* The acceptance suite against this firmware runs in `tests/hil/test_firmware_hil.py` (`make test`).", ""]
    return "\n".join(L)


def target_rows(m: dict) -> list[Target]:
    runs = [*m["shifts"].values(), {"bit_exact": m["free"]["bit_exact"], "windows": m["free"]["windows"]}]
    exact = sum(bool(r["bit_exact"]) for r in runs)
    s5 = m["shifts"][5]
    return [Target(
        "7 HIL firmware", "QEMU Cortex-M4 firmware answers HIL bit-exact against TFLM",
        f"bit-exact in {exact} of {len(runs)} runs ({s5['windows']} windows each: -icount 4, 5, 6, free); "
        f"{s5['us']:.0f} µs = {s5['cycles']:.0f} SysTick cycles per inference at shift 5",
        f"host TFLM interpreter (tflite-micro), {m['tflm_us']:.1f} µs per inference on the host",
        status(exact, at_least=len(runs), unit="runs"),
        {"bit_exact_runs": exact, "runs": len(runs), "us_shift5": s5["us"], "cycles_shift5": s5["cycles"]})]


def main() -> int:
    if not all(shutil.which(t) for t in ("arm-none-eabi-gcc", "qemu-system-arm")):
        print("needs gcc-arm-none-eabi and qemu-system-arm (make setup installs them where it can)")
        return 1
    subprocess.run(["make", "-s", "-C", str(FW), "qemu"], check=True)
    m = measure()
    text = report_markdown(m, firmware_facts())
    print(text)
    out = Path(__file__).resolve().parent / "results" / "firmware_hil.md"
    out.write_text(text)
    print(f"wrote {out}")
    write_targets("firmware_hil", target_rows(m))
    return 0


if __name__ == "__main__":
    from imuforge._quiet import preload_ml_stack

    preload_ml_stack()  # no TensorFlow start-up chatter in the figures
    sys.exit(main())

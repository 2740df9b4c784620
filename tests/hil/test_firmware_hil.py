"""HIL on the real firmware: the QEMU mps2-an386 (Cortex-M4) build answers the HIL messages with an int8 MLP
run by its C reference kernels; ``imuforge hil --port socket://…`` checks every output bit for bit against
the host's TFLM interpreter, and the latency comes from SysTick cycles under ``-icount``.

Skipped only when the ARM toolchain or QEMU are absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

FW = Path(__file__).resolve().parents[2] / "firmware_bridge"
EXPORT = FW / "model" / "export"
ELF = FW / "qemu" / "build" / "imuforge_bridge.elf"
#: QEMU's virtual clock advances 2^ICOUNT_SHIFT ns per instruction; SysTick counts the 25 MHz SYSCLK.
ICOUNT_SHIFT = 5
SYSCLK_HZ = 25_000_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Wait until QEMU listens on ``port`` (without connecting: its chardev serves one client)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"QEMU exited with {proc.returncode}")
        out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if shutil.which("ss") else ""
        if f":{port} " in out:
            return
        if not out:
            time.sleep(0.5)
            return
        time.sleep(0.05)
    raise RuntimeError(f"QEMU did not listen on {port} within {timeout} s")


@pytest.fixture(scope="module")
def firmware() -> Path:
    missing = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm", "make") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install gcc-arm-none-eabi "
                    "libnewlib-arm-none-eabi qemu-system-arm)")
    r = subprocess.run(["make", "-s", "-C", str(FW), "qemu"], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    return ELF


def _qemu(firmware: Path, port: int, shift: int | None = ICOUNT_SHIFT) -> subprocess.Popen:
    cmd = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
           "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on", "-kernel", str(firmware)]
    if shift is not None:
        cmd[1:1] = ["-icount", f"shift={shift}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_listening(port, proc)
    return proc


def test_generated_header_matches_the_committed_export(tmp_path):
    """ifb_model_data.h is what gen_model.py makes from export/model.tflite (weights, multipliers, identity)."""
    sys.path.insert(0, str(FW / "model"))
    try:
        import gen_model
    finally:
        sys.path.remove(str(FW / "model"))
    text = gen_model.write_header(EXPORT, tmp_path / "h.h", tmp_path / "v.h")
    assert text == (FW / "model" / "ifb_model_data.h").read_text()
    assert (tmp_path / "v.h").read_text() == (FW / "model" / "ifb_model_vectors.h").read_text()
    sha = hashlib.sha256((EXPORT / "model.tflite").read_bytes()).digest()
    assert ", ".join(f"0x{b:02x}" for b in sha) in text


def test_qemu_firmware_hil_bit_exact_with_cycle_latency(firmware, tmp_path):
    """``imuforge hil --port socket://…`` against the firmware in QEMU: every window bit-exact, latency from SysTick."""
    port = _free_port()
    proc = _qemu(firmware, port)
    try:
        out = tmp_path / "hil"
        env = {**os.environ, "IMUFORGE_PROGRESS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
        r = subprocess.run([sys.executable, "-c", "import sys; from imuforge.cli import main; sys.exit(main())", "hil", "--model", str(EXPORT), "--data", str(EXPORT),
                            "--port", f"socket://127.0.0.1:{port}", "--runs", "3", "--warmup", "1", "--out", str(out)],
                           capture_output=True, text=True, timeout=120, env=env)
    finally:
        proc.kill()
        proc.wait(5)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rep = json.loads((out / "hil_report.json").read_text())
    n = json.loads((EXPORT / "card.json").read_text())["data"]["test"]["windows"]
    assert rep["windows"] == n == rep["windows_completed"] and n >= 40
    assert rep["bit_exact"] and rep["mismatch_count"] == 0 and rep["passed"]
    assert rep["device"]["match"] and rep["device"]["device_sha256"] == rep["model"]["sha256"]
    assert rep["device"]["name"].startswith("qemu_mlp")
    assert rep["device"]["arena_used"] == 28 and rep["arena_used_bytes"] == 28  # hidden 24 + logits 3 → 4-aligned
    assert rep["retries"] == 0 and rep["device_resets"] == [] and rep["device_errors"] == 0
    # the device's accuracy is the host reference's (same outputs)
    assert rep["accuracy"] == rep["reference"]["accuracy"]
    lat = rep["latency"]
    # deterministic instruction count → µs at 25 MHz: a few thousand MACs take tens to hundreds of µs
    assert 20 < lat["min_us"] <= lat["median_us"] <= lat["max_us"] < 5000
    assert lat["max_us"] - lat["min_us"] <= 0.05 * lat["median_us"] + 2  # same code path for every window
    # every report says it came from the QEMU firmware, and that its latency is emulated SysTick time
    from imuforge.hil.report import CLOCK_QEMU

    assert rep["produced_by"]["kind"] == "qemu" and lat["clock"] == CLOCK_QEMU
    assert "produced by QEMU firmware" in r.stdout and "QEMU emulated SysTick" in r.stdout
    assert "device clock" not in r.stdout
    assert "QEMU firmware" in (out / "hil_report.html").read_text()
    assert 'name="produced_by_kind" value="qemu"' in (out / "hil_junit.xml").read_text()


def test_qemu_firmware_hil_errors_as_messages(firmware):
    """Bad input on the real firmware: CRC mismatch, wrong length and missing bytes come back as HIL_ERROR."""
    import numpy as np

    from imuforge.bridge import protocol as P
    from imuforge.bridge.links import SerialLink
    from imuforge.hil import messages as M

    port = _free_port()
    proc = _qemu(firmware, port, shift=None)
    link = SerialLink(f"socket://127.0.0.1:{port}")
    try:
        dec = P.FrameDecoder()
        seq = [0]

        def ask(msg, want=1, timeout=5.0):
            link.write(P.encode_frame(msg, seq[0]))
            seq[0] += 1
            got, t0 = [], time.monotonic()
            while len(got) < want and time.monotonic() - t0 < timeout:
                data = link.read(0.05)
                for fr in dec.feed(data):
                    got.append(fr.message())
            return got

        model = ask(M.HilGetModel())[0]
        assert isinstance(model, M.HilModel) and model.input_bytes == 192 and model.output_len == 3
        x = np.arange(192, dtype=np.int8).tobytes()
        import zlib

        assert ask(M.HilLoad(1, 100, 0), 1)[0].code == M.HilErrorCode.BAD_LENGTH
        ask(M.HilLoad(2, 192, zlib.crc32(x) ^ 1), 0, 0.2)
        ask(M.HilChunk(2, 0, x), 0, 0.2)
        assert ask(M.HilInfer(2, 1, 0))[0].code == M.HilErrorCode.CRC_MISMATCH
        ask(M.HilLoad(3, 192, zlib.crc32(x)), 0, 0.2)
        ask(M.HilChunk(3, 0, x[:100]), 0, 0.2)
        e = ask(M.HilInfer(3, 1, 0))[0]
        assert e.code == M.HilErrorCode.MISSING_BYTES and "92 of 192" in e.text
        assert ask(M.HilInfer(9, 1, 0))[0].code == M.HilErrorCode.UNKNOWN_WINDOW
        ask(M.HilLoad(4, 192, zlib.crc32(x)), 0, 0.2)
        ask(M.HilChunk(4, 96, x[96:]), 0, 0.2)
        ask(M.HilChunk(4, 0, x[:96]), 0, 0.2)
        res = ask(M.HilInfer(4, 2, 1))[0]
        assert isinstance(res, M.HilResult) and res.runs == 2 and len(res.output) == 3
        assert res.boot_id == model.boot_id
    finally:
        link.close()
        proc.kill()
        proc.wait(5)


def test_an_interrupt_while_qemu_starts_leaves_no_qemu_running(firmware, monkeypatch):
    """Ctrl-C or SIGTERM (a KeyboardInterrupt under `imuforge`) while QEMU boots left it running (session 58's
    review): the board is killed before the interrupt goes on."""
    from imuforge.hil import qemu

    started = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    def interrupted(port):
        raise KeyboardInterrupt

    monkeypatch.setattr(qemu.subprocess, "Popen", popen)
    monkeypatch.setattr(qemu, "_listening", interrupted)
    with pytest.raises(KeyboardInterrupt):
        qemu.start_qemu(firmware)
    assert len(started) == 1 and started[0].poll() is not None

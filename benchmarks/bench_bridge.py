"""Bridge benchmarks: decoder fuzz (≥ 100 000 cases), serial throughput at a paced baud, BLE rate.

* serial: SAMPLES frames and, as the peer measured in the same run, the CSV line a sketch prints for
  a CSV-streaming tool (Edge Impulse's data forwarder, Arduino ``IMU_Capture``: ``ax,ay,az,gx,gy,gz``
  in g and dps, 3 decimals) through the same paced link. The peer's host side does what such a tool
  does with every line — split it at the separators, parse each field as a number, drop lines with
  the wrong field count — and only parsed samples count (checked against the values sent).
* BLE: batched frames over emulated controllers (bumble), paced by an air-time model in imuforge's
  emulated peripheral (7.5 ms connection interval, at most 4 notifications per connection event).
  The "1 sample per notification" rows run the *same* peripheral and air-time model sending one
  sample per notification (the pattern behind bleak issue #642): a model of that design, not a
  measurement of another tool.

Writes ``benchmarks/results/bridge.md`` and ``bridge.targets.json``.
Run: ``.venv/bin/python benchmarks/bench_bridge.py [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

import numpy as np
from _targets import Status, Target, combine, command_line, number, status, write_targets

from imuforge.bridge import cobs
from imuforge.bridge import protocol as P
from imuforge.bridge.emulator import FORMULA_SCALES, EmulatedDevice, FormulaSource, formula_raw
from imuforge.bridge.links import SerialLink

HERE = Path(__file__).resolve().parent
CONNECTION_INTERVAL_S = 0.0075
PER_EVENT = 4
CSV_FIELDS = 6


# ------------------------------------------------------------------------------ fuzz
def bench_fuzz(cases: int, seed: int = 0) -> dict:
    """Each case: a good frame, a corrupted copy (random bytes flipped/inserted/deleted/truncated) and
    random garbage; the decoder must never raise, reject every corrupted frame, and decode the next good one."""
    rng = np.random.default_rng(seed)
    dec = P.FrameDecoder()
    good = [P.encode_frame(P.Samples(i * 1000, i * 17, 10_000_000, 0x03, FORMULA_SCALES,
                                     formula_raw(np.arange(i * 17, i * 17 + 17))), i) for i in range(64)]
    payloads = [P.decode_body(cobs.decode(g[:-1])).payload for g in good]
    accepted_bad = 0
    missed_good = 0
    t0 = time.perf_counter()
    for c in range(cases):
        g = good[c % 64]
        bad = bytearray(g)
        kind = c % 4
        if kind == 0:
            for _ in range(int(rng.integers(1, 4))):
                bad[int(rng.integers(0, len(bad) - 1))] ^= int(rng.integers(1, 256))
        elif kind == 1:
            bad.insert(int(rng.integers(0, len(bad) - 1)), int(rng.integers(1, 256)))
        elif kind == 2:
            del bad[int(rng.integers(0, len(bad) - 1))]
        else:
            bad = bad[: int(rng.integers(1, len(bad) - 1))] + b"\x00"
        junk = rng.integers(0, 256, int(rng.integers(0, 40)), dtype=np.uint8).tobytes()
        frames = dec.feed(bytes(bad) + junk + b"\x00" + g)
        accepted_bad += sum(1 for f in frames if f.payload != payloads[c % 64])
        if not frames or frames[-1].seq != c % 64:
            missed_good += 1
    dt = time.perf_counter() - t0
    return {"cases": cases, "seconds": dt, "cases_per_s": cases / dt, "corrupt_counted": dec.stats.frames_corrupt,
            "accepted_corrupt_frames": accepted_bad, "missed_good_frames": missed_good}


# ------------------------------------------------------------------------------ serial
def _paced_writer(fd: int, data: bytes, bytes_per_s: float, stop: threading.Event) -> None:
    t0 = time.monotonic()
    sent = 0
    n = len(data)
    while sent < n and not stop.is_set():
        due = int((time.monotonic() - t0) * bytes_per_s)
        if due > sent:
            chunk = data[sent:min(due, n)]
            k = os.write(fd, chunk)
            sent += k
        else:
            time.sleep(0.0005)


class CsvLineParser:
    """The CSV peer's host side, written for this benchmark: what a CSV-streaming tool does per line.

    Like Edge Impulse's data forwarder, it splits each received line at ``,``, tab or space, parses
    every field as a number and keeps only lines with the expected number of fields; the parsed
    rows are the samples. A line cut by the end of the stream is not counted.
    """

    SEPARATORS = re.compile(rb"[,\t ]+")

    def __init__(self, fields: int):
        self.fields = fields
        self.rows: list[list[float]] = []
        self.bad_lines = 0
        self._tail = b""

    def feed(self, data: bytes) -> int:
        """Parse the complete lines in ``data`` (plus what was left over); returns the samples added."""
        lines = (self._tail + data).split(b"\n")
        self._tail = lines.pop()
        before = len(self.rows)
        for line in lines:
            try:
                values = [float(f) for f in self.SEPARATORS.split(line.strip())]
            except ValueError:
                self.bad_lines += 1
                continue
            if len(values) == self.fields:
                self.rows.append(values)
            else:
                self.bad_lines += 1
        return len(self.rows) - before


def frame_stream(n_bytes: int) -> bytes:
    """6-axis SAMPLES frames of 17 samples each (the formula's values), cut to ``n_bytes``."""
    frames = bytearray()
    k = 0
    while len(frames) < n_bytes:
        frames += P.encode_frame(P.Samples(k * 1000, k, 1_000_000, 0x03, FORMULA_SCALES,
                                           formula_raw(np.arange(k, k + 17))), k // 17)
        k += 17
    return bytes(frames[:n_bytes])


def csv_stream(n_bytes: int) -> tuple[bytes, np.ndarray]:
    """The same formula as ``IMU_Capture``-style CSV lines (g and dps, 3 decimals, as ``Serial.print(x, 3)``
    prints them), cut to ``n_bytes``; and the values the lines hold (for checking the parsed ones)."""
    n_lines = n_bytes // 30 + 100
    raw = formula_raw(np.arange(n_lines)).astype(float)
    values = np.column_stack([raw[:, :3] * FORMULA_SCALES[0] / 9.80665, np.rad2deg(raw[:, 3:] * FORMULA_SCALES[1])])
    text = "".join(f"{a:.3f},{b:.3f},{c:.3f},{d:.3f},{e:.3f},{f:.3f}\r\n" for a, b, c, d, e, f in values)
    return text.encode()[:n_bytes], np.round(values, 3)


def receive_paced(blob: bytes, baud: int, seconds: float, consume) -> dict:
    """Send ``blob`` into a pty paced at ``baud`` (8N1: baud/10 bytes/s); ``consume(bytes)`` → samples
    handles what the host reads through :class:`SerialLink`. Returns bytes, samples and rates."""
    bps = baud / 10.0
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    link = SerialLink(os.ttyname(slave), baud)
    stop = threading.Event()
    th = threading.Thread(target=_paced_writer, args=(master, blob, bps, stop), daemon=True)
    got = samples = 0
    t0 = time.monotonic()
    th.start()
    try:
        while time.monotonic() - t0 < seconds + 1.0 and got < len(blob):
            data = link.read(0.05)
            got += len(data)
            samples += consume(data)
        dt = time.monotonic() - t0
    finally:
        stop.set()
        th.join(2)
        link.close()
        os.close(master)
        os.close(slave)
    return {"bytes": got, "sent": len(blob), "samples": samples, "seconds": dt, "bytes_per_s": got / dt,
            "samples_per_s": samples / dt, "link_utilisation": got / dt / bps,
            "bytes_per_sample": got / max(samples, 1)}


def bench_serial(baud: int, seconds: float) -> dict:
    """Frames and CSV lines through a pty paced at ``baud``; every sample is decoded / parsed."""
    n_bytes = int(baud / 10.0 * seconds)
    frames = frame_stream(n_bytes)
    expected = sum(f.message().n for f in P.FrameDecoder().feed(frames))  # whole frames in the stream
    dec = P.FrameDecoder()
    fr = receive_paced(frames, baud, seconds,
                       lambda d: sum(f.message().n for f in dec.feed(d) if f.type == P.MsgType.SAMPLES))
    fr.update(expected_samples=expected, corrupt=dec.stats.frames_corrupt,
              zero_loss=fr["samples"] == expected and dec.stats.frames_corrupt == 0)

    blob, values = csv_stream(n_bytes)
    parser = CsvLineParser(CSV_FIELDS)
    cv = receive_paced(blob, baud, seconds, parser.feed)
    parsed = np.array(parser.rows).reshape(-1, CSV_FIELDS)
    cv.update(expected_samples=blob.count(b"\n"), bad_lines=parser.bad_lines,
              values_match=bool(np.allclose(parsed, values[:len(parsed)], rtol=0, atol=1e-6)))

    wire = len(P.encode_frame(P.Samples(0, 0, 1, 3, (1.0, 1.0), np.zeros((17, 6), np.int16)), 0))
    return {"baud": baud, "line_bytes_per_s": baud / 10.0, "frames": fr, "csv": cv,
            "frame_overhead": {"payload_bytes": 12 * 17, "wire_bytes": wire, "overhead_fraction": 1 - 12 * 17 / wire}}


# ------------------------------------------------------------------------------ BLE
def ble_run(loop, one_per_notification: bool, rate: float, seconds: float) -> dict:
    """One capture over emulated BLE controllers from the emulated peripheral under the air-time model."""
    from bumble.link import LocalLink

    from imuforge.bridge import ble
    from imuforge.bridge.capture import CaptureOptions, capture

    emu = EmulatedDevice(FormulaSource(), scales=FORMULA_SCALES, odrs_hz=(100.0, 500.0, 1000.0, 2000.0, 4000.0))
    stop = asyncio.Event()

    async def setup():
        link = LocalLink()
        per = ble.BlePeripheral(ble.local_device(link, "emu", ble.PERIPHERAL_ADDRESS), emu, "bench-emu",
                                pack_frames=not one_per_notification, connection_interval_s=CONNECTION_INTERVAL_S,
                                per_event=PER_EVENT)
        await per.start()
        ble.use_central(ble.local_device(link, "host", ble.HOST_ADDRESS))
        return per, asyncio.ensure_future(per.run(stop))

    per, task = asyncio.run_coroutine_threadsafe(setup(), loop).result(20)
    blink = ble.BleLink("bench-emu", backend="bumble", loop=loop)
    if one_per_notification:
        emu.max_frame = len(P.encode_frame(P.Samples(0, 0, 1, 3, (1.0, 1.0), np.zeros((1, 6), np.int16)), 0))
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as d:
        res = capture(lambda: blink, os.path.join(d, "b.rawlog"), CaptureOptions(seconds=seconds, odr_hz=rate))
    dt = time.monotonic() - t0
    loop.call_soon_threadsafe(stop.set)
    asyncio.run_coroutine_threadsafe(asyncio.wait_for(task, 5), loop).result(10)
    rec = res.recording
    n = len(rec) if rec is not None else 0
    first = rec.provenance["first_sample_index"] if rec is not None else 0
    exact = bool(rec is not None and np.array_equal(rec.data, FormulaSource()(np.arange(first, first + n), rate)))
    return {"mode": "1 sample/notification (model)" if one_per_notification else "batched frames",
            "one_per_notification": one_per_notification, "odr_hz": rate, "expected": int(rate * seconds),
            "received": n, "missing": res.stats.missing_samples, "complete": res.complete, "exact": exact,
            "notifications": per.notifications, "measured_rate_hz": rec.rate_hz if rec else 0.0, "wall_s": dt}


def bench_ble(rates: list[float], seconds: float) -> list[dict]:
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    try:
        return [ble_run(loop, one, rate, seconds) for one in (False, True) for rate in rates]
    finally:
        loop.call_soon_threadsafe(loop.stop)


# ------------------------------------------------------------------------------ report
def target_rows(fz: dict, serial: list[dict], ble_rows: list[dict]) -> list[Target]:
    ser = combine({f"{s['baud']} baud": combine({
        "link use": status(100 * s["frames"]["link_utilisation"], at_least=95, unit="%"),
        "zero loss": Status("met" if s["frames"]["zero_loss"] else "missed")}) for s in serial})
    csv_ratio = [s["frames"]["samples_per_s"] / max(s["csv"]["samples_per_s"], 1e-9) for s in serial]
    batched = [r for r in ble_rows if not r["one_per_notification"]]
    model = [r for r in ble_rows if r["one_per_notification"]]
    ok_rates = [r["odr_hz"] for r in batched if r["complete"] and r["missing"] == 0 and r["exact"]]
    per_notif = sum(r["received"] for r in batched) / max(sum(r["notifications"] for r in batched), 1)
    m1 = next((r for r in model if r["odr_hz"] == 1000.0), model[0])
    return [
        Target("4 bridge", "decoder fuzz ≥ 100 000 cases, no crash, no corrupt frame accepted",
               f"{number(fz['cases'])} cases, no exception, {fz['accepted_corrupt_frames']} corrupt frames accepted, "
               f"{fz['missed_good_frames']} good frames missed after corruption", "—",
               combine({"cases": status(fz["cases"], at_least=100_000),
                        "corrupt accepted": status(fz["accepted_corrupt_frames"], at_most=0),
                        "good missed": status(fz["missed_good_frames"], at_most=0)}),
               {k: fz[k] for k in ("cases", "accepted_corrupt_frames", "missed_good_frames")}),
        Target("4 bridge", "serial ≥ 95 % of the baud's bytes/s, zero loss",
               " and ".join(f"{100 * s['frames']['link_utilisation']:.1f} % at {number(s['baud'])} baud" for s in serial)
               + (", zero loss" if all(s["frames"]["zero_loss"] for s in serial) else ", LOSS")
               + f"; {100 * serial[0]['frame_overhead']['overhead_fraction']:.1f} % frame overhead",
               "CSV lines parsed per line as Edge Impulse's data forwarder does, same link: "
               + " / ".join(f"{x:.2f}×" for x in csv_ratio) + " fewer samples/s", ser,
               {"link_use": [s["frames"]["link_utilisation"] for s in serial], "csv_ratio": csv_ratio}),
        Target("4 bridge", "BLE ≥ 1 kHz 6-axis, zero loss",
               (", ".join(f"{r / 1000:g}" for r in ok_rates) + " kHz complete, zero loss, bit-exact" if ok_rates
                else "no rate complete without loss") + f" ({per_notif:.1f} samples per notification)",
               "none measured; modelled: one sample per notification, same peripheral and air-time model "
               f"({PER_EVENT / CONNECTION_INTERVAL_S:.0f} notifications/s) delivers {number(m1['received'])} of "
               f"{number(m1['expected'])} samples at {m1['odr_hz'] / 1000:g} kHz in {m1['wall_s']:.1f} s",
               status(max(ok_rates, default=0.0), at_least=1000, unit="Hz"),
               {"ok_rates_hz": ok_rates, "samples_per_notification": per_notif}),
    ]


def fuzz_line(f: dict) -> str:
    return (f"fuzz: {f['cases']} cases in {f['seconds']:.1f} s ({f['cases_per_s']:.0f}/s); corrupt frames counted "
            f"{f['corrupt_counted']}; corrupted frames accepted {f['accepted_corrupt_frames']}; "
            f"good frames missed after corruption {f['missed_good_frames']}")


def serial_line(s: dict) -> str:
    fr, cv = s["frames"], s["csv"]
    return (f"serial {s['baud']} baud (8N1 → {s['line_bytes_per_s']:.0f} B/s): frames {fr['bytes_per_s']:.0f} B/s "
            f"= {100 * fr['link_utilisation']:.1f} % of the line, {fr['samples_per_s']:.0f} samples/s "
            f"({fr['bytes_per_sample']:.2f} B/sample), {fr['samples']}/{fr['expected_samples']} samples decoded, "
            f"{fr['corrupt']} corrupt; CSV peer {cv['samples_per_s']:.0f} parsed samples/s "
            f"({cv['bytes_per_sample']:.2f} B/sample, {cv['bad_lines']} bad lines, values as sent: "
            f"{cv['values_match']}); ratio {fr['samples_per_s'] / max(cv['samples_per_s'], 1):.2f}×")


def ble_line(r: dict) -> str:
    return (f"BLE {r['mode']:<30} {r['odr_hz']:6.0f} Hz: received {r['received']}/{r['expected']}, missing "
            f"{r['missing']}, exact {r['exact']}, complete {r['complete']}, {r['notifications']} notifications, "
            f"measured {r['measured_rate_hz']:.1f} Hz, wall {r['wall_s']:.1f} s")


def report_markdown(fz: dict, serial: list[dict], ble_rows: list[dict], raw: list[str], seconds: float) -> str:
    oh = serial[0]["frame_overhead"]
    L = ["# Device bridge: benchmark results", "",
         (f"Command: `{command_line()}` (written by the script; raw output at the end). Peer measured in the same "
          "run: the CSV line a sketch prints for a CSV-streaming tool (Edge Impulse's data forwarder, Arduino "
          "`IMU_Capture`: `ax,ay,az,gx,gy,gz` in g and dps, 3 decimals) through the same paced serial link, "
          "every line parsed into numbers on the host as such a tool does."), "",
         "## Decoder fuzz", "",
         (f"{number(fz['cases'])} cases (each: a corrupted copy of a SAMPLES frame – bit flips, inserted byte, "
          f"deleted byte or truncation – then 0–40 random bytes, a delimiter and a good frame), {fz['seconds']:.1f} s: "
          f"no exception, **{fz['accepted_corrupt_frames']} corrupted frames accepted**, "
          f"{number(fz['corrupt_counted'])} rejected chunks counted, **{fz['missed_good_frames']} good frames "
          "missed** after corruption. Hypothesis fuzzing of the same properties runs in "
          "`tests/bridge/test_protocol.py`."), "",
         f"## Serial, paced at the baud rate (pty, 8N1 → baud/10 bytes/s, {seconds:g} s)", "",
         ("| baud | line B/s | frames: link use | frames: samples/s | B/sample | decoded / sent samples | "
          "CSV peer: parsed samples/s | CSV B/line | frames / CSV |"), "|---|---|---|---|---|---|---|---|---|"]
    for s in serial:
        fr, cv = s["frames"], s["csv"]
        L.append(f"| {number(s['baud'])} | {number(s['line_bytes_per_s'])} | {number(fr['bytes_per_s'])} B/s = "
                 f"**{100 * fr['link_utilisation']:.1f} %** | {number(fr['samples_per_s'])} | "
                 f"{fr['bytes_per_sample']:.2f} | {number(fr['samples'])} / {number(fr['expected_samples'])} | "
                 f"{number(cv['samples_per_s'])} | {cv['bytes_per_sample']:.1f} | "
                 f"**{fr['samples_per_s'] / max(cv['samples_per_s'], 1e-9):.2f}×** |")
    L += ["", f"Frame overhead: a 6-axis SAMPLES frame carries 17 samples = {oh['payload_bytes']} sample bytes in "
          f"{oh['wire_bytes']} wire bytes: **{100 * oh['overhead_fraction']:.1f} %**. The CSV peer's lines were "
          "parsed field by field (split at `,`/tab/space, each field a number, 6 fields per line); its parsed "
          "values equal those sent: " + ", ".join(str(s["csv"]["values_match"]) for s in serial)
          + ". (A pty does not throttle; the writer paces to the baud, so \"link use\" is the share of the baud's "
          "bytes/s the host received and decoded.)", ""]
    L += ble_markdown(ble_rows)
    L += ["## Raw output", "", "```", *raw, "```", ""]
    return "\n".join(L)


def ble_markdown(rows: list[dict]) -> list[str]:
    rate = PER_EVENT / CONNECTION_INTERVAL_S
    model = [r["received"] / r["wall_s"] for r in rows if r["one_per_notification"]]
    delivered = f"{min(model):.0f}–{max(model):.0f}" if model else "—"
    L = ["## BLE over emulated controllers (bumble LocalLink, stock bleak API via the bumble backend)", "",
         (f"Air-time model in imuforge's emulated peripheral: {1e3 * CONNECTION_INTERVAL_S:g} ms connection "
          f"interval, at most {PER_EVENT} notifications per connection event (≈ {rate:.0f} notifications/s), "
          f"ATT MTU {P.BLE_DEFAULT_ATT_MTU}."), "",
         ("**No BLE peer was measured.** The \"1 sample/notification\" rows are not another tool: they are the "
          "same emulated peripheral under the same air-time model sending one sample per notification (the "
          "pattern behind bleak issue #642). They show what that model predicts — at most "
          f"≈ {rate:.0f} samples/s; received here: {delivered} samples/s — and that the capture keeps every "
          "sample it receives in order and exact; it stops at its time limit before the expected count "
          "(\"complete\" False) when the rate is above what the model carries."), "",
         "| mode | ODR | received / expected | missing | exact | complete | notifications | wall s |",
         "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        L.append(f"| {r['mode']} | {number(r['odr_hz'])} Hz | {number(r['received'])} / {number(r['expected'])} | "
                 f"{r['missing']} | {r['exact']} | {r['complete']} | {number(r['notifications'])} | {r['wall_s']:.1f} |")
    return L + [""]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer fuzz cases, shorter runs (targets then missed)")
    ap.add_argument("--fuzz-cases", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bridge.md")
    args = ap.parse_args()
    raw = []

    def say(line: str) -> None:
        print(line, flush=True)
        raw.append(line)

    fz = bench_fuzz(5000 if args.quick else args.fuzz_cases)
    say(fuzz_line(fz))
    seconds = 3.0 if args.quick else 6.0
    serial = [bench_serial(baud, seconds) for baud in (115200, 921600)]
    for s in serial:
        say(serial_line(s))
    ble_rows = bench_ble([1000.0, 2000.0] if args.quick else [1000.0, 2000.0, 4000.0], 2.0 if args.quick else 4.0)
    for r in ble_rows:
        say(ble_line(r))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report_markdown(fz, serial, ble_rows, raw, seconds))
    print(f"wrote {args.out}")
    write_targets("bridge", target_rows(fz, serial, ble_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

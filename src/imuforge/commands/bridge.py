"""``imuforge devices``, ``imuforge capture`` and ``imuforge emulate``: the device bridge CLI."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import Any

from imuforge.commands._options import (
    LINK_RANGES,
    add_device_overrides,
    add_label_options,
    check_numbers,
    label_from_args,
)
from imuforge.errors import OutputExistsError, ValidationError


def register(sub) -> None:
    _register_devices(sub)
    _register_capture(sub)
    _register_emulate(sub)


def _register_devices(sub) -> None:
    p = sub.add_parser("devices", help="list serial ports and BLE devices advertising the imuforge service",
                       description="Serial ports (with their USB ids) and the BLE devices that advertise the "
                       "imuforge service, for capture --port / --ble and hil --port / --ble.")
    p.add_argument("--ble-timeout", type=float, default=4.0,
                   help="seconds to scan for BLE devices (0 = skip; at most 3600)")
    p.add_argument("--hci", help="scan through bumble on this HCI transport (e.g. usb:0, tcp-client:HOST:PORT)")
    p.set_defaults(func=cmd_devices)


def _register_capture(sub) -> None:
    p = sub.add_parser("capture", help="capture a labelled recording from a device over serial or BLE",
                       description="Capture from a device speaking the imuforge bridge protocol (or printing "
                       "CSV lines). Received bytes go to an append-only raw log (OUT.rawlog) first; Ctrl-C "
                       "or SIGTERM stops early and keeps what arrived.",
                       epilog="exit status: 0 complete (a warning is printed when more than 5 % of the "
                       "samples are missing); 1 the device answered but sent no sample (the raw log is kept "
                       "and named); 2 bad input, no device answering (unplugged, wrong port or baud: a raw "
                       "log that received nothing is removed with the folders made for it, one that received "
                       "bytes is kept and named) or a device that refuses the configuration (refused "
                       "before any sample arrived, nothing is left behind: its raw log and the folders made "
                       "for it are removed); 3 ended early "
                       "(Ctrl-C or SIGTERM, disconnected or timed out) — what arrived is saved. --guided: 0 "
                       "every activity written, 3 some were not (skipped, still moving after the retries, "
                       "ended early, or the device was lost: the session ends, the recordings written before "
                       "are kept and OUT/guided.json says which were not and why); the device is checked "
                       "before the first prompt (2 when it does not answer).")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--port", help="serial device or pyserial URL (socket://HOST:PORT, loop://)")
    src.add_argument("--port-file", metavar="FILE", help="read the port from FILE, waiting up to --wait-s for it "
                     "to appear (written by `imuforge emulate --port-file FILE` once it listens)")
    src.add_argument("--ble", metavar="NAME_OR_ADDRESS", help="BLE device name or address")
    src.add_argument("--recover", metavar="LOG", help="rebuild the recording from a raw log")
    p.add_argument("--wait-s", type=float, default=30.0,
                   help="--port-file: how long to wait for it (s, default 30)")
    p.add_argument("--seconds", type=float, default=None,
                   help="device time to capture (s, default 10): exactly the samples in [t0, t0 + SECONDS)")
    add_label_options(p, "activity label of the whole recording (e.g. walking)")
    p.add_argument("--out", help="output recording (.imu.parquet, or .csv); default derived from the log/time; "
                   "with --guided: the output folder")
    _add_guided_options(p)
    p.add_argument("--baud", type=int, default=921600, help="serial baud rate (default 921600)")
    p.add_argument("--odr", type=float, help="sample rate to configure (Hz); default: the device's")
    p.add_argument("--range-g", "--acc-range", dest="acc_range", type=float, default=0.0,
                   help="accelerometer ±g to configure (0 = device default)")
    p.add_argument("--range-dps", "--gyro-range", dest="gyro_range", type=float, default=0.0,
                   help="gyroscope ±dps to configure (0 = device default)")
    p.add_argument("--channels", default=None,
                   help="channel groups: acc,gyro[,mag] (default: the device's accelerometer and gyroscope, "
                        "those it has)")
    p.add_argument("--format", choices=("auto", "frames", "csv"), default="auto",
                   help="what the device sends: imuforge frames, plain CSV lines, or auto-detect (default)")
    for flag, what in (("--csv-acc-unit", "the accelerometer values (g, mg, ug, m/s^2; default g; -g for "
                                          "values that hold minus the specific force, as Core Motion's)"),
                       ("--csv-gyro-unit", "the gyro values (dps, deg/s, mdps, rad/s; default dps)")):
        p.add_argument(flag, metavar="UNIT", help=f"CSV mode: unit of {what}").dash_value = True
    p.add_argument("--rate", type=float, help="CSV mode: known sample rate (Hz) instead of measuring it")
    p.add_argument("--profile", help="hardware profile name (default: what the device reports)")
    p.add_argument("--placement", help="placement preset (wrist_left, …)")
    p.add_argument("--subject", help="subject / wearer id")
    p.add_argument("--reconnect", action="store_true", help="reopen the link after a disconnect and go on")
    p.add_argument("--stall-s", type=float, metavar="S",
                   help="nothing received this long while streaming: the link is taken as lost (kept, said, "
                        "reopened with --reconnect); default 3 s or 40 sample periods, the longer; 0: wait "
                        "to the end of --seconds")
    p.add_argument("--hci", help="BLE through bumble on this HCI transport instead of the OS stack")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing --out (the raw log of every capture is kept)")
    p.add_argument("--quiet", action="store_true", help="no live status line")
    p.set_defaults(func=cmd_capture)


def _register_emulate(sub) -> None:
    p = sub.add_parser("emulate", help="run an emulated wearable that streams synthetic data for a profile",
                       description="An emulated wearable: the device a profile describes, streaming its "
                       "samples (--source: lying on a desk, a test signal, or a --schedule of activities a "
                       "synthetic person does while wearing it) on a pseudo-terminal (--pty), TCP or BLE, "
                       "in the framing a real board's firmware uses; with --hil-model it also answers HIL "
                       "requests with the exported model. It runs until killed (Ctrl-C, kill). "
                       "--port-file: the file it writes its port to once it listens (capture and hil "
                       "--port-file wait for it); the file is removed when it stops.")
    p.add_argument("--profile", default="nano33-ble-sense-rev2",
                   help="hardware profile name or TOML path (default: nano33-ble-sense-rev2)")
    add_device_overrides(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal (default)")
    where.add_argument("--tcp", type=int, metavar="PORT",
                       help="serve on TCP (socket://127.0.0.1:PORT; 0 = any free port)")
    where.add_argument("--ble", action="store_true", help="serve as a BLE peripheral through bumble (--hci)")
    p.add_argument("--port-file", metavar="FILE", help="--pty/--tcp: write the port to FILE once listening "
                   "(atomically), for `capture --port-file FILE` / `hil --port-file FILE` to wait on")
    p.add_argument("--hci", default=None,
                   help="bumble HCI transport for --ble (default tcp-client:127.0.0.1:9001; see "
                        "`python -m bumble.apps.controllers`)")
    p.add_argument("--name", default=None, help="BLE advertised name (default imuforge-emu)")
    p.add_argument("--source", choices=("desk", "formula", "schedule"), default=None,
                   help="sample source: desk (still, with profile errors), formula (QEMU test signal), "
                   "schedule (activities through the motion library); default: schedule if given, else desk")
    p.add_argument("--schedule", help="activities, e.g. walking:20,standing:10")
    p.add_argument("--placement", help="placement for --schedule (default: the profile's)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the device errors and the activities (default 0)")
    p.add_argument("--drop-rate", type=float, default=0.0, help="fraction of sample frames dropped")
    p.add_argument("--corrupt-rate", type=float, default=0.0, help="fraction of sample frames corrupted")
    p.add_argument("--disconnect-after", type=float,
                   help="drop the connection once after this many s of streaming, and come back (a pty: "
                        "on a new terminal, written to --port-file again)")
    p.add_argument("--hang-after", type=float,
                   help="go silent for good after this many s of streaming, the link left open (firmware "
                        "that hung behind a powered USB-serial bridge; a BLE peer out of range)")
    p.add_argument("--clock-ppm", type=float, default=None,
                   help="device clock error (ppm, + = fast); default: the profile's [timing] clock_ppm")
    p.add_argument("--follow", metavar="FILE",
                   help="the emulated wearer does the activity named in FILE (one name; change it while running, "
                   "e.g. `echo walking > FILE` or `capture --guided --cue-file FILE`); still activities are done "
                   "still. Default activity: standing. FILE may be written later, in a folder that exists")
    p.add_argument("--hil-model", help="export folder: the wearable also runs this model for `imuforge hil`")
    p.add_argument("--engine", default=None, choices=["auto", "cgen", "tflm"],
                   help="--hil-model: what runs the model — the export's generated C compiled on this host (cgen), "
                   "the TFLM interpreter (tflm), or cgen with a fallback to TFLM said in one line (auto, default)")
    p.set_defaults(func=cmd_emulate)


def _add_guided_options(p) -> None:
    """``capture --guided`` and its options (imuforge.bridge.guided)."""
    g = p.add_argument_group("guided capture (--guided)",
                             "one labelled recording per activity: OUT/<activity>.imu.parquet")
    g.add_argument("--guided", action="store_true",
                   help="ask for each activity in turn (countdown, capture, stillness check, re-ask), for "
                   "`imuforge calibrate --real OUT`")
    g.add_argument("--activities", help="activities to ask for, e.g. standing,walking,sitting")
    g.add_argument("--model", metavar="RUN", help="ask for the labels of this trained model (RUN/labels.json)")
    g.add_argument("--seconds-each", type=float, default=None, help="seconds per activity (default 30)")
    g.add_argument("--countdown", type=float, default=None,
                   help="countdown before each stretch (s, default 3)")
    g.add_argument("--retries", type=int, default=None,
                   help="times an activity whose stretch failed its check is asked again: a still one "
                   "(standing, sitting, lying) that moved, a moving one (walking, running, stairs, jumping) "
                   "that hardly moved, or a stretch that ended early (default 2)")
    g.add_argument("--yes", action="store_true", help="no Enter presses: start each stretch after the countdown")
    g.add_argument("--cue-file", metavar="PATH",
                   help="write the current activity to PATH at each prompt (`imuforge emulate --follow PATH` "
                   "makes the emulated wearer do it)")


# ---------------------------------------------------------------------------- devices
#: Allowed range of `devices`' numeric option: flag → (attribute, lowest, highest, unit); 0 skips the scan.
DEVICES_RANGES = {"--ble-timeout": ("ble_timeout", 0, 3600, "s")}


def cmd_devices(args) -> int:
    from imuforge.bridge.links import HOST_BLUETOOTH, list_serial_ports, running_emulators

    check_numbers(args, DEVICES_RANGES)
    found, unavailable = [], None
    if args.ble_timeout != 0:  # scanned first: an --hci that does not open is refused before any listing
        try:
            from imuforge.bridge import ble

            found = asyncio.run(ble.scan(args.ble_timeout, backend=ble.use_hci_central(args.hci)))
        except ValidationError:
            if args.hci:  # malformed, nothing listening, no dongle: one line, exit 2, as capture / hil
                raise
            unavailable = sys.exc_info()[1]
        except Exception as exc:  # no adapter, no BlueZ, …: say so, serial listing still useful
            unavailable = exc
    ports = list_serial_ports()
    emulated = running_emulators()
    print("serial ports:")
    for p in ports:
        print(f"  {p['device']:<24} {p['usb']:<10} {p['description']}")
    for e in emulated:  # pseudo-terminals and sockets: pyserial's listing does not see them
        print(f"  {e['device']:<24} {'':<10} imuforge emulate {e['profile']} (pid {e['pid']})")
    if not ports and not emulated:
        print("  (none)")
    if args.ble_timeout == 0:
        return 0
    print("BLE devices with the imuforge service:")
    if unavailable is not None:
        print(f"  (BLE scan unavailable: {unavailable}; {HOST_BLUETOOTH})")
        return 0
    for d in found:
        print(f"  {d['name']:<24} {d['address']:<20} RSSI {d['rssi']}")
    if not found:
        print("  (none)")
    return 0


# ---------------------------------------------------------------------------- capture
_last_plain_status = [-1e9]
_status_open = [False]  # a status line is on the terminal without its newline yet


def _status_line(s: dict) -> None:
    """The live status: rewritten in place on a terminal, one line every 5 s in a log."""
    body = (f"{s['t']:6.1f} s  samples {s['samples']:>8}  rate {s['rate_hz']:8.2f} Hz  dropped {s['dropped']:>5}  "
            f"corrupt {s['corrupt']:>4}  link {s['bytes_per_s'] / 1000:7.1f} kB/s")
    if s.get("disconnects"):
        body += f"  disconnects {s['disconnects']}"
    if s.get("reconnecting_s") is not None:
        body += f"  device gone: reconnecting ({s['reconnecting_s']:.0f} s left)"
    if sys.stderr.isatty():
        sys.stderr.write("\r" + body + "\x1b[K")  # cleared to the end: a shorter line leaves nothing behind
        _status_open[0] = True
    elif s["t"] - _last_plain_status[0] >= 5.0 or s["t"] < _last_plain_status[0]:  # a new capture's clock
        # starts again (a guided session's next activity printed nothing in a log: a fresh user's run)
        _last_plain_status[0] = s["t"]
        sys.stderr.write(body + "\n")
    sys.stderr.flush()


def cmd_capture(args) -> int:
    import datetime as dt

    from imuforge.bridge.capture import NoDeviceAnswer, capture, sigint_deferred, sigterm_as_interrupt
    from imuforge.bridge.links import wait_for_port_file
    from imuforge.recording import check_recording_path

    check_numbers(args, LINK_RANGES)
    if getattr(args, "guided", False):
        return cmd_guided(args)
    guided_only = [o for o, v in (("--activities", args.activities), ("--model", args.model),
                                  ("--seconds-each", args.seconds_each), ("--countdown", args.countdown),
                                  ("--retries", args.retries), ("--yes", args.yes or None),
                                  ("--cue-file", args.cue_file)) if v is not None]
    if guided_only:  # ignored otherwise
        raise ValidationError(f"{', '.join(guided_only)} go with --guided",
                              allowed="--guided --activities a,b,… (or --model RUN) and its options")
    if args.recover:
        return cmd_recover(args)

    # every option is checked before anything on disk changes (an old raw log is moved aside below)
    opts = _capture_options(args, 10.0 if args.seconds is None else args.seconds, label_from_args(args))
    out = _new_out(check_recording_path(args.out or f"capture-{dt.datetime.now():%Y%m%d-%H%M%S}.imu.parquet"),
                   args.overwrite)
    if args.port_file:  # after every check, before an old raw log is moved aside
        args.port = wait_for_port_file(args.port_file, args.wait_s)
    stem = out.name.removesuffix(".imu.parquet").removesuffix(".csv")
    log = out.with_name(stem + ".rawlog")
    open_link = _link_opener(args)
    prev = _set_aside(log, args.overwrite)
    # `kill` stops a capture as Ctrl-C does, what arrived is written; polled, so it never cuts a write short
    with sigterm_as_interrupt() as term, term.polling():
        try:
            res = capture(open_link, log, opts, on_status=None if args.quiet else _status_line)
        except NoDeviceAnswer as exc:  # unplugged, wrong port or baud: one line, exit 2, as bad input
            _settle_aside(prev, log)
            print(f"imuforge capture: error: {exc}", file=sys.stderr)
            return 2
        except BaseException as exc:  # refused (exit 2), interrupted during the handshake, …
            _settle_aside(prev, log)
            if isinstance(exc, KeyboardInterrupt) and log.exists():
                print(f"what arrived is in the raw log {log} (imuforge capture --recover {log})",
                      file=sys.stderr)
            if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError) and log.exists():
                return _write_failed(exc, log, "the capture stopped")  # a full disk mid-capture
            raise
        with sigint_deferred(reraise=False):  # what arrived is written whole, whatever is pressed now
            return _write_capture(res, out, log, args, prev)


def cmd_recover(args) -> int:
    """``capture --recover LOG``: the Recording rebuilt from a raw log, and what the log held."""
    from imuforge.bridge.capture import recover
    from imuforge.recording import check_recording_path, write_recording

    settings = [f for f, v in (("--odr", args.odr), ("--range-g", args.acc_range or None),
                               ("--range-dps", args.gyro_range or None), ("--channels", args.channels))
                if v is not None]
    if settings:  # they configure a device; a raw log holds what its device was set to (ignored before)
        raise ValidationError(f"{', '.join(settings)} with --recover: the raw log holds the rate, ranges and "
                              "channels its device was set to",
                              allowed="--recover LOG with --label, --profile, --placement, --subject, the "
                                      "CSV units")
    live = [f for f, v in (("--reconnect", args.reconnect or None), ("--stall-s", args.stall_s))
            if v is not None]
    if live:  # they act on a live link (ignored before)
        raise ValidationError(f"{', '.join(live)} with --recover: a raw log is read, no device is listened "
                              "to",
                              allowed="--recover LOG with --label, --profile, --placement, --subject, the "
                                      "CSV units")
    if args.seconds is not None:  # a raw log holds what it holds
        raise ValidationError("--seconds with --recover: the recording is rebuilt whole from the raw log",
                              allowed="--recover LOG without --seconds "
                                      "(imuforge dataset select to cut it)")
    default = str(Path(args.recover).with_suffix("")) + ".imu.parquet"
    out = _new_out(check_recording_path(args.out or default), args.overwrite)
    rec, report = recover(args.recover, label=label_from_args(args), profile=args.profile,
                          placement=args.placement,
                          subject=args.subject, csv_units=_csv_units(args))
    write_recording(rec, out, overwrite=args.overwrite)
    if report["header_damaged"]:
        lost = [k for k in report["header_lost"] if getattr(args, k, None) is None]  # (given: used)
        print(f"the raw log's header is damaged ({report['header_damaged'][:160]}): the records after it "
              "were read" + (f"; its {', '.join(lost)} {'is' if len(lost) == 1 else 'are'} lost unless "
                             f"given ({', '.join('--' + k for k in lost)})" if lost else ""))
    torn = " (the log ended in a torn record: the capture was killed; everything before it kept)" \
        if report["truncated"] else ""
    asked = report.get("asked_s")  # what the capture was asked for: a killed one holds less
    of = f" of the {asked:g} s the capture asked for" if asked and rec.duration_s < 0.95 * asked else ""
    print(f"recovered {len(rec)} samples, {rec.duration_s:.1f} s{of} at {rec.rate_hz:.3f} Hz from "
          f"{report['records']} log records{torn}")
    if report["corrupt_bytes"]:
        print(f"skipped {report['corrupt_bytes']} corrupt byte(s) in {report['corrupt_regions']} damaged "
              f"region(s) of the log; samples there are gaps")
    if report.get("corrupt_times"):
        print(f"{report['corrupt_times']} log record(s) had a damaged time; their bytes were kept at the "
              "time before them")
    _print_gaps(rec)
    _placement_note(rec.placement, rec.provenance.get("placement_source", ""))
    print(f"wrote {out}")
    return 0


def _set_aside(log: Path, overwrite: bool) -> Path | None:
    """Move an existing raw log aside (its new name) or refuse without ``--overwrite``.

    The old log is the only crash-safe copy of an earlier capture: kept aside, never deleted — nor an even
    older one kept aside before (.prev, then .prev2, .prev3 …)."""
    if not log.exists():
        return None
    if not overwrite:
        raise OutputExistsError(f"raw log {log} exists; pass --overwrite or choose another --out")
    prev, k = log.with_name(log.name + ".prev"), 2
    while prev.exists():
        prev, k = log.with_name(f"{log.name}.prev{k}"), k + 1
    os.replace(log, prev)
    return prev


def _settle_aside(prev: Path | None, log: Path) -> None:
    """After the capture: say where the earlier raw log was kept — or, when the capture left no raw log of
    its own (refused or nothing arrived), put the earlier one back where it was."""
    if prev is None:
        return
    if log.exists():
        print(f"kept the previous raw log as {prev}")
    else:
        os.replace(prev, log)


def _write_capture(res, out: Path, log: Path, args, prev: Path | None = None) -> int:
    """Write the recording of a capture and say what it holds; returns the exit status (0, 1 or 3)."""
    from imuforge.recording import write_recording

    if not args.quiet:
        sys.stderr.write("\n")
    _settle_aside(prev, log)
    for m in res.messages:
        print(m)
    if res.recording is None:
        print(f"nothing was received; raw log kept at {log}")
        return 1
    rec = res.recording
    try:
        write_recording(rec, out, overwrite=args.overwrite)
    except OSError as exc:  # a full disk as the recording is written: the raw log holds every sample
        if isinstance(exc, FileNotFoundError) or not log.exists():
            raise
        return _write_failed(exc, log, f"{out} was not written")
    print(summary_line(res))
    unused = _csv_options_given(args) if rec.provenance.get("format") == "frames" else []
    if unused:
        print(f"note: {', '.join(unused)} not used: the device sent imuforge frames, which carry their own "
              "rate and units (--odr, --range-g, --range-dps configure them)")
    _placement_note(rec.placement, rec.provenance.get("placement_source", ""))
    for w in res.warnings:
        print(f"warning: {w}")
    print(f"wrote {out} (raw log {log})")
    if res.disconnected and not res.complete:
        print("the device disconnected before the capture was complete: the recording holds what arrived")
        return 3
    return 0 if res.complete else 3


def _write_failed(exc: OSError, log: Path, what: str) -> int:
    """One line for a write the system refused mid-capture (a full disk, a file too large for its file
    system): what failed, and the raw log that holds what arrived; exit 2."""
    import errno

    room = " once there is room" if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) else ""
    print(f"imuforge capture: error: {exc.strerror or exc} while writing {exc.filename or log}: {what}; what "
          f"reached the raw log {log} ({log.stat().st_size} bytes) is rebuilt by `imuforge capture --recover "
          f"{log}`{room}", file=sys.stderr)
    return 2


def _new_out(out: Path, overwrite: bool) -> Path:
    """``out``, refused in CLI words when it exists without ``--overwrite`` (before any work is done)."""
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
    return out


def _end_status_line() -> None:
    if _status_open[0]:
        sys.stderr.write("\n")
        sys.stderr.flush()
        _status_open[0] = False


def _csv_units(args) -> dict[str, str]:
    """The CSV units the user gave (the parser's defaults, g and °/s, for the others)."""
    return {g: u for g, u in (("acc", args.csv_acc_unit), ("gyro", args.csv_gyro_unit)) if u is not None}


def _csv_options_given(args) -> list[str]:
    """The CSV-mode options on the command line (they mean nothing to a device that sends frames)."""
    return [flag for flag, v in (("--rate", args.rate), ("--csv-acc-unit", args.csv_acc_unit),
                                 ("--csv-gyro-unit", args.csv_gyro_unit)) if v is not None]


def _capture_options(args, seconds: float, label: str | None):
    from imuforge.bridge.capture import CaptureOptions

    if args.format == "frames" and _csv_options_given(args):
        raise ValidationError(f"{', '.join(_csv_options_given(args))} with --format frames: imuforge frames "
                              "carry their own rate and units",
                              allowed="--format csv (or auto) for a device that prints CSV lines; --odr, "
                                      "--range-g, --range-dps to configure one that sends frames")

    return CaptureOptions(
        seconds=seconds, label=label, odr_hz=args.odr, acc_range_g=args.acc_range,
        gyro_range_dps=args.gyro_range,
        channels=(None if args.channels is None
                  else tuple(c.strip() for c in args.channels.split(",") if c.strip())),
        fmt=args.format, csv_units=_csv_units(args), csv_rate_hz=args.rate,
        profile=args.profile, placement=args.placement, subject=args.subject, reconnect=args.reconnect,
        stall_s=args.stall_s)


def _link_opener(args):
    """``open_link()`` for --port (serial / pyserial URL) or --ble (bleak; bumble with --hci)."""
    if args.port:
        from imuforge.bridge.links import SerialLink, port_named_in

        if args.port_file:  # a device back on another port (an emulator's new terminal) is found there again
            return lambda: SerialLink(port_named_in(args.port_file), args.baud)
        return lambda: SerialLink(args.port, args.baud)
    from imuforge.bridge import ble

    backend = ble.use_hci_central(args.hci)
    return lambda: ble.BleLink(args.ble, backend=backend)


def cmd_guided(args) -> int:
    """``capture --guided``: one labelled recording per activity in OUT (see imuforge.bridge.guided)."""
    from imuforge.bridge import guided as G
    from imuforge.bridge.capture import NoDeviceAnswer, sigterm_as_interrupt

    if args.recover:
        raise ValidationError("--guided captures from a device", allowed="--guided with --port or --ble")
    if args.label or args.seconds is not None:
        raise ValidationError("--guided takes its labels from --activities / --model and its length from "
                              "--seconds-each", allowed="--guided --activities a,b,… --seconds-each S")
    if bool(args.activities) == bool(args.model):
        raise ValidationError("--guided needs the activities from exactly one of --activities and --model",
                              allowed="--activities standing,walking,… or --model RUN")
    if not args.out or args.out.endswith((".imu.parquet", ".csv")):
        got = f", got --out {args.out}" if args.out else ": --out is missing"
        raise ValidationError(f"--guided writes a folder of recordings{got}",
                              allowed="--out DIR (DIR/<activity>.imu.parquet)")
    from imuforge._folders import check_writable_folder

    # a folder that cannot be written is refused before the session's first line (it was an errno after it)
    check_writable_folder(args.out, "--out", args.out, allowed="a folder you can write in, new or existing")
    if args.cue_file:
        check_writable_folder(Path(args.cue_file).parent, "--cue-file", args.cue_file,
                              allowed="a file in a folder you can write in")
    acts = (G.parse_activities(args.activities, allow_custom=args.custom_label) if args.activities
            else G.activities_from_model(args.model))
    given = ((args.seconds_each, 30.0), (args.countdown, 3.0), (args.retries, 2))  # (value, its default)
    plan = G.GuidedPlan(acts, *(d if v is None else v for v, d in given))
    G.check_out(Path(args.out), plan, args.overwrite)  # before the session's first line
    opts = _capture_options(args, plan.seconds_each, None)
    if opts.channels is not None and not {"acc", "gyro"} & set(opts.channels):
        raise ValidationError(f"--guided checks each stretch on the accelerometer or gyroscope; --channels "
                              f"{','.join(opts.channels)} holds neither",
                              allowed="--channels with acc or gyro (e.g. acc,gyro,mag), or leave it out")
    if args.cue_file:  # before the device is opened: the first prompt would fail to write it
        from imuforge.bridge.links import check_file_option

        check_file_option(args.cue_file, "--cue-file", "the current activity is written to it")
    if args.port_file:
        from imuforge.bridge.links import wait_for_port_file

        args.port = wait_for_port_file(args.port_file, args.wait_s)
    class Prompter(G.ConsolePrompter):  # ends the live status line before saying anything
        def say(self, text: str) -> None:
            _end_status_line()
            super().say(text)

    prompter = Prompter(yes=args.yes, cue_file=args.cue_file)

    def started() -> None:  # once the device answered: a session that cannot start says only why
        print(f"guided capture of {len(acts)} activit{'y' if len(acts) == 1 else 'ies'} ({', '.join(acts)}), "
              f"{plan.seconds_each:g} s each, into {args.out}")

    try:
        with sigterm_as_interrupt():  # `kill` ends the session as Ctrl-C does
            res = G.guided_capture(_link_opener(args), args.out, plan, opts, prompter,
                                   overwrite=args.overwrite, on_status=None if args.quiet else _status_line,
                                   on_ready=started)
    except NoDeviceAnswer as exc:
        print(f"imuforge capture: error: {exc}", file=sys.stderr)
        return 2
    for w in res.warnings:
        print(f"warning: {w}")
    for a, why in res.not_written.items():
        print(f"not written: {a} — {why}")
    if res.device_lost:
        print(f"the device was lost {res.device_lost}; the session ended, the recordings written before "
              "it are kept")
    raw = Path(args.out) / "raw"  # (a session quit at its first prompt leaves none)
    print(f"wrote {len(res.written)} of {len(acts)} recordings into {args.out} (attempts and checks: "
          f"{Path(args.out) / 'guided.json'}" + (f"; raw logs: {raw})" if raw.is_dir() else ")"))
    if res.written:
        from imuforge.recording import read_recording

        first = read_recording(next(iter(res.written.values())))
        _placement_note(first.placement, first.provenance.get("placement_source", ""))
        print(f"next: imuforge calibrate --synthetic SYN --real {args.out} --out CAL …")
    return 0 if res.complete else 3


def _placement_note(placement: str | None, source: str) -> None:
    """Say when the recorded placement was not given: the profile's default stands in (or it is unknown)."""
    if source.startswith("default"):
        print(f"placement: recorded as {placement}, the device profile's default — not measured; pass "
              "--placement to record where the device was worn")
    elif source.startswith("unknown"):
        print(f"placement: not recorded ({source.removeprefix('unknown: ')}); pass --placement")


def summary_line(res) -> str:
    """One line: samples, duration, measured rate and the one count of missing samples (the gaps, and the
    samples lost after the last one received); of a capture that ended early, the window's samples it never
    received (a disconnected device's 440 samples of 3000 had read "no sample missing")."""
    rec, s = res.recording, res.stats
    gaps = rec.gaps()
    tail = res.lost_at_end
    end = f" and {tail} lost at the end" if tail else ""
    unreceived = (max(0, res.window_samples - len(rec) - res.missing_samples)
                  if not res.complete and res.window_samples else 0)
    missing = (f"{res.missing_samples + tail} missing samples: {res.missing_samples} in {len(gaps)} gap(s), "
               f"kept as gaps in the timestamps{end}" if res.missing_samples + tail
               else "no gap in what arrived" if unreceived else "no sample missing")
    if unreceived:
        missing += f"; ended early: {unreceived} of the window's {res.window_samples} samples not received"
    frames = (f"; {s.frames_corrupt} corrupt frames, {s.frames_lost} lost frames"
              if s.frames_corrupt or s.frames_lost else "")
    return f"{len(rec)} samples, {rec.duration_s:.2f} s at {rec.rate_hz:.3f} Hz (measured); {missing}{frames}"


def _print_gaps(rec) -> None:
    gaps = rec.gaps()
    if gaps:
        total = sum(g[2] for g in gaps)
        print(f"{len(gaps)} gap(s), {total} missing samples (kept as gaps in the timestamps)")


# ---------------------------------------------------------------------------- emulate
def _emulate_ranges() -> dict:
    """Allowed ranges of `emulate`'s numeric options (flag → attribute, lowest, highest, unit)."""
    from imuforge.bridge.emulator import MAX_CLOCK_PPM, MAX_DISCONNECT_AFTER_S, TCP_PORTS

    return {"--tcp": ("tcp", *TCP_PORTS, ""), "--drop-rate": ("drop_rate", 0, 1, ""),
            "--corrupt-rate": ("corrupt_rate", 0, 1, ""),
            "--disconnect-after": ("disconnect_after", 0, MAX_DISCONNECT_AFTER_S, "s"),
            "--hang-after": ("hang_after", 0, MAX_DISCONNECT_AFTER_S, "s"),
            "--clock-ppm": ("clock_ppm", -MAX_CLOCK_PPM, MAX_CLOCK_PPM, "ppm")}


def _check_emulate_source(args, source_kind: str) -> list | None:
    """The checked ``--schedule`` (each duration in motion's 1 … 3600 s, an hour in all: `motion
    --schedule`'s rule), and ``--placement`` refused where nothing would use it (only a --schedule or --follow
    wearer wears the device somewhere; the desk and formula sources do not), as `hil` refuses an unused
    --profile."""
    from imuforge.bridge.emulator import SCHEDULE_FPS
    from imuforge.commands.motion import MAX_FRAMES, SECONDS_RANGE, _parse_schedule

    if args.placement is not None and not (args.follow or source_kind == "schedule"):
        why = ("the desk source lies still on a desk" if source_kind == "desk"
               else "the formula source is a test signal")
        raise ValidationError(f"--placement with the {source_kind} source: --placement says where the wearer "
                              f"of --schedule or --follow wears the device, and {why}"
                              + (" (--hil-model runs a model on the samples, wherever they come from)"
                                 if args.hil_model else ""),
                              allowed="--schedule … --placement …, --follow FILE --placement …, "
                              "or leave out --placement")
    if args.follow and args.source is not None:  # the followed file's activities are the source
        raise ValidationError(f"--source {args.source} with --follow FILE: the wearer's activities come from "
                              "the file", allowed="--follow FILE alone, or --source without --follow")
    if args.schedule is not None and (source_kind != "schedule" or args.follow):
        what = "--follow FILE" if args.follow else f"the {source_kind} source"
        raise ValidationError(f"--schedule with {what}: nothing would play it",
                              allowed="--schedule alone (or with --source schedule), or leave out --schedule")
    if source_kind != "schedule" or args.follow:
        return None
    if not args.schedule:
        raise ValidationError("--source schedule needs --schedule", allowed="e.g. walking:20,standing:10")
    items = _parse_schedule(args.schedule, each_option=None)  # (emulate has no --seconds)
    total = sum(sec for _, sec in items if sec is not None)
    if total * SCHEDULE_FPS > MAX_FRAMES:
        raise ValidationError(f"--schedule lasts {total:g} s in all, too long to hold in memory",
                              allowed=f"durations of {SECONDS_RANGE[0]:g} … {SECONDS_RANGE[1]:g} s, "
                              f"up to {MAX_FRAMES / SCHEDULE_FPS:g} s in all")
    return items


def cmd_emulate(args) -> int:
    from imuforge.sensors.profiles import load_profile

    source_kind, schedule = _check_emulate_args(args)
    profile = load_profile(args.profile, odr_hz=args.odr, range_g=args.range_g, range_dps=args.range_dps)
    for note in profile.notes:
        print(f"note: {note}", file=sys.stderr, flush=True)
    stop = threading.Event()
    device = _emulated_device(args, profile, source_kind, schedule, stop)
    _serve_emulator(device, profile, args, stop)
    return 0


def _check_emulate_args(args) -> tuple[str, Any]:
    """Every `imuforge emulate` option checked before anything listens; the options' defaults filled in.
    Returns the kind of motion source (formula, schedule, desk) and the checked schedule."""
    from imuforge.bridge.links import check_file_option

    check_numbers(args, _emulate_ranges())
    ble_only = [o for o, v in (("--name", args.name), ("--hci", args.hci)) if v is not None]
    engine = ["--engine"] if args.engine is not None else []
    for given, needs in ((ble_only, "--ble"), (engine, "--hil-model")):
        if given and not getattr(args, needs.lstrip("-").replace("-", "_")):  # ignored otherwise
            raise ValidationError(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} with {needs}",
                                  allowed=f"{needs} with {given[0]}, or leave {given[0]} out")
    args.name = args.name or "imuforge-emu"
    args.hci = args.hci or "tcp-client:127.0.0.1:9001"
    args.engine = args.engine or "auto"
    source_kind = args.source or ("schedule" if args.schedule else "desk")
    schedule = _check_emulate_source(args, source_kind)
    if args.port_file:
        check_file_option(args.port_file, "--port-file", "the port is written to it")
    if args.follow:
        check_file_option(args.follow, "--follow", "the wearer's activity is read from it")
    if args.ble:
        from imuforge.errors import require_extra

        require_extra("bumble", purpose="imuforge emulate --ble")
    if args.hil_model:
        from imuforge.errors import require_extra
        from imuforge.hil.runner import load_export

        require_extra("tflite_micro", purpose="imuforge emulate --hil-model")
        load_export(args.hil_model, option="--hil-model")  # a damaged export: one line, before it listens
    return source_kind, schedule


def _emulated_device(args, profile, source_kind: str, schedule, stop: threading.Event):
    """The emulated wearable: its motion source (``--follow`` read on a thread until ``stop``), its link
    faults, and with ``--hil-model`` the model it runs."""
    from imuforge.bridge import emulator as E

    if args.follow:
        source, scales = E.ActivitySource(profile, placement=args.placement, seed=args.seed), None
        threading.Thread(target=E.follow_activity_file, args=(source, args.follow, stop), daemon=True,
                         kwargs={"on_change": lambda a: print(f"wearer: {a}", flush=True),
                                 "on_error": lambda e: print(f"--follow: {e}", file=sys.stderr, flush=True)}).start()
    elif source_kind == "formula":
        source, scales = E.FormulaSource(), E.FORMULA_SCALES
    elif source_kind == "schedule":
        from imuforge.motion.library import bridge_postures

        schedule, added = bridge_postures(schedule)
        for line in added:
            print(f"note: {line}", flush=True)
        source, scales = E.schedule_source(profile, schedule, placement=args.placement, seed=args.seed), None
    else:
        source, scales = E.desk_source(profile, seed=args.seed), None
    clock_ppm = profile.timing.clock_ppm if args.clock_ppm is None else args.clock_ppm
    faults = E.Faults(drop_rate=args.drop_rate, corrupt_rate=args.corrupt_rate,
                      disconnect_after_s=args.disconnect_after, hang_after_s=args.hang_after,
                      clock_ppm=clock_ppm, seed=args.seed)
    device = E.EmulatedDevice.from_profile(profile, source, faults=faults, scales=scales)
    if args.hil_model:
        from imuforge.hil.device import HilDevice

        hil = HilDevice.from_export(args.hil_model, engine=args.engine)
        if hil.engine_note:
            print(f"imuforge emulator: {hil.engine_note}", file=sys.stderr, flush=True)
        hil.attach(device)
    return device


def _serve_emulator(device, profile, args, stop: threading.Event) -> None:
    """Serve ``device`` on a TCP socket, over BLE or on a pty until Ctrl-C or `kill`; the port file and the
    note for `imuforge devices` are removed when it stops."""
    import signal

    from imuforge.bridge import emulator as E
    from imuforge.bridge.links import unregister_emulator

    def _terminated(signum, frame):  # `kill` ends the emulator like Ctrl-C: the finally below still runs
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminated)
    announced: list[str] = []  # the port this emulator wrote to --port-file
    noted: list = []  # its note for `imuforge devices` (links.register_emulator)
    try:
        if args.tcp is not None:
            E.serve_tcp(device, args.tcp, stop=stop,
                        on_ready=lambda port: _ready(profile, f"socket://127.0.0.1:{port}", args, announced,
                                                     noted))
        elif args.ble:
            asyncio.run(_emulate_ble(device, args))
        else:
            def unplugged() -> None:  # the terminal is gone: `imuforge devices` no longer lists it, and
                # --port-file names no port (its number may be another program's until the device is back)
                print(f"disconnect fault: closed the port; back on a new terminal in {E.REPLUG_S:g} s",
                      flush=True)
                while noted:
                    unregister_emulator(noted.pop())
                if announced:
                    _remove_port_file(Path(args.port_file), announced[-1])

            E.serve_pty(device, on_ready=lambda path: _ready(profile, path, args, announced, noted),
                        stop=stop, on_unplug=unplugged)
    except KeyboardInterrupt:
        stop.set()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if announced:  # a port that no longer listens must not be found by the next capture
            _remove_port_file(Path(args.port_file), announced[-1])
        for path in noted:
            unregister_emulator(path)


def _ready(profile, port: str, args, announced: list[str], noted: list) -> None:
    """The emulator listens: say where, on stdout and in --port-file (noted in ``announced``), and note it for
    ``imuforge devices`` (in ``noted``)."""
    from imuforge.bridge.links import register_emulator

    print(f"emulated {profile.name} on {port}", flush=True)
    noted.append(register_emulator(port, profile.name))
    if args.port_file:
        from imuforge.bridge.links import write_port_file

        write_port_file(args.port_file, port)
        announced.append(port)


def _remove_port_file(path: Path, port: str) -> None:
    """Remove ``path`` if it still names ``port``: an emulator that never listened (its port in use) or
    whose file another emulator has since taken over leaves it to that one."""
    try:
        if path.read_text().strip() == port:
            path.unlink(missing_ok=True)
    except OSError:
        pass


async def _emulate_ble(device, args) -> None:
    from imuforge.bridge import ble

    dev = await ble.hci_device(args.hci, args.name, ble.PERIPHERAL_ADDRESS)
    per = ble.BlePeripheral(dev, device, args.name)
    await per.start()
    print(f"emulated {device.info.profile} advertising as {args.name!r} on {args.hci}", flush=True)
    await per.run(asyncio.Event())

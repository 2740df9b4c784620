"""``imuforge hil``: run an exported model's test windows on a device and check them against the host."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from imuforge.commands._options import LINK_RANGES, Joined, check_numbers


def add_link_options(p, *, required: bool = True) -> None:
    """``--port`` / ``--ble`` / ``--emulate`` / ``--qemu`` (one of them) and their settings."""
    where = p.add_mutually_exclusive_group(required=required)
    where.add_argument("--port", help="serial device or pyserial URL (socket://HOST:PORT) of the board")
    where.add_argument("--port-file", metavar="FILE", help="read the port from FILE, waiting up to --wait-s "
                       "(written by `imuforge emulate --port-file FILE` once it listens)")
    where.add_argument("--ble", metavar="NAME_OR_ADDRESS", help="BLE device name or address")
    where.add_argument("--emulate", action="store_true",
                       help="start an emulated wearable running the model on a pty (the export's generated C, "
                       "compiled on the host; the TFLM interpreter when no C compiler is found)")
    where.add_argument("--qemu", action="store_true",
                       help="build the QEMU Cortex-M4 firmware with the export's generated C (c/) and run HIL on it")
    p.add_argument("--dsp", action="store_true",
                   help="--qemu: compile the generated C's SMLAD (DSP) path (refused with another link)")
    p.add_argument("--profile", help="--emulate: hardware profile of the wearable (default: the export "
                   f"card's device, when it names one profile; else {DEFAULT_EMULATED})")
    p.add_argument("--tcp", action="store_true", help="--emulate: serve over TCP (socket://) instead of a pty")
    # None when not given: a link that never uses --baud / --wait-s / --hci refuses them (_check_link_options)
    p.add_argument("--baud", type=int, help=f"--port/--port-file: serial baud rate (default {DEFAULT_BAUD})")
    p.add_argument("--wait-s", type=float,
                   help=f"--port-file: how long to wait for it (s, default {DEFAULT_WAIT_S:g})")
    p.add_argument("--hci", help="--ble: through bumble on this HCI transport (e.g. usb:0, "
                   "tcp-client:HOST:PORT)")


#: the serial rate of --port / --port-file when --baud is not given (an emulator's pty or QEMU's socket
#: does not throttle to a baud rate: the SerialLink to them is opened at this one)
DEFAULT_BAUD = 921600
#: how long --port-file waits for its file when --wait-s is not given (s)
DEFAULT_WAIT_S = 30.0


#: the wearable ``hil --emulate`` plays when neither --profile nor the export card names one
DEFAULT_EMULATED = "nano33-ble-sense-rev2"


def emulated_profile(model) -> str:
    """The profile ``hil --emulate`` emulates: the export card's device when it names one installed profile
    (the model was made for it), else :data:`DEFAULT_EMULATED`."""
    from imuforge.errors import ValidationError
    from imuforge.hil.runner import load_export
    from imuforge.sensors.profiles import load_profile

    named = load_export(model).card.device.profile
    if isinstance(named, str):
        try:
            return load_profile(named).name
        except (ValidationError, FileNotFoundError):  # a profile file of the exporting machine, not here
            print(f"warning: the export card's device {named} is not a profile here (a profile file is kept "
                  f"by its name, a path as it was given): emulating {DEFAULT_EMULATED} (--profile FILE "
                  "emulates that board)", file=sys.stderr)
    return DEFAULT_EMULATED


def _serial_to(device, port: str, baud: int):
    """A SerialLink to a ``device`` this command started (an emulator, QEMU); where it cannot be opened (or
    Ctrl-C or SIGTERM come first) the device is stopped: nothing is left running."""
    from imuforge.bridge.links import SerialLink

    try:
        return SerialLink(port, baud)
    except BaseException:
        with contextlib.suppress(Exception):  # the link's error is the one to say
            device.stop()
        raise


def open_link(args):
    """(link, emulator handle or None, link bytes/s or None) for the parsed link options."""
    if args.emulate:
        from imuforge.hil.device import start_emulator

        profile = args.profile or emulated_profile(args.model)
        emu = start_emulator(args.model, profile=profile, transport="tcp" if args.tcp else "pty")
        what = ("the export's generated C" if emu.hil.engine == "generated C"
                else f"{Path(args.model) / 'model.tflite'} on the TFLM interpreter")
        print(f"emulated {profile} running {what} on {emu.port}", file=sys.stderr)
        return _serial_to(emu, emu.port, DEFAULT_BAUD), emu, None
    if getattr(args, "qemu", False):
        from imuforge.hil.qemu import start_qemu_for_export

        board = start_qemu_for_export(args.model, dsp=args.dsp)
        print(f"QEMU mps2-an386 (Cortex-M4) running the generated C of {args.model}"
              f"{' (SMLAD)' if args.dsp else ''} on {board.port}", file=sys.stderr)
        return _serial_to(board, board.port, DEFAULT_BAUD), board, None
    if getattr(args, "port_file", None):
        from imuforge.bridge.links import wait_for_port_file

        args.port = wait_for_port_file(args.port_file, DEFAULT_WAIT_S if args.wait_s is None else args.wait_s)
    if args.port:
        from imuforge.bridge.links import SerialLink

        # the link's capacity is baud/10 B/s only on a real UART; URLs and pseudo-terminals
        # (emulators) do not throttle to the baud rate, so their share of it means nothing
        url = args.port.startswith(("socket://", "loop://", "rfc2217://"))
        pty = args.port.startswith("/dev/pts/")
        baud = args.baud or DEFAULT_BAUD
        return SerialLink(args.port, baud), None, None if (url or pty) else baud / 10.0
    from imuforge.bridge import ble

    return ble.BleLink(args.ble, backend=ble.use_hci_central(args.hci)), None, None


def register(sub) -> None:
    p = sub.add_parser(
        "hil", help="hardware-in-the-loop test: run a model's test windows on the device",
        description="Streams every test window to the device (HIL messages over the bridge protocol), checks "
        "each int8 output bit for bit against the host's TFLM reference, scores accuracy and macro-F1 against "
        "the labels, and reports latency (the device's clock; the host's for an emulated device, and the report "
        "says so), arena and throughput. Writes hil_report.json, hil_junit.xml, hil_summary.png and "
        "hil_report.html into --out. Exit code 0 = pass (model identity, every window answered, outputs "
        "bit-exact, no device reset, latency within budget: the JUnit checks), 1 = fail (also a device that "
        "disconnects mid-run: the partial report is written), 2 = bad input.")
    p.add_argument("--model", required=True, type=Path, help="export folder (model.tflite, card.json)")
    p.add_argument("--data", required=True, action=Joined,
                   help="Dataset folder(s) (comma-separated or the option repeated, searched recursively), "
                   "an .npz with X and labels, "
                   "or the export folder (its reference.npz)")
    add_link_options(p)
    p.add_argument("--out", required=True, type=Path, help="report folder")
    p.add_argument("--overwrite", action="store_true", help="replace the HIL report already in --out")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object "
                   "(hil_report.json's) instead of its summary; the exit status is the same")
    p.add_argument("--runs", type=int, default=1, help="timed inferences per window (default 1)")
    p.add_argument("--warmup", type=int, default=0, help="untimed inferences before them (default 0)")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a window's reply (default 2)")
    p.add_argument("--retries", type=int, default=3, help="resends of a window after a time-out (default 3)")
    p.add_argument("--pipeline", type=int, default=2,
                   help="windows in flight at once (1 = MLPerf Tiny lock-step; default 2)")
    p.add_argument("--max-windows", type=int, help="test a random subset of this many windows")
    p.add_argument("--latency-budget-ms", type=float, help="device latency budget (default: the card's, or the stride)")
    p.set_defaults(func=run)


def _require_extras(args) -> None:
    """The host's TFLM reference always runs (the 'ml' extra); --hci needs bumble ('emulation')."""
    from imuforge.errors import require_extra

    what = "imuforge hil --emulate" if args.emulate else "imuforge hil (the host's TFLM reference)"
    require_extra("tflite_micro.python.tflite_micro.runtime", purpose=what)
    if args.ble and args.hci:
        require_extra("bumble", purpose="imuforge hil --hci")


#: allowed ranges of the numeric options (HIL_INFER carries runs and warmup as u16)
NUMBER_RANGES = {"--runs": ("runs", 1, 65535, ""), "--warmup": ("warmup", 0, 65535, ""),
                 "--timeout": ("timeout", 0.001, 3600, "s"), "--retries": ("retries", 0, 100, ""),
                 "--pipeline": ("pipeline", 1, 64, "windows"), "--max-windows": ("max_windows", 1, 10**9, ""),
                 "--latency-budget-ms": ("latency_budget_ms", 1e-6, 3.6e6, "ms"), **LINK_RANGES}


def _check_out(out: Path, overwrite: bool) -> None:
    """A report already in ``out`` is replaced only with ``--overwrite`` (a folder holding other files is fine)."""
    from imuforge._folders import check_writable_folder
    from imuforge.errors import ValidationError
    from imuforge.hil.report import REPORT_FILES

    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out {out} is a file", allowed="a folder for the report")
    check_writable_folder(out, "--out", out, "a folder you can write to (or one to be made inside such a "
                                             "folder)")  # before the device runs
    old = [n for n in REPORT_FILES.values() if (out / n).exists()]
    if old and not overwrite:
        raise ValidationError(f"{out} already holds a HIL report ({', '.join(old)})",
                              allowed="a new folder, or --overwrite to replace that report")


def _check_dsp(args) -> None:
    """``--dsp`` picks how the QEMU firmware is compiled; with another link nothing would use it: refused."""
    from imuforge.errors import ValidationError

    if args.dsp and not args.qemu:
        link, runs = ("--port/--ble", "a board runs the path its firmware was built with")
        if args.emulate:
            link, runs = "--emulate", "the emulated wearable runs the generated C built for this host"
        raise ValidationError(f"--dsp with {link}: --dsp compiles the QEMU firmware's SMLAD path, and {runs}",
                              allowed="--qemu --dsp, or leave out --dsp")


def _check_emulate_options(args) -> None:
    """``--profile`` and ``--tcp`` set up the emulated wearable; with another link nothing would use them:
    refused (as ``--dsp`` is), not ignored."""
    from imuforge.errors import ValidationError

    if args.emulate:
        return
    link = "--qemu" if args.qemu else "--port/--ble"
    for flag, given, what in (("--profile", args.profile is not None,
                               "the device the emulated wearable plays"),
                              ("--tcp", args.tcp, "how the emulated wearable is served")):
        if given:
            raise ValidationError(f"{flag} with {link}: {flag} picks {what}, and {link} tests a device that "
                                  "is what it is",
                                  allowed=f"--emulate {flag} …, or leave out {flag}")


def _link_name(args) -> str:
    """The link option given: ``--emulate``, ``--qemu``, ``--port``, ``--port-file`` or ``--ble``."""
    for flag in ("emulate", "qemu", "port_file", "port", "ble"):
        if getattr(args, flag, None):
            return "--" + flag.replace("_", "-")
    return "--port"


#: link settings only some links use: flag → (attribute, the links that use it, what it sets)
LINK_SETTINGS = {"--baud": ("baud", ("--port", "--port-file"), "the serial rate of a board's port"),
                 "--wait-s": ("wait_s", ("--port-file",), "how long to wait for the port file"),
                 "--hci": ("hci", ("--ble",), "the HCI transport BLE goes through")}


def _check_link_options(args) -> None:
    """``--baud``, ``--wait-s`` and ``--hci`` given with a link that never uses them are refused (as
    ``--dsp``, ``--profile`` and ``--tcp`` are), not ignored: ``--qemu --baud 115200`` had run, and its
    report had said ``@ 115200`` of a socket that has no baud rate."""
    from imuforge.errors import ValidationError

    link = _link_name(args)
    for flag, (attr, users, what) in LINK_SETTINGS.items():
        if getattr(args, attr, None) is not None and link not in users:
            raise ValidationError(f"{flag} with {link}: {flag} sets {what}, which only {' or '.join(users)} "
                                  f"use{'s' if len(users) == 1 else ''}, and {link} does not",
                                  allowed=f"{users[0]} … {flag} …, or leave out {flag}")


def _check_out_not_in_model(out: Path, model: Path) -> None:
    """``--out`` may be neither the export folder nor inside it: the reports would sit among the export's
    files, and ``export --overwrite`` then refuses that folder as holding other files than an export."""
    from imuforge.errors import ValidationError

    o, m = out.resolve(), model.resolve()
    if o == m:
        raise ValidationError(f"--out {out} is the export folder --model {model}",
                              allowed="a folder of its own, outside the export")
    if m in o.parents:
        raise ValidationError(f"--out {out} is inside the export folder --model {model}",
                              allowed="a folder of its own, outside the export")


def run(args) -> int:
    from imuforge._quiet import preload_ml_stack

    check_numbers(args, NUMBER_RANGES)
    _check_dsp(args)
    _check_emulate_options(args)
    _check_link_options(args)
    _check_out_not_in_model(args.out, args.model)
    _check_out(args.out, args.overwrite)
    preload_ml_stack()
    _require_extras(args)
    from imuforge.hil.runner import load_export, load_test_windows, run_hil

    # a bad export folder or bad data (NaN, wrong shape, unknown labels) fails before a port is opened
    exported = load_export(args.model)
    windows = load_test_windows(args.data, exported, max_windows=args.max_windows)
    if failed := exported.card.failed_checks():  # HIL tests the files as they are; the user should know
        print(f"warning: this export failed its own checks ({', '.join(failed)}; see {args.model}/card.md): "
              "the device is tested with it as it is", file=sys.stderr)
    inference = None
    if args.qemu:  # one inference there, as the export measured it: said when --timeout is below it
        from imuforge.hil.qemu import card_inference_us

        inference = card_inference_us(exported.card, dsp=args.dsp)
    link, emu, bps = open_link(args)
    try:
        rep = run_hil(args.model, windows, link, out=args.out, runs=args.runs, warmup=args.warmup,
                      timeout_s=args.timeout, retries=args.retries, pipeline=args.pipeline,
                      max_windows=args.max_windows, link_bytes_per_s=bps,
                      latency_budget_ms=args.latency_budget_ms, emulated=True if args.emulate else None,
                      inference_us=inference)
    except KeyboardInterrupt as exc:  # the windows completed are in a report: say where, then exit 130 / 143
        if getattr(exc, "report", None) is not None:
            _print_report(exc.report, as_json=args.json)
        raise
    finally:
        link.close()
        if emu is not None:
            emu.stop()
    _print_report(rep, as_json=args.json)
    return 0 if rep.passed else 1


def _print_report(rep, *, as_json: bool = False) -> None:
    """The report's summary and its files (``as_json``: hil_report.json's object, one line)."""
    from imuforge.hil.report import summary_lines

    if as_json:  # the notes on stderr, as the other commands' with --json (after the run: an error that stops
        for note in (rep.data or {}).get("notes", []):  # it before is said alone, in one line)
            print(f"note: {note}", file=sys.stderr)
        for warning in rep.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(json.dumps(rep.to_json()))
        return
    for line in summary_lines(rep):
        print(line)
    for kind, path in rep.files.items():
        print(f"{kind:<5} {path}")

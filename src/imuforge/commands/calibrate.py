"""``imuforge calibrate``: make synthetic data look like a real device on a real body."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imuforge.calibrate.result import Fidelity


def register(sub) -> None:
    from imuforge.calibrate.mapping import DEFAULT_SOURCE, DEFAULT_STRENGTH, MODES, SOURCES, STRENGTHS

    p = sub.add_parser(
        "calibrate",
        help="calibrate a synthetic Dataset against real captures (fit device, align placement, map distributions)",
        description="Fit the device from still parts of the capture (--fit-profile), rotate synthetic data into "
        "the real sensor frame (--align), map per-channel distributions onto the capture's (--map), clip them "
        "to the full scale the capture saturates at (unless --keep-range), and write "
        "the calibrated Dataset (OUT/dataset, for `imuforge train --data`) with a fidelity report "
        "(OUT/report.md/.html/.json, OUT/plots/).")
    p.add_argument("--synthetic", required=True, nargs="+", type=Path, metavar="DIR",
                   help="synthetic Dataset folder(s) or folders of recordings, searched recursively "
                   "(space- or comma-separated)")
    p.add_argument("--real", required=True, nargs="+", type=Path, metavar="DIR|FILE",
                   help="real captures: folders of .imu.parquet / .csv recordings (Datasets or plain folders) "
                   "and/or recording files (space- or comma-separated). Label them (capture --label): "
                   "alignment, mapping and the fidelity figures then use only the classes both sides hold; "
                   "an unlabelled capture is refused for "
                   "--align/--map when the synthetic data hold several classes")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--fit-profile", action="store_true",
                   help="fit timing, noise, bias and scale from still parts of the capture; write <profile>-fitted.toml")
    p.add_argument("--align", action="store_true", help="estimate and apply the synthetic→real sensor rotation")
    p.add_argument("--align-mode", default=None, choices=["pooled", "each"],
                   help="pooled (default): one rotation for all synthetic data, each synthetic person keeping their "
                   "own way of wearing the device around it; each: every synthetic recording brought exactly into "
                   "the capture's frame (see docs/CALIBRATION.md for the measured difference)")
    p.add_argument("--map", default="none", choices=list(MODES),
                   help="quantile mapping onto the capture (default none): global / per-class map each channel "
                   "(on every synthetic person's readings turned back to the typical wearer's wear, each "
                   "person's own turn put back after); magnitude maps only |linear acceleration| and |rate| "
                   "per class, leaving every direction as simulated. Applied only to the classes the capture "
                   "shows, other classes pass through unchanged (docs/CALIBRATION.md, section 5)")
    p.add_argument("--map-source", default=None, choices=list(SOURCES),
                   help=f"which synthetic quantiles a map starts from (default {DEFAULT_SOURCE}): people the "
                   "typical synthetic person's, each person keeping their own offset from it, so the model "
                   "still meets people unlike the captured one; pooled all synthetic samples together "
                   "(IMUGPT's), which squeezes the people's spread into the captured person's range "
                   "(docs/CALIBRATION.md, section 5)")
    p.add_argument("--map-strength", default=None, choices=list(STRENGTHS),
                   help=f"how much of each map is applied (default {DEFAULT_STRENGTH}): evidence, per class "
                   "and channel, the share of the capture's difference from the typical synthetic person "
                   "that lies beyond how far one synthetic person is from it (a capture within the people's "
                   "spread leaves them as they are: its person could be any of them); full the whole map "
                   "(IMUGPT's) "
                   "(docs/CALIBRATION.md, section 5)")
    p.add_argument("--profile", help="base hardware profile for --fit-profile (default: the capture's own, "
                   "else the one the synthetic data were made for)")
    p.add_argument("--gravity", default="auto", choices=["auto", "keep", "remove"],
                   help="remove gravity from synthetic acc: auto = when the capture holds linear acceleration")
    p.add_argument("--keep-rate", action="store_true", help="do not resample synthetic data to the capture's rate")
    p.add_argument("--keep-range", action="store_true",
                   help="do not clip synthetic data to the full scale the capture saturates at (if it does)")
    p.add_argument("--seed", type=int, default=0, help="seed of the added noise and the two-sample test")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--json", action="store_true", help="print one JSON object (the dataset's folder and the "
                   "report as report.json holds it: steps, findings, fidelity, realism) instead of the "
                   "summary")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier calibrate output in --out (never a folder holding other files)")
    p.set_defaults(func=run)


def _paths(given: list[Path]) -> list[Path]:
    """``--synthetic`` / ``--real`` as given, space-separated, or comma-separated as train, eval and hil take
    their folders (a name with a comma in it stays whole where it exists)."""
    from imuforge.datasets.loading import split_paths

    return [q for p in given for q in ([p] if p.exists() else split_paths(str(p)))]


def _check_options(args) -> None:
    """Refuse an option that would be ignored without a word: it sets a step that was not asked for."""
    from imuforge.errors import ValidationError

    if args.profile is not None and not args.fit_profile:
        raise ValidationError("--profile is the base profile of --fit-profile, which was not asked for",
                              allowed="--fit-profile --profile NAME, or leave out --profile")
    if args.align_mode is not None and not args.align:
        raise ValidationError("--align-mode sets how --align fits the rotation, and --align was not asked "
                              "for",
                              allowed=f"--align --align-mode {args.align_mode}, or leave out --align-mode")
    for flag, value in (("--map-source", args.map_source), ("--map-strength", args.map_strength)):
        if value is not None and args.map == "none":
            raise ValidationError(f"{flag} sets how a map is fitted, and no map was asked for",
                                  allowed=f"--map global|per-class|magnitude with {flag}")


def run(args) -> int:
    from imuforge.calibrate.mapping import DEFAULT_SOURCE, DEFAULT_STRENGTH
    from imuforge.calibrate.pipeline import calibrate
    from imuforge.calibrate.result import AlignStep, MapStep, ResampleStep
    from imuforge.errors import CalibrationWarning, said_elsewhere

    _check_options(args)

    with said_elsewhere(CalibrationWarning):  # the findings are printed below, each once
        res = calibrate(_paths(args.synthetic), _paths(args.real), args.out, fit_profile=args.fit_profile,
                        align=args.align, map_mode=args.map, profile=args.profile, gravity=args.gravity,
                        match_rate=not args.keep_rate, seed=args.seed, overwrite=args.overwrite,
                        plots=not args.no_plots, align_mode=args.align_mode or "pooled",
                        map_source=args.map_source or DEFAULT_SOURCE,
                        map_strength=args.map_strength or DEFAULT_STRENGTH, match_range=not args.keep_range)
    rep = res.report
    if args.json:  # the findings (what the capture decided, warnings) are in the report's own, and said
        print(json.dumps({"dataset": str(res.dataset), "report": str(res.out / "report.json"),
                          **json.loads(rep.dumps())}))
        for f in res.findings:
            print(f"{_PREFIX[f.kind]} {f.text}", file=sys.stderr)
        return 0
    b, a = rep.fidelity_before, rep.fidelity_after
    for n in rep.notes:
        print(f"note: {n}")
    for s in rep.steps:
        said = f": skipped ({s.skipped})" if s.skipped is not None else ""
        if isinstance(s, ResampleStep):
            said = f": the synthetic data to {s.rate_hz:.4g} Hz, the capture's rate"
        print(f"step {s.step}{said}")
        if isinstance(s, MapStep) or (isinstance(s, AlignStep) and not s.each):
            for n in (s.notes if isinstance(s, MapStep) else s.alignment.notes):
                print(f"  note: {n}")
    for f in res.findings:
        print(f"{_PREFIX[f.kind]} {f.text}")
    scope = rep.fidelity_scope.classes if rep.fidelity_scope is not None else None
    if scope is not None:
        print(f"fidelity scored on: {', '.join(scope)} (classes in both synthetic data and capture)")
    if rep.fidelity_scope is not None and rep.fidelity_scope.typical_wear:
        print("fidelity scored as the typical synthetic wearer wears the device (each person's own turn "
              "undone: their spread of ways to wear it is kept on purpose, not a distance from the capture)")
    kind = " (in-sample: fitted on this capture)" if a.in_sample else ""
    _print_fidelity(b, a, kind)
    h = rep.fidelity_after_heldout
    if h is not None and h.after is not None and h.before is not None:
        _print_fidelity(h.before, h.after,
                        " (held-out: fitted on the first half of the capture, scored on the second)")
    elif h is not None and h.skipped is not None:
        print(f"held-out check: not made ({h.skipped})")
    r = rep.realism
    if r is not None and r.skipped is None:
        print(f"realism: {r.within()} of {len(r.rows)} orientation-free statistics within the target's "
              f"bounds of the capture before calibration, {r.within(after=True)} after (report: Realism)")
    elif r is not None:
        print(f"realism: not compared ({r.skipped})")
    print(f"dataset {res.dataset}\nreport  {res.out / 'report.html'}")
    if rep.classes.labelled_capture:  # what to run next; --val auto finds the capture in the dataset's meta
        from imuforge.train.capture import capture_validation
        from imuforge.train.trainer import TrainConfig

        # a label needs half a (default) window for a majority window of its own
        decided = capture_validation([res.dataset], min_seconds=0.5 * TrainConfig.window_s)
        how = ("early stopping on this capture" if decided.paths else
               f"early stopping on held-out synthetic people: {decided.note.split(': validation held')[0]}")
        import shlex

        real = shlex.quote(",".join(str(p) for p in _paths(args.real)))  # as train's --real takes folders
        print(f"train   imuforge train --data {res.dataset}   ({how}; add --real {real} to mix it in)")
    if res.warnings:
        print(f"{len(res.warnings)} WARNING(s) above (also in {res.out / 'report.md'})")
    return 0


def _print_fidelity(b: Fidelity, a: Fidelity, kind: str) -> None:
    from imuforge.calibrate.result import CLASSIFIERS

    for name in CLASSIFIERS:
        tb, ta = b.two_sample.auc(name), a.two_sample.auc(name)
        if tb is not None and ta is not None:
            print(f"two-sample AUC ({name}): {tb.auc:.3f} before → {ta.auc:.3f} after{kind}")
    skipped = a.two_sample.skipped or b.two_sample.skipped
    if skipped is not None:
        print(f"two-sample AUC: not computed{kind}: {skipped}")
    print(f"mean KS: {b.ks_mean:.3f} before → {a.ks_mean:.3f} after{kind}")


_PREFIX = {"decided": "capture decided:", "undecided": "could not decide:", "warning": "WARNING:"}

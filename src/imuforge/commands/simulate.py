"""``imuforge simulate``: a Motion file through a hardware profile → a Recording (+ plot)."""

from __future__ import annotations

import sys
from pathlib import Path

from imuforge.commands._options import (SaturationTally, add_device_overrides, add_implausible_option,
                                       load_profile_from_args)


def add_profile_options(p) -> None:
    """``--profile`` (required), ``--placement`` and the device overrides."""
    p.add_argument("--profile", required=True, help="hardware profile name or .toml path")
    p.add_argument("--placement", help="placement preset (default: the profile's; "
                   "`imuforge profiles placements` lists them)")
    add_device_overrides(p)


def add_wear_option(p) -> None:
    """``--wear-variation``: how each simulated person wears the device (on by default)."""
    p.add_argument("--wear-variation", default=None, metavar="SPEC",
                   help="variation of wear, drawn per person and recorded in the provenance: 'default' (all "
                        "on; with an explicit --placement all but side: the named limb is kept), 'none' "
                        "(exactly the placement), or a comma list of rotation, offset, looseness, flips, "
                        "side (default: default)")


def wear_from_args(args):
    """The :class:`~imuforge.sensors.wear.WearVariation` of ``--wear-variation``: ``default`` keeps the side
    of a placement the user named (``--placement ankle_right`` stays on the right ankle); a list says
    exactly."""
    from dataclasses import replace

    from imuforge.sensors.wear import WearVariation

    spec = "default" if args.wear_variation is None else args.wear_variation
    wear = WearVariation.parse(spec)
    if spec.strip().lower() == "default" and getattr(args, "placement", None):
        wear = replace(wear, side=False)
    return wear


def register(sub) -> None:
    p = sub.add_parser("simulate", help="simulate a device's Recording of a Motion file",
                       description="The Recording a device (hardware profile) at a body placement makes of a "
                       "motion: ideal IMU from the kinematics, then the chip's errors, range and rate; the "
                       "wearer's way of putting it on varies unless --wear-variation none.")
    p.add_argument("--motion", required=True, type=Path,
                   help="a .motion.npz, a HumanML3D .npy of joint positions (T, 22, 3), or a .bvh")
    add_profile_options(p)
    p.add_argument("--seed", type=int, default=0, help="seed of every error term (default 0)")
    p.add_argument("--subject", help="subject / wearer id the recording carries (training splits by it)")
    p.add_argument("--ideal", action="store_true", help="switch every error term off")
    add_wear_option(p)
    add_implausible_option(p)
    p.add_argument("--out", required=True, type=Path, help="output .imu.parquet (or .csv)")
    p.add_argument("--plot", type=Path, help="PNG plot path (default: next to --out, its name with .png)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out and plot")
    p.set_defaults(func=run)


def _default_plot(out: Path) -> Path:
    """The plot beside a recording: its name without the recording's suffix, ``.png`` (``a.v2.imu.parquet``
    → ``a.v2.png``)."""
    from imuforge.recording import RECORDING_FILE_SUFFIXES

    name = out.name
    suffix = next((s for s in RECORDING_FILE_SUFFIXES if name.lower().endswith(s)), "")
    return out.with_name(name[:len(name) - len(suffix)] + ".png")


def run(args) -> int:
    from imuforge.motion.importers import load_motion_file
    from imuforge.errors import OutputExistsError, ValidationError
    from imuforge.plotting import check_plot_path, plot_recording
    from imuforge.recording import check_recording_path, write_recording
    from imuforge.sensors.simulate import simulate
    check_recording_path(args.out)  # before any work
    if args.out.exists() and not args.overwrite:
        raise OutputExistsError(f"{args.out} exists; pass --overwrite to replace it")
    plot = check_plot_path(args.plot or _default_plot(args.out))
    if plot.resolve() == args.out.resolve():
        raise ValidationError(f"--plot {plot} is the --out recording",
                              allowed="another file name for the plot")
    if plot.exists() and not args.overwrite:
        raise OutputExistsError(f"the plot {plot} exists; pass --overwrite to replace it, or --plot another "
                              "name")
    wear = wear_from_args(args)
    motion = load_motion_file(args.motion, allow_implausible=args.allow_implausible)
    prof = load_profile_from_args(args)
    rec = simulate(motion, prof, prof.default_placement, seed=args.seed, errors=not args.ideal, wear=wear)
    if args.subject is not None:
        rec = rec.replace(subject=args.subject)
    plot_recording(rec, plot)  # first: a plot that cannot be written leaves no recording behind
    try:
        out = write_recording(rec, args.out, overwrite=args.overwrite)
    except BaseException:
        plot.unlink(missing_ok=True)
        raise
    print(f"{rec!r}")
    if gaps := rec.gaps():  # the plot's title counted them where the console did not (a fresh user's run)
        print(f"note: {len(gaps)} gap(s), {sum(g[2] for g in gaps)} samples dropped as the device drops them "
              f"(its profile's drop rate; --ideal makes none)", file=sys.stderr)
    worn = (rec.provenance.get("wear") or {})
    if worn.get("placement") and worn["placement"] != prof.default_placement:
        print(f"note: this simulated person wears the device on {worn['placement']} (wear variation: "
              f"side {worn.get('side')}, flip {worn.get('flip')}); --wear-variation none keeps "
              f"{prof.default_placement} exactly", file=sys.stderr)
    if not rec.labels:  # an imported .bvh / .npy: motion --from … --label names its activity
        print(f"note: {args.motion.name} holds no label: the recording is unlabelled, and training leaves it "
              f"out (imuforge motion --from {args.motion.name} --label ACTIVITY writes a labelled motion)",
              file=sys.stderr)
    tally = SaturationTally(prof)
    tally.add(rec)
    for note in tally.notes():
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {out}\nplot  {plot}")
    return 0

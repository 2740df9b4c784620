"""Options shared by several commands (not a command itself: the leading underscore hides it)."""

from __future__ import annotations

import argparse
import sys


class Joined(argparse.Action):
    """A comma-separated option that may also be given more than once: ``--data a --data b,c`` is
    ``"a,b,c"`` (argparse's plain store kept the last one and dropped the rest without a word). The first
    time it is given, it replaces the default. ``alone``: words that stand for no folder (``--val auto``,
    ``none``) and are refused beside anything else."""

    def __init__(self, *args, alone: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.alone = alone

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        given = f"_{self.dest}_given"
        before = getattr(namespace, self.dest) if getattr(namespace, given, False) else ""
        joined = ",".join(v for v in (before, values) if v)
        items = [v.strip() for v in joined.split(",") if v.strip()]
        if len(items) > 1 and (words := [v for v in items if v in self.alone]):
            parser.error(f"{option_string} {words[0]} stands alone, given with {joined!r} (allowed: "
                         f"{' or '.join(self.alone)} alone, or folders)")
        setattr(namespace, self.dest, joined)
        setattr(namespace, given, True)


def add_device_overrides(p) -> None:
    """``--odr``, ``--range-g``, ``--range-dps``: override a profile's configuration, checked against its chip."""
    p.add_argument("--odr", type=float, help="override the profile's ODR (Hz)")
    p.add_argument("--range-g", type=float, help="override the accelerometer range (±g)")
    p.add_argument("--range-dps", type=float, help="override the gyroscope range (±dps)")


def load_profile_from_args(args, *, notes: bool = True):
    """The profile named by ``args.profile`` with the overrides (and ``args.placement``) applied; what loading
    decided that the file does not say (``HardwareProfile.notes``) printed as notes, unless ``notes`` is False
    (a command that loads it twice)."""
    from imuforge.sensors.profiles import load_profile

    profile = load_profile(args.profile, odr_hz=getattr(args, "odr", None),
                           range_g=getattr(args, "range_g", None), range_dps=getattr(args, "range_dps", None),
                           placement=getattr(args, "placement", None))
    for note in profile.notes if notes else ():
        print(f"note: {note}", file=sys.stderr)
    return profile


#: the share of samples at a sensor's full scale above which a simulating command says so
SATURATION_NOTE_SHARE = 0.01
#: the option that widens each sensor's range
RANGE_FLAGS = {"accel": ("--range-g", "g"), "gyro": ("--range-dps", "°/s")}


class SaturationTally:
    """Samples at each sensor's full scale over the recordings a command simulates
    (``sensors.simulate.saturated_samples``), and the notes they call for."""

    def __init__(self, profile) -> None:
        self.profile = profile
        self.counts: dict[str, list[int]] = {}

    def add(self, rec) -> None:
        from imuforge.sensors.simulate import saturated_samples

        for kind, (at, total) in saturated_samples(rec, self.profile).items():
            c = self.counts.setdefault(kind, [0, 0])
            c[0] += at
            c[1] += total

    def notes(self) -> list[str]:
        """One per sensor whose full scale clipped more than :data:`SATURATION_NOTE_SHARE` of the samples,
        naming the option that widens it."""
        from imuforge.units import DEG, STANDARD_GRAVITY

        notes = []
        for kind, (at, total) in self.counts.items():
            share = at / total if total else 0.0
            if share <= SATURATION_NOTE_SHARE:
                continue
            per = {"accel": STANDARD_GRAVITY, "gyro": DEG}.get(kind, 1.0)
            full = self.profile.sensors[kind].range_si / per
            if kind in RANGE_FLAGS:
                flag, unit = RANGE_FLAGS[kind]
                notes.append(f"{100 * share:.1f} % of the {kind} samples sit at the ±{full:g} {unit} full "
                             f"scale: the motion goes beyond the range (a wider one, {flag}, holds more of "
                             "it; or the motion is not to scale)")
            else:  # the magnetometer: the field beyond its range is the place's, not the motion's
                notes.append(f"{100 * share:.1f} % of the {kind} samples sit at the ±{full:g} µT full scale: "
                             "the simulated field goes beyond the magnetometer's range")
        return notes


def add_label_options(p, help_text: str) -> None:
    """``--label`` (checked against the canonical vocabulary, synonyms mapped) and ``--custom-label``."""
    p.add_argument("--label", help=help_text + " — canonical names (walking, standing, stairs_up …) or common "
                   "synonyms (walk, jog, upstairs …)")
    p.add_argument("--custom-label", action="store_true",
                   help="accept a --label outside the canonical vocabulary (a new activity)")


def add_implausible_option(p) -> None:
    """``--allow-implausible``: keep an imported motion that fails the plausibility check (the report is
    still recorded in its provenance)."""
    p.add_argument("--allow-implausible", action="store_true",
                   help="keep an imported motion (.npy, .bvh) a body could not perform (foot sliding, ground "
                   "penetration, jerk, joint range, peak specific force; docs/MOTION.md); refused by default")


def label_from_args(args, option: str = "--label") -> str | None:
    """The canonical form of ``args.label`` (None when not given)."""
    from imuforge.labels import canonical_label

    if args.label is None:
        return None
    return canonical_label(args.label, allow_custom=args.custom_label, source=option)


#: Allowed ranges of the link options `capture` and `hil` share: flag → (attribute, lowest, highest, unit).
LINK_RANGES = {"--baud": ("baud", 1, 10**8, "baud"), "--wait-s": ("wait_s", 0, 86_400, "s")}


def check_numbers(args, ranges: dict) -> None:
    """Every option of ``ranges`` (flag → (attribute, lowest, highest, unit)) that was given lies within
    its range, else one line naming the flag and the range: called first, before a port opens or a file
    changes."""
    from imuforge.errors import check_range

    for flag, (attr, lo, hi, unit) in ranges.items():
        value = getattr(args, attr, None)
        if value is not None:
            check_range(flag, value, lo, hi, unit=unit)

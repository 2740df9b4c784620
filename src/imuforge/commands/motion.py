"""``imuforge motion``: text (or a schedule, or an imported file) → varied Motions, optionally Recordings."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from imuforge._folders import check_new_folder, check_replaceable, staged_folder
from imuforge.commands._options import (
    SaturationTally,
    add_device_overrides,
    add_implausible_option,
    add_label_options,
    label_from_args,
    load_profile_from_args,
)
from imuforge.commands.simulate import add_wear_option
from imuforge.errors import ValidationError, check_range, shorten
from imuforge.motion.motion import MAX_FRAMES, SECONDS_RANGE
# imported at CLI start-up, so IMUFORGE_PROGRESS=0 quiets other libraries' bars before they load
from imuforge.progress import progress


#: the motions' frame rate (Hz) when --fps is not given
DEFAULT_FPS = 100.0


def register(sub) -> None:
    from imuforge._shipped import shipped

    p = sub.add_parser(
        "motion", help="make varied human motions from a description (or schedule / HumanML3D / BVH / key-frame file)",
        description="Examples:\n  imuforge motion \"a person walks briskly up the stairs\" --n 20 --seed 1 --out out/\n"
                    "  imuforge motion \"someone jogging\" --n 10 --profile smartwatch-wrist --out ds/\n"
                    "  imuforge motion --schedule standing:30,walking:120,stand_to_sit,sitting:60 --out day/\n"
                    "  imuforge motion --from t2m_output.npy --label walking --out imported/\n"
                    "  imuforge motion --from "
                    f"{shipped('examples', 'activities', 'shoulder_abduction.toml')} --n 20 \\\n"
                    "      --profile smartwatch-wrist --placement wrist_right --out abd/",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", nargs="?", help="description of the activity, e.g. 'a person walks briskly'")
    p.add_argument("--n", type=int, default=1, help="number of varied motions (default 1; at most 10000)")
    p.add_argument("--seconds", type=float, help="duration of each motion in s, 1 … 3600 (default 30; a "
                   "transition such as sit_to_stand: as long as the movement itself takes); a description "
                   "that names a duration ('walks for 2 minutes, then sits for 30 s') keeps its own; with "
                   "--schedule: the seconds of each item without its own (no default there); with --backend "
                   "t2m-gpt the model picks each length unless given, up to its maximum (9.95 s published)")
    p.add_argument("--seed", type=int, default=None, help="seed (default 0)")
    p.add_argument("--fps", type=float, default=None,
                   help=f"motion frame rate in Hz, 5 … 1000 (default {DEFAULT_FPS:g})")
    p.add_argument("--out", required=False, type=Path,
                   help="output folder (written only when the command succeeds; must be new or empty)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier motion output in --out (a folder holding other files is refused)")
    p.add_argument("--profile", help="hardware profile: also simulate each motion and write a Dataset")
    p.add_argument("--placement", help="placement preset, with --profile (default: the profile's; "
                   "`imuforge profiles placements` lists them)")
    add_device_overrides(p)
    add_wear_option(p)
    p.add_argument("--matcher", default="auto", choices=("auto", "embedding", "keywords"),
                   help="text → activity matcher: sentence embeddings (needs imuforge[text]) or keywords; auto "
                   "(default): embeddings when installed, else keywords (said in one line)")
    p.add_argument("--diversify", action="store_true",
                   help="write N varied descriptions of the matched activity first (grammar, or --llm-url)")
    p.add_argument("--llm-url", help="OpenAI-compatible chat endpoint for --diversify (llama.cpp, Ollama …)")
    p.add_argument("--llm-model", default="default", help="model name sent to --llm-url")
    p.add_argument("--schedule", help="comma-separated activity[:seconds] list making one continuous motion")
    p.add_argument("--from", dest="source", type=Path,
                   help="import a HumanML3D .npy (T, 22, 3) or a .bvh file, or make --n people do an "
                   f"activity described by key frames (.toml; {shipped('examples', 'activities')}, "
                   f"{shipped('docs', 'MOTION.md')})")
    add_label_options(p, "activity label for --from")
    add_implausible_option(p)
    p.add_argument("--up", choices=("y", "z"), help="the vertical axis of a --from .npy or .bvh (default y: "
                   "HumanML3D's and BVH's; z for a Z-up export)")
    p.add_argument("--units", choices=("auto", "m", "cm", "mm", "inch", "cmu"),
                   help="the length unit of a --from .bvh (default auto: the one that makes the legs an "
                        "adult's)")
    p.add_argument("--subject", help="subject id of a --from file's recordings (default: the file's name; "
                   "one id per performer keeps a subject-wise split honest)")
    p.add_argument("--backend", default="library", choices=("library", "t2m-gpt"),
                   help="text → motion by the procedural library (default) or the T2M-GPT model (needs --weights)")
    p.add_argument("--weights", type=Path, help="folder of the T2M-GPT checkpoints (docs/MOTION.md)")
    p.add_argument("--clip", type=Path, help="folder of CLIP ViT-B/32 (default: WEIGHTS/clip-vit-base-patch32)")
    p.add_argument("--list", action="store_true", help="list the activities and their parameters")
    p.set_defaults(func=run)


#: allowed values of the numeric options (checked before anything is written)
N_RANGE = (1, 10_000)
FPS_RANGE = (5.0, 1000.0)
#: what an earlier motion output holds (--overwrite replaces nothing else): motions, their list and, with
#: --profile, the motions/ folder beside the Dataset's manifest and recordings
MOTION_MARKER = ("motions.json", "motions/motions.json")
MOTION_FILES = ("*.motion.npz", "motions.json", "motions", "manifest.json", "*.imu.parquet")


def _parse_schedule(text: str, seconds_each: float | None = None,
                    each_option: str | None = "--seconds") -> list:
    """``activity[:seconds],…`` → [(activity, seconds or None)], names as ``--label`` takes them (walk →
    walking); a gait or posture without its seconds takes ``seconds_each`` (``each_option``, None for a
    command without one) or is refused here, in the option's words, and so is a change of posture given
    seconds or an empty item."""
    import difflib

    from imuforge.labels import SYNONYMS
    from imuforge.motion.library import ACTIVITIES

    items = []
    took_seconds_each = False
    parts = [p.strip() for p in text.split(",")]
    for k, part in enumerate(parts):
        if not part:
            if k == len(parts) - 1 and k:  # a trailing comma
                continue
            raise ValidationError(f"--schedule item {k + 1} is empty", allowed="activity[:seconds] items "
                                  "separated by single commas, e.g. standing:30,walking:120")
        name, _, sec = part.partition(":")
        name = name.strip().lower().replace("-", "_").replace(" ", "_")
        name = SYNONYMS.get(name, name)
        if name not in ACTIVITIES:
            close = difflib.get_close_matches(name, list(ACTIVITIES) + list(SYNONYMS), n=2, cutoff=0.6)
            hint = "; did you mean " + " or ".join(dict.fromkeys(SYNONYMS.get(c, c) for c in close)) + "?"
            raise ValidationError(f"--schedule item {shorten(part)}: unknown activity {name!r}"
                                  + (hint if close else ""), allowed=", ".join(ACTIVITIES))
        try:
            seconds = float(sec) if sec else None
        except ValueError:
            raise ValidationError(f"--schedule item {shorten(part)}: seconds must be a number",
                                  allowed="activity[:seconds], e.g. walking:120") from None
        if seconds is not None and ACTIVITIES[name].kind == "transition":
            raise ValidationError(f"--schedule item {shorten(part)}: {name} is a change of posture and lasts "
                                  "as long as the movement takes", allowed=f"{name} without seconds")
        if seconds is None and ACTIVITIES[name].kind != "transition":
            seconds, took_seconds_each = seconds_each, seconds_each is not None
        if seconds is not None:
            check_range(f"--schedule item {shorten(part)}: seconds", seconds, *SECONDS_RANGE, unit="s")
        elif ACTIVITIES[name].kind != "transition":
            raise ValidationError(f"--schedule item {shorten(part)}: {name} needs its seconds (only a change "
                                  "of posture such as stand_to_sit lasts as long as it takes)",
                                  allowed=f"{name}:SECONDS, e.g. {name}:30" + (
                                      f", or {each_option} for every item without its own" if each_option
                                      else ""))
        items.append((name, seconds))
    if seconds_each is not None and not took_seconds_each:
        print(f"note: every --schedule item names its seconds or is a change of posture: --seconds "
              f"{seconds_each:g} is not used", file=sys.stderr)
    return items


def _check_frames(seconds: float, fps: float, what: str) -> None:
    if seconds * fps > MAX_FRAMES:
        raise ValidationError(f"{what} at --fps {fps:g} is {seconds * fps:,.0f} frames per motion, too many to hold "
                              "in memory", allowed=f"seconds × fps up to {MAX_FRAMES:,} (e.g. 3600 s at 100 Hz)")


def _check_args(args) -> list | None:
    """Every option checked before anything is written; returns the parsed --schedule (or None)."""
    if args.out is None:
        raise ValidationError("--out is required", allowed="an output folder")
    if not (args.text or "").strip() and args.schedule is None and args.source is None:
        raise ValidationError("no motion to make: the description is missing or empty",
                              allowed="a description, --schedule, --from FILE, or --list")
    sources = [o for o, v in (("a description", (args.text or "").strip()), ("--schedule", args.schedule),
                              ("--from", args.source)) if v]
    if len(sources) > 1 and not (args.source is not None and _is_keyframed(args.source)):
        raise ValidationError(f"{' and '.join(sources)}: two motion sources, only one is made",
                              allowed="a description, --schedule or --from FILE, one of them")
    check_range("--n", args.n, *N_RANGE)
    if args.llm_url is not None:
        if not args.diversify:  # it would be ignored: only --diversify asks a language model
            raise ValidationError("--llm-url is the language model of --diversify",
                                  allowed="--diversify --llm-url URL, or leave --llm-url out")
        from imuforge.motion.text import check_llm_url

        check_llm_url(args.llm_url)
    if args.backend != "t2m-gpt" and (args.weights is not None or args.clip is not None):
        given = " and ".join(o for o, v in (("--weights", args.weights), ("--clip", args.clip))
                             if v is not None)
        raise ValidationError(f"{given} are the T2M-GPT model's files; the {args.backend} backend reads none",
                              allowed="--backend t2m-gpt --weights DIR, or leave them out")
    imported = args.source is not None and not _is_keyframed(args.source)
    npy = imported and args.source.name.lower().endswith(".npy")
    if imported and not npy and args.fps is not None:  # a .npy holds no frame rate: --fps says it
        raise ValidationError(f"--fps with --from {args.source.name}: an imported motion keeps its own "
                              "frame rate", allowed=f"--from {args.source.name} without --fps; a .npy, "
                                                    "which holds no frame rate, takes --fps")
    _check_import_options(args, imported)
    if npy:
        args.npy_fps = args.fps
    args.fps = DEFAULT_FPS if args.fps is None else args.fps
    check_range("--fps", args.fps, *FPS_RANGE, unit="Hz")
    if args.seconds is not None:
        check_range("--seconds", args.seconds, *SECONDS_RANGE, unit="s")
        _check_frames(args.seconds, args.fps, f"--seconds {args.seconds:g}")
    suffix = Path(args.text).suffix.lower() if args.text else ""
    if args.source is None and suffix in (".npy", ".npz", ".bvh", ".toml") and Path(args.text).exists():
        how = "--n N" if suffix == ".toml" else "--label ACTIVITY"  # key frames carry their label
        raise ValidationError(f"{shorten(args.text)} is a file, not a description",
                              allowed=f"imuforge motion --from {args.text} {how} --out DIR")
    check_new_folder(args.out, "--out", overwrite=args.overwrite)
    if args.overwrite:
        check_replaceable(args.out, "--out", what="motion output", marker=MOTION_MARKER, own=MOTION_FILES)
    device = [f"--{o.replace('_', '-')}" for o in ("placement", "odr", "range_g", "range_dps")
              if getattr(args, o, None) is not None]
    if args.wear_variation is not None:
        device.append("--wear-variation")  # how a device is worn: nothing is worn without one
    if device and not args.profile:  # they would be ignored: without a device there is nothing to simulate
        raise ValidationError(f"{', '.join(device)} needs --profile (the device to simulate the motions on)",
                              allowed="--profile NAME with it, or leave it out to write motions only")
    if args.label is not None and args.source is None and args.backend != "t2m-gpt":
        # ignored otherwise: the library's description names its activity
        raise ValidationError("--label names the activity of a motion file (--from FILE) or of the T2M-GPT "
                              "backend's motions",
                              allowed="--from FILE --label ACTIVITY, --backend t2m-gpt --label ACTIVITY, "
                                      "or a description without --label")
    if args.source is not None and _is_keyframed(args.source):
        extra = [o for o, v in (("--label", args.label), ("a description", args.text),
                                ("--schedule", args.schedule), ("--diversify", args.diversify or None)) if v]
        if extra:
            raise ValidationError(f"{', '.join(extra)} with --from {args.source.name}: a key-framed activity "
                                  "names itself (its label) and is its own motion source",
                                  allowed=f"--from {args.source.name} alone (edit 'label' in the file)")
    if imported:
        _check_one_imported_motion(args)
    args.seed = 0 if args.seed is None else args.seed
    if args.schedule is None:
        return None
    items = _parse_schedule(args.schedule, args.seconds)
    _check_frames(sum(s for _, s in items if s is not None), args.fps, "the --schedule's total duration")
    return items


def _check_one_imported_motion(args) -> None:
    """What an imported file (one motion, as recorded) refuses: more people, another length, a seed that
    draws nothing (without --profile no device's noise or wear is drawn)."""
    name = args.source.name
    if args.n > 1:
        raise ValidationError(f"--n {args.n} with --from {name}: an imported file is one motion",
                              allowed=f"--from {name} without --n, or key frames (.toml) for --n people")
    if args.seconds is not None:
        raise ValidationError(f"--seconds with --from {name}: an imported motion keeps its own length",
                              allowed=f"--from {name} without --seconds")
    if args.seed is not None and not args.profile:
        raise ValidationError(f"--seed with --from {name} and no --profile: the motion is the file's, and "
                              "nothing is drawn (the seed draws the device's noise and wear)",
                              allowed=f"--from {name} --profile NAME --seed N, or leave --seed out")


def _check_import_options(args, imported: bool) -> None:
    """The options of an imported file refused where nothing would read them (they had been ignored)."""
    given = [o for o, v in (("--up", args.up), ("--units", args.units), ("--subject", args.subject)) if v]
    if given and not imported:  # each named with the files it describes (--units: a .bvh's alone)
        what = {"--up": "a --from .npy or .bvh", "--units": "a --from .bvh", "--subject": "an imported file"}
        raise ValidationError("; ".join(f"{o} describes {what[o]}" for o in given),
                              allowed="--from FILE with them, or leave them out")
    name, suffix = (args.source.name, args.source.suffix.lower()) if imported else ("", "")
    if args.up and suffix not in (".npy", ".bvh"):
        raise ValidationError(f"--up with --from {name}: a motion file is in the library's frame, y up",
                              allowed=f"--from {name} without --up")
    if args.units and suffix != ".bvh":
        raise ValidationError(f"--units with --from {name}: only a .bvh leaves its unit unsaid ({name} is in "
                              "metres)",
                              allowed=f"--from {name} without --units")
    if args.subject is not None and (not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", args.subject)
                                     or args.subject.startswith("synthetic-")):
        raise ValidationError(f"--subject {shorten(args.subject)} is not an id of a performer's own",
                              allowed="1 to 64 letters, digits, _ . : - (not synthetic-…, the virtual "
                                      "people's)")
    if args.custom_label and args.label is None:
        raise ValidationError("--custom-label lets --label name a new activity, and no --label is given",
                              allowed="--label NAME --custom-label, or leave --custom-label out")
    if args.allow_implausible and not imported:
        what = "key frames redraw" if args.source is not None else "the motion library redraws"
        raise ValidationError(f"--allow-implausible keeps an imported file the plausibility check refuses; "
                              f"{what} a person until it passes", allowed="--from FILE.npy / .bvh with "
                              "it, or leave it out")


def _list_activities() -> int:
    from imuforge.motion.library import ACTIVITIES

    for a in ACTIVITIES.values():
        params = ", ".join(f"{k}={v}" for k, v in a.params.items()) or "-"
        print(f"{a.name:15s} {a.kind:10s} {a.description:28s} {params}")
    from imuforge._shipped import shipped

    print("another activity: describe one repetition as key frames and use --from FILE.toml "
          f"({shipped('examples', 'activities')}, {shipped('docs', 'MOTION.md')} \"Key-framed activities\")",
          file=sys.stderr)
    return 0


def _parse_text(text: str, args, *, sequence: bool = False):
    """parse_description (``sequence``: parse_sequence, a list), with the user's text shortened in its error
    (a long text is not echoed in full)."""
    from imuforge.motion.text import get_matcher, parse_description, parse_sequence

    note = getattr(get_matcher(args.matcher), "note", None)
    if note and not getattr(args, "_matcher_noted", False):
        print(f"note: {note}", file=sys.stderr)
        args._matcher_noted = True
    try:
        parse = parse_sequence if sequence else parse_description
        return parse(text, seconds=args.seconds, matcher=args.matcher)
    except ValidationError as exc:
        if repr(text) not in exc.what:
            raise
        raise ValidationError(exc.what.replace(repr(text), shorten(text)), source=exc.source,
                              allowed=exc.allowed) from None


def _spec_text(spec) -> str:
    read_as = spec.modifiers.get("read_as")  # a slip mended ("walkng"): the score is the mended text's
    how = f"read as {read_as!r}, score" if read_as else "score"
    return f"{spec.activity} ({how} {spec.score:.2f}) params={spec.params}"


def _not_held_note(spec) -> None:
    """Say so where the description names a thing held that its activity's hands do not hold."""
    from imuforge.motion.library import ACTIVITIES

    if (mode := spec.modifiers.get("not_held")) is not None:
        can = [m for m in ACTIVITIES[spec.activity].params.get("carrying", ()) if m != "none"]
        holds = f"it holds: {', '.join(can)}" if can else "it holds nothing it is told to"
        print(f"note: {spec.activity} is not made holding {mode!r}: its hands do what the activity's own do "
              f"({holds})", file=sys.stderr)


def _text_specs(args, spec) -> list:
    """The MotionSpecs for a description of one activity (its ``spec``, or the --diversify'd ones that keep
    its activity and what it said: :func:`~imuforge.motion.text.keep_said`)."""
    from imuforge.motion.text import contradicts, diversify, keep_said, llm_descriptions

    lasts = f", {spec.duration_s:g} s" if spec.duration_s else ""
    print(f"{shorten(args.text)} → {_spec_text(spec)}{lasts}")
    _not_held_note(spec)
    if args.seconds is not None and spec.duration_s is None:  # a transition: as long as the movement takes
        print(f"note: {spec.activity} is a change of posture and lasts as long as the movement takes: "
              f"--seconds {args.seconds:g} is not used ('… for {args.seconds:g} s' in the description holds "
              "the posture it ends in that long)", file=sys.stderr)
    if not args.diversify:
        return [spec]
    if kept := {k: v for k, v in spec.modifiers.items() if k not in ("not_held", "read_as")}:
        print(f"  the variants keep what it says: {', '.join(f'{k} {v}' for k, v in kept.items())}")
    # more descriptions than motions: the ones that map elsewhere or say otherwise are left out
    texts = (llm_descriptions(args.llm_url, spec.activity, 2 * args.n, model=args.llm_model) if args.llm_url
             else diversify(spec.activity, 4 * args.n, seed=args.seed))
    specs = []
    for t in texts:
        try:
            s = _parse_text(t, args)
        except ValidationError as exc:
            print(f"  dropped (no match): {shorten(t)} ({exc.what})")
            continue
        if s.activity != spec.activity:
            print(f"  dropped (maps to {s.activity}): {shorten(t)}")
            continue
        if other := contradicts(s, spec):
            print(f"  dropped (says another {', '.join(other)}): {shorten(t)}")
            continue
        specs.append(keep_said(s, spec))
        if len(specs) == args.n:
            break
    if not specs:
        raise ValidationError(f"none of the {len(texts)} diversified descriptions maps to {spec.activity}")
    return specs


def _make_motions(args, items: list | None) -> list:
    """(name, Motion, seed key) triples from --from, --schedule or the text; motion i is virtual person i."""
    if args.backend == "t2m-gpt":
        from imuforge.motion.t2m.run import motions_from_args

        return motions_from_args(args)
    if args.source is not None and _is_keyframed(args.source):
        return _keyframed_motions(args)
    if args.source is not None:
        from imuforge.motion.importers import load_motion_file

        if args.source.is_dir():  # the command takes one more kind than the library's motion files: .toml
            raise ValidationError(f"--from {args.source} is a folder", allowed="a motion file: .motion.npz "
                                  "(imuforge), .npy (HumanML3D positions), .bvh, or key frames (.toml)")
        m = load_motion_file(args.source, label=label_from_args(args),
                             allow_implausible=args.allow_implausible, fps=getattr(args, "npy_fps", None),
                             up=args.up or "y", units=args.units or "auto")
        _import_notes(args, m)
        name = args.source.name.split(".")[0]
        return [(name, m, name)]
    if items is not None:
        from imuforge.motion.library import bridge_postures, schedule

        items, added = bridge_postures(items)
        for line in added:
            print(f"note: {line}")
        return [(f"schedule_{i:03d}", schedule(items, fps=args.fps, rng=[args.seed, i]), f"schedule_{i:03d}")
                for i in progress(range(args.n), desc="motions", unit="motion")]
    from imuforge.synth import person_motion, source_key

    sequence = _parse_text(args.text, args, sequence=True)
    if len(sequence) > 1:
        return _sequence_motions(args, sequence)
    specs = _text_specs(args, sequence[0])
    motions = []
    for i in progress(range(args.n), desc="motions", unit="motion"):
        s = specs[i % len(specs)]
        motions.append((f"{s.activity}_{i:03d}", person_motion(s, i, seed=args.seed, fps=args.fps), source_key(s)))
    return motions


def _import_subject(args) -> str | None:
    """The subject id of an imported file's recordings: ``--subject``, else the file's name (``import-NAME``;
    every import had been ``synthetic-000``, one subject for every performer), None for other sources."""
    if args.source is None or _is_keyframed(args.source):
        return None
    return args.subject or f"import-{args.source.name.split('.')[0]}"


def _import_notes(args, m) -> None:
    """What an import decided that its file does not say, and what it may have read wrong (stderr), by the
    file's kind (a .motion.npz keeps the meta of the file it was first imported from)."""
    from imuforge.motion.importers import HUMANML3D_FPS, Z_UP_SHARE, trunk_along_z

    name, suffix = args.source.name, args.source.suffix.lower()
    if suffix == ".bvh":
        also = "".join(f"; in {u} it would be {v:.2f} m tall (--units {u})"
                       for u, v in (m.meta.get("units_also_fit") or {}).items())
        print(f"note: {name} read in {m.meta.get('units')}: {m.meta.get('m_per_unit'):g} m per unit{also}",
              file=sys.stderr)
    if suffix == ".npy" and getattr(args, "npy_fps", None) is None:
        print(f"note: a .npy holds no frame rate: {name} read at {HUMANML3D_FPS:g} fps (HumanML3D's); --fps "
              "says another", file=sys.stderr)
    if suffix in (".bvh", ".npy") and not args.up and (share := trunk_along_z(m.positions)) >= Z_UP_SHARE:
        print(f"warning: in {share:.0%} of {name}'s frames the trunk lies along z, not up: a Z-up file? "
              "--up z reads it so (a body lying all through is read right as it is)", file=sys.stderr)
    share = trunk_along_z(m.positions) if suffix in (".bvh", ".npy") and args.up == "z" else 0.0
    if share >= Z_UP_SHARE:
        print(f"warning: read with --up z, {share:.0%} of {name}'s frames hold the trunk along the forward "
              "axis, not up: a Y-up file (HumanML3D's and BVH's own)? without --up it is read so (a body "
              "lying all through is read right as it is)", file=sys.stderr)
    if not m.labels:
        print(f"note: {name} is not labelled: its recordings are too, and training leaves them out (--label "
              "names its activity)", file=sys.stderr)


def _sequence_motions(args, specs: list) -> list:
    """--n people each doing the activities of a description that orders them ("walks, then sits down"), as
    one continuous motion with the transitions their postures need (synth.person_sequence)."""
    from imuforge.synth import person_sequence, sequence_key

    if args.diversify:
        raise ValidationError(f"--diversify with a description of {len(specs)} activities in order: it "
                              "rewrites a description of one activity",
                              allowed="a description of one activity with --diversify, or this one "
                                      "without it")
    # a change of posture takes its own time, up to ≈ 5 s (static.sit_to_lie: 2.5–4 s, sit_to_stand 1.8–3.6 s)
    _check_frames(sum(s.duration_s or 5.0 for s in specs), args.fps, "the description's total duration")
    if args.seconds is not None and all(s.duration_s != args.seconds for s in specs):
        print(f"note: every part names its own duration or is a change of posture: --seconds "
              f"{args.seconds:g} is not used", file=sys.stderr)
    print(f"{shorten(args.text)} → {len(specs)} activities in order:")
    for k, s in enumerate(specs, 1):
        lasts = f", {s.duration_s:g} s" if s.duration_s else ""
        print(f"  {k}. {shorten(s.text)} → {_spec_text(s)}{lasts}")
        _not_held_note(s)
    acts = list(dict.fromkeys(s.activity for s in specs))
    name = "_then_".join(acts) if len(acts) <= 3 else f"{acts[0]}_then_{len(acts) - 1}_more"
    key = sequence_key(specs)
    motions, notes = [], []
    for i in progress(range(args.n), desc="motions", unit="motion"):
        motion, added = person_sequence(specs, i, seed=args.seed, fps=args.fps)
        notes = notes or added
        motions.append((f"{name}_{i:03d}", motion, key))
    for line in notes:
        print(f"note: {line}")
    return motions


def _is_keyframed(path: Path) -> bool:
    return path.suffix.lower() == ".toml"


def _keyframed_motions(args) -> list:
    """--n people doing the key-framed activity of ``--from FILE.toml``, each made as a library activity
    is."""
    from imuforge.motion.library.keyframed import read_keyframed
    from imuforge.motion.text import MotionSpec
    from imuforge.synth import person_motion, source_key

    from imuforge.labels import library_name

    act = read_keyframed(args.source)
    if (same := library_name(act.label)) is not None:  # "wave" would train beside --label wave's "waving"
        named = "" if same == act.label else f" ({same!r}, as --label reads it)"
        raise ValidationError(f"{args.source.name}'s label {act.label!r} is a library activity{named}",
                              source=str(args.source), allowed=f"a label of its own (e.g. my_{act.label})")
    spec = MotionSpec(act.label, args.seconds or 30.0, {}, text="key frames")  # seeds: label, not file name
    known = {act.label: act.activity()}
    print(f"{args.source.name} → {act.label} (key frames of {', '.join(act.angles)}; {act.posture}, "
          f"hand {act.hand})")
    return [(f"{act.label}_{i:03d}", person_motion(spec, i, seed=args.seed, fps=args.fps, activities=known),
             source_key(spec)) for i in progress(range(args.n), desc="motions", unit="motion")]


def _on_idle_arm(motion, placement: str) -> bool:
    """Whether a device at ``placement`` sits on an arm that a key-framed motion keeps still."""
    info = (motion.meta.get("items") or [{}])[0].get("info", {})
    hand = info.get("hand") if "keyframes" in info else None
    if hand not in ("L", "R") or not placement.startswith(("wrist_", "forearm_", "upper_arm_")):
        return False
    return placement.endswith("_left") != (hand == "L")


def _write(args, motions: list, stage: Path) -> list[str]:
    """Motions (and with --profile a Dataset of their Recordings) into ``stage``; returns the report lines."""
    sub = Path("motions") if args.profile else Path()
    mdir = stage / sub
    mdir.mkdir(parents=True, exist_ok=True)
    paths = [m.save(mdir / f"{name}.motion.npz") for name, m, _ in motions]
    lines = [f"wrote {len(paths)} motion(s) to {args.out / sub}"]
    if args.profile:
        from imuforge.recording import Dataset
        from imuforge.synth import record

        from imuforge.commands.simulate import wear_from_args

        profile, wear = load_profile_from_args(args, notes=False), wear_from_args(args)
        ds = Dataset.create(stage, meta={"generator": "imuforge motion", "text": args.text, "seed": args.seed},
                            exist_ok=True)
        moved: dict[str, int] = {}
        idle = 0
        tally = SaturationTally(profile)
        with ds.deferred_manifest():  # the staged output lands whole or not at all
            for i, (name, m, key) in enumerate(progress(motions, desc="simulate", unit="rec")):
                rec = record(m, profile, profile.default_placement, seed=args.seed, person=i, key=key,
                             wear=wear, subject=_import_subject(args))
                if rec.placement != profile.default_placement:
                    moved[rec.placement] = moved.get(rec.placement, 0) + 1
                idle += _on_idle_arm(m, rec.placement)
                tally.add(rec)
                ds.add(rec, name=name)
        lines.append(f"wrote dataset {args.out}: {len(ds)} recording{'s' * (len(ds) != 1)}, "
                     f"{ds.total_duration_s:.0f} s")
        lines += [f"note: {n}" for n in tally.notes()]
        lines += [f"note: {k} of the {len(ds)} simulated people wear the device on {where} (wear variation: "
                  f"the other side); --placement {profile.default_placement} keeps it there"
                  for where, k in sorted(moved.items())]
        if idle:
            lines.append(f"note: {idle} of the {len(ds)} simulated people wear the device on the arm the key "
                         "frames do not move (its 'hand'); put it on the moving arm with --placement (e.g. "
                         "wrist_right for hand = \"right\"), which keeps its side")
    entries = [_motion_entry(p.name, m) for p, (_, m, _) in zip(paths, motions)]
    (mdir / "motions.json").write_text(json.dumps(entries, indent=1, default=str))
    return lines


#: what ``motions.json`` says of each person's own draw of an activity (``info`` of the motion's items)
DRAWN = ("speed_mps", "step_frequency_hz", "carrying", "posture", "position")


def _motion_entry(name: str, m) -> dict:
    """One motion of ``motions.json``: its file, labels and what made it — the description's spec, with what
    this person drew where the spec leaves it open ("drawn": what their hands hold, their speed; a fresh
    user's run had to open each .npz for it), or the schedule's items."""
    entry = {"file": name, "labels": [s.to_list() for s in m.labels],
             "meta": m.meta.get("spec") or m.meta.get("specs") or m.meta.get("items")}
    if (m.meta.get("spec") or m.meta.get("specs")) and m.meta.get("items"):  # a description, or its parts
        entry["drawn"] = [{"activity": it["activity"]} | {k: it["info"][k] for k in DRAWN if k in it["info"]}
                          for it in m.meta["items"] if isinstance(it.get("info"), dict)]
    return entry


def run(args) -> int:
    if args.list:
        return _list_activities()
    items = _check_args(args)
    if args.profile:
        from imuforge.commands.simulate import wear_from_args

        load_profile_from_args(args)  # a bad profile or override fails before any motion is made
        wear_from_args(args)  # so does a bad --wear-variation
    with staged_folder(args.out) as stage:
        motions = _make_motions(args, items)
        lines = _write(args, motions, stage)
    from imuforge.motion.plausibility import implausible_note, is_flagged

    where = ("recordings' provenance['motion']['plausibility']" if getattr(args, "profile", None)
             else "motion files' meta['plausibility']")
    imported = args.source is not None and not _is_keyframed(args.source)
    flagged = implausible_note([f"{name} ({', '.join(m.meta['plausibility']['reasons'])})"
                                for name, m, _ in motions if is_flagged(m.meta)], len(motions), "motions",
                               where, **({"why": "kept with --allow-implausible"} if imported else {}))
    for line in lines + ([flagged] if flagged else []):
        print(line, file=sys.stderr if line.startswith(("note:", "warning:")) else sys.stdout)
    return 0

"""``imuforge motion``: text (or a schedule, or an imported file) → varied Motions, optionally Recordings."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from imuforge.commands._options import (
    add_device_overrides,
    add_label_options,
    label_from_args,
    load_profile_from_args,
)
from imuforge.commands.simulate import add_wear_option
from imuforge.errors import ValidationError


def register(sub) -> None:
    p = sub.add_parser(
        "motion", help="make varied human motions from a description (or schedule / HumanML3D / BVH file)",
        description="Examples:\n  imuforge motion \"a person walks briskly up the stairs\" --n 20 --seed 1 --out out/\n"
                    "  imuforge motion \"someone jogging\" --n 10 --profile smartwatch-wrist --out ds/\n"
                    "  imuforge motion --schedule standing:30,walking:120,stand_to_sit,sitting:60 --out day/\n"
                    "  imuforge motion --from t2m_output.npy --label walking --out imported/",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", nargs="?", help="description of the activity, e.g. 'a person walks briskly'")
    p.add_argument("--n", type=int, default=1, help="number of varied motions (default 1)")
    p.add_argument("--seconds", type=float, help="duration of each motion in s (default 30; transitions: natural)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--fps", type=float, default=100.0, help="motion frame rate in Hz (default 100)")
    p.add_argument("--out", required=False, type=Path, help="output folder")
    p.add_argument("--profile", help="hardware profile: also simulate each motion and write a Dataset")
    p.add_argument("--placement", help="placement preset (default: the profile's)")
    add_device_overrides(p)
    add_wear_option(p)
    p.add_argument("--matcher", default="embedding", choices=("embedding", "keywords"),
                   help="text → activity matcher (default: sentence embeddings, needs imuforge[text])")
    p.add_argument("--diversify", action="store_true",
                   help="write N varied descriptions of the matched activity first (grammar, or --llm-url)")
    p.add_argument("--llm-url", help="OpenAI-compatible chat endpoint for --diversify (llama.cpp, Ollama …)")
    p.add_argument("--llm-model", default="default", help="model name sent to --llm-url")
    p.add_argument("--schedule", help="comma-separated activity[:seconds] list making one continuous motion")
    p.add_argument("--from", dest="source", type=Path, help="import a HumanML3D .npy (T, 22, 3) or a .bvh file")
    add_label_options(p, "activity label for --from")
    p.add_argument("--list", action="store_true", help="list the activities and their parameters")
    p.set_defaults(func=run)


def _parse_schedule(text: str) -> list:
    items = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, sec = part.partition(":")
        try:
            items.append((name.strip(), float(sec) if sec else None))
        except ValueError:
            raise ValidationError(f"--schedule item {part!r}: seconds must be a number",
                                  allowed="activity[:seconds], e.g. walking:120") from None
    return items


def run(args) -> int:
    from imuforge.motion.library import ACTIVITIES
    from imuforge.progress import progress

    if args.list:
        for a in ACTIVITIES.values():
            params = ", ".join(f"{k}={v}" for k, v in a.params.items()) or "-"
            print(f"{a.name:15s} {a.kind:10s} {a.description:28s} {params}")
        return 0
    if args.out is None:
        raise ValidationError("--out is required", allowed="an output folder")
    if args.n < 1:
        raise ValidationError(f"--n must be >= 1, got {args.n}")
    from imuforge.sensors.wear import WearVariation

    wear = WearVariation.parse(args.wear_variation)  # checked before any motion is made
    if args.text and args.source is None and Path(args.text).suffix.lower() in (".npy", ".npz", ".bvh") \
            and Path(args.text).exists():
        raise ValidationError(f"{args.text!r} is a file, not a description",
                              allowed=f"imuforge motion --from {args.text} --label ACTIVITY --out DIR")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    motions = []
    if args.source is not None:
        from imuforge.motion.importers import load_motion_file

        src = args.source
        m = load_motion_file(src, label=label_from_args(args))
        motions.append((src.name.split(".")[0], m))
    elif args.schedule:
        from imuforge.motion.library import schedule

        items = _parse_schedule(args.schedule)
        for i in progress(range(args.n), desc="motions", unit="motion"):
            motions.append((f"schedule_{i:03d}", schedule(items, fps=args.fps, rng=[args.seed, i])))
    else:
        if not args.text:
            raise ValidationError("give a description, --schedule, --from or --list")
        from imuforge.motion.text import diversify, llm_descriptions, motions_from_spec, parse_description

        spec = parse_description(args.text, seconds=args.seconds, matcher=args.matcher)
        print(f"{args.text!r} → {spec.activity} (score {spec.score:.2f}) params={spec.params}")
        if args.diversify:
            texts = (llm_descriptions(args.llm_url, spec.activity, args.n, model=args.llm_model) if args.llm_url
                     else diversify(spec.activity, args.n, seed=args.seed))
            specs = []
            for t in texts:
                try:
                    s = parse_description(t, seconds=args.seconds, matcher=args.matcher)
                except ValidationError as exc:
                    print(f"  dropped (no match): {t!r} ({exc.what})")
                    continue
                if s.activity != spec.activity:
                    print(f"  dropped (maps to {s.activity}): {t!r}")
                    continue
                specs.append(s)
            if not specs:
                raise ValidationError(f"none of the {len(texts)} diversified descriptions maps to {spec.activity}")
        else:
            specs = [spec]
        for i in progress(range(args.n), desc="motions", unit="motion"):
            s = specs[i % len(specs)]
            m = motions_from_spec(s, 1, seed=args.seed * 100003 + i, fps=args.fps)[0]
            motions.append((f"{s.activity}_{i:03d}", m))
    mdir = out / "motions" if args.profile else out
    paths = [m.save(mdir / f"{name}.motion.npz") for name, m in motions]
    print(f"wrote {len(paths)} motion(s) to {mdir}")
    if args.profile:
        from imuforge.recording import Dataset
        from imuforge.sensors import simulate

        ds = Dataset.create(out, meta={"generator": "imuforge motion", "text": args.text,
                                                   "seed": args.seed}, exist_ok=True)
        profile = load_profile_from_args(args)
        for i, (name, m) in enumerate(progress(motions, desc="simulate", unit="rec")):
            rec = simulate(m, profile, profile.default_placement, seed=args.seed * 1000 + i,
                           subject=f"synthetic-{i:03d}", wear=wear)
            ds.add(rec, name=name)
        print(f"wrote dataset {out}: {len(ds)} recordings, {ds.total_duration_s:.0f} s")
    (mdir / "motions.json").write_text(json.dumps([{"file": p.name, "labels": [s.to_list() for s in m.labels],
                                                   "meta": m.meta.get("spec") or m.meta.get("items")}
                                                  for p, (_, m) in zip(paths, motions)], indent=1, default=str))
    return 0

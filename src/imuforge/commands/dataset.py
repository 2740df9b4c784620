"""``imuforge dataset info`` and ``imuforge dataset select``."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("dataset", help="inspect Datasets (folders of Recordings)",
                       description="Inspect and select Datasets (folders of Recordings). A public data set "
                                   "becomes one with imuforge import FORMAT SRC --out DIR.")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    info = dsub.add_parser("info", help="recordings, duration per label, rates, devices and placements",
                           description="Summarises each Dataset from its manifest, after checking that every "
                           "recording it lists exists and is readable (exit 2 naming the ones that are not).")
    info.add_argument("path", type=Path, help="a Dataset folder, a folder holding Dataset folders, a folder of "
                      "recordings (as capture writes them) or one recording file")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=_info)
    sel = dsub.add_parser(
        "select", help="a subset: some people, some labels, each person's first seconds of each label",
        description="Write the chosen recordings (or the chosen parts of them) into a new Dataset, e.g. one "
        "person's first minute of each activity as the capture to calibrate with, and the other people as the "
        "test set: `select DATA --subjects P --first-seconds 60 --out capture/` and `select DATA "
        "--exclude-subjects P --out test/` (docs/TRAINING.md).")
    sel.add_argument("path", type=Path,
                     help="a Dataset folder, a folder holding them, or a folder of recordings")
    sel.add_argument("--out", required=True, type=Path, help="new Dataset folder")
    sel.add_argument("--subjects", default=None, help="only these subjects (comma-separated; default all)")
    sel.add_argument("--exclude-subjects", default=None, help="not these subjects (comma-separated)")
    sel.add_argument("--placements", default=None,
                     help="only recordings at these placements (comma-separated; e.g. one body position of "
                     "an import holding several, such as RealWorld's)")
    sel.add_argument("--labels", default=None,
                     help="only these labels (comma-separated; the rest left unlabelled, recordings with none of "
                     "them dropped)")
    sel.add_argument("--first-seconds", type=float, default=None, metavar="S",
                     help="only each person's first S seconds of each label (in recording and time order; "
                     "seconds of samples: a gap in a stretch does not count)")
    sel.add_argument("--rest-out", type=Path, default=None,
                     help="with --first-seconds: a second new Dataset with the rest of the chosen labelled "
                     "stretches")
    sel.add_argument("--json", action="store_true", help="print what was written as one JSON object (per "
                     "part: folder, recordings, subjects, seconds per label)")
    sel.set_defaults(func=_select)


def _fmt_s(s: float) -> str:
    """Seconds as shown: minutes from 120 s on, decided on the shown value (119.99 and 120.01 s of one
    capture's stretches read "120.0 s" and "2.0 min" side by side)."""
    return f"{s / 60:.1f} min" if round(s, 1) >= 120 else f"{s:.1f} s"


def check_recordings(datasets) -> None:
    """Refuse data sets whose manifest lists missing or unreadable recordings (naming them)."""
    from imuforge.errors import ValidationError

    for ds in datasets:
        problems = ds.check_files()
        if problems:
            shown = "; ".join(str(p) for p in problems[:5]) + (f"; … {len(problems) - 5} more" if len(problems) > 5 else "")
            n = sum(p.recordings for p in problems)
            raise ValidationError(f"{n} of {len(ds.entries)} recordings listed in the manifest are missing "
                                  f"or unreadable: {shown}", source=str(ds.path),
                                  allowed="every recording the manifest lists present and readable "
                                  "(restore the files, or re-create the Dataset)")


def _csv(option: str, text: str | None) -> list[str] | None:
    """A comma-separated option's names (None: not given, all). An empty name — ``--subjects ""`` or
    ``a,,b`` — is refused: it would have meant "all" or been dropped without a word."""
    if text is None:
        return None
    items = [x.strip() for x in text.split(",")]
    if not all(items):
        from imuforge.errors import ValidationError

        raise ValidationError(f"{option} {text!r} holds an empty name",
                              allowed="names separated by commas, e.g. uci01,uci02 (leave the option out "
                              "for all)")
    return items


def _select(args) -> int:
    from imuforge._folders import check_new_folder, staged_folder
    from imuforge.datasets.loading import find_all_datasets
    from imuforge.datasets.selection import MIN_REST_S, check_seconds, select
    from imuforge.errors import ValidationError
    from imuforge.recording import Dataset

    if args.first_seconds is not None:  # the library's check, named by the option, before the data is read
        check_seconds(args.first_seconds, "--first-seconds")
    names = {key: _csv("--" + key.replace("_", "-"), getattr(args, key))
             for key in ("subjects", "exclude_subjects", "labels", "placements")}
    if args.rest_out is not None and args.first_seconds is None:
        raise ValidationError("--rest-out needs --first-seconds", allowed="--first-seconds S --rest-out DIR")
    both = sorted(set(names["subjects"] or ()) & set(names["exclude_subjects"] or ()))
    if both:  # the two cancel out
        raise ValidationError(f"--subjects and --exclude-subjects both name {', '.join(both)}",
                              allowed="each subject in one of them")
    outs = [o for o in (args.out, args.rest_out) if o is not None]
    for option, out in (("--out", args.out), ("--rest-out", args.rest_out)):
        if out is not None:
            check_new_folder(out, option)
    if len({o.resolve() for o in outs}) < len(outs):
        raise ValidationError("--out and --rest-out are the same folder", allowed="two different new folders")
    source = Path(args.path).resolve()
    for option, out in (("--out", args.out), ("--rest-out", args.rest_out)):
        if out is not None and source in Path(out).resolve().parents:
            raise ValidationError(f"{option} {out} is inside {args.path}: the selection would become part of "
                                  "the data it was selected from", allowed="a new folder outside the data")
    datasets = find_all_datasets([args.path])
    check_recordings(datasets)
    chosen = select((r for ds in datasets for r in ds.recordings()), **names,
                    first_seconds_per_label=args.first_seconds)
    if not chosen.selected:
        raise ValidationError("the selection is empty", allowed="subjects and labels that hold data")
    if args.rest_out is not None and not chosen.rest:  # refused before anything is written
        longest = max(_seconds_per_person(chosen.selected).values(), default=0.0)
        ends = (f"; {chosen.rest_left_out} piece(s) under {MIN_REST_S:g} s left over"
                if chosen.rest_left_out else "")
        raise ValidationError(f"--rest-out would hold no recording: no person has more than --first-seconds "
                              f"{args.first_seconds:g} s of any chosen label (the longest: {longest:.1f} s"
                              f"{ends})",
                              allowed="a shorter --first-seconds, or leave --rest-out out")
    parts = [("selected", args.out)] + ([("rest", args.rest_out)] if args.rest_out is not None else [])
    meta = {"selected_from": str(args.path), "subjects": args.subjects or "",
            "exclude_subjects": args.exclude_subjects or "", "labels": args.labels or "",
            "first_seconds": args.first_seconds, **({"placements": args.placements} if args.placements else {})}
    with contextlib.ExitStack() as stack:  # both parts staged; neither lands unless both are written
        for part, out in parts:
            stage = stack.enter_context(staged_folder(out))
            ds = Dataset.create(stage, meta={**meta, "part": part})
            with ds.deferred_manifest():
                for i, r in enumerate(getattr(chosen, part)):
                    ds.add(r, name=re.sub(r"[^A-Za-z0-9_.-]", "_", f"{r.subject or 'nosubject'}_{i:05d}"))
    written = {part: {"out": str(out), "recordings": len(getattr(chosen, part)),
                      "subjects": sorted({r.subject or "" for r in getattr(chosen, part)}),
                      "seconds_per_label": dict(chosen.seconds_per_label(part))} for part, out in parts}
    if "rest" in written:
        written["rest"]["pieces_left_out"] = chosen.rest_left_out
    if args.json:
        print(json.dumps(written))
        return 0
    for part, w in written.items():
        plural = "s" if w["recordings"] != 1 else ""
        print(f"{part}: {w['recordings']} recording{plural} of {len(w['subjects'])} subject(s) into "
              f"{w['out']}")
        for label, sec in w["seconds_per_label"].items():
            print(f"  {label:<20} {_fmt_s(sec)}")
        if w.get("pieces_left_out"):
            print(f"  ({w['pieces_left_out']} piece(s) under {MIN_REST_S:g} s beyond the first seconds left "
                  "out: shorter than any window a model takes)")
    return 0


def _seconds_per_person(recordings) -> dict[tuple[str | None, str], float]:
    """Seconds of each (subject, label) over the recordings (``Recording.duration_per_label``)."""
    out: dict[tuple[str | None, str], float] = {}
    for r in recordings:
        for label, seconds in r.duration_per_label().items():
            out[r.subject, label] = out.get((r.subject, label), 0.0) + seconds
    return out


def _named(values: list[str], without: int) -> str:
    """What recordings name (``values``), and how many name nothing."""
    text = ", ".join(values) or "not recorded"
    return text + (f" ({without} recording(s) name none)" if without and values else "")


def _info(args) -> int:
    from imuforge.datasets.loading import find_all_datasets
    from imuforge.errors import ValidationError
    from imuforge.recording import RECORDING_SUFFIX, Dataset
    from imuforge.units import format_rates

    if not args.path.exists():
        raise ValidationError(f"{args.path} does not exist", allowed="a Dataset folder, a folder holding them, "
                              "a folder of recordings or one recording file")
    if args.path.is_file():  # one recording, as calibrate / train would read it
        if not args.path.name.endswith((RECORDING_SUFFIX, ".csv")):
            raise ValidationError(f"{args.path} is not a recording", allowed=f"*{RECORDING_SUFFIX} or *.csv")
        datasets = [Dataset.from_files(args.path.parent, [args.path])]
    else:  # Datasets and plain folders of recordings, found as every command that reads data finds them
        datasets = find_all_datasets([args.path])
    check_recordings(datasets)
    if args.json:
        print(json.dumps([{**d.summary(), "recordings_list": d.entries} for d in datasets], indent=1))
        return 0
    for ds in datasets:
        s = ds.summary()
        shown = args.path if args.path.is_file() else ds.path  # one recording: its name, not its folder's
        print(f"{shown}: {s['recordings']} recording{'s' if s['recordings'] != 1 else ''}, "
              f"{_fmt_s(s['duration_s'])}")
        print(f"  rates:      {format_rates([e['rate_hz'] for e in ds.entries])}")  # counts recordings
        print(f"  devices:    {_named(s['profiles'], s['without']['profile'])}")
        print(f"  placements: {_named(s['placements'], s['without']['placement'])}")
        subjects = s["subjects"][:8] + (["…"] if len(s["subjects"]) > 8 else [])
        print(f"  subjects:   {len(s['subjects'])}" + (f" ({', '.join(subjects)})" if subjects else "")
              + (f"; {s['without']['subject']} recording(s) name none" if s["without"]["subject"] else ""))
        print("  per label:")
        label_width = max([16, *(len(k) + 1 for k in s["duration_per_label_s"])])
        for label, sec in s["duration_per_label_s"].items():
            print(f"    {label:<{label_width}} {_fmt_s(sec)}")
        # the time no label covers (an import's transients, an unlabelled capture)
        if s["unlabelled_s"] >= 0.05:
            print(f"    {'(unlabelled)':<{label_width}} {_fmt_s(s['unlabelled_s'])}")
        gaps = sum(e.get("gaps", 0) for e in ds.entries)
        if gaps:
            print(f"  gaps:       {gaps} (dropped samples are kept as gaps)")
        names = [f"{e['file']}:{e['name']}" if "row_group" in e else e["file"] for e in ds.entries]  # shards
        width = max((len(n) for n in names), default=4)
        print("  recordings:")
        for name, e in zip(names[:50], ds.entries):
            labels = ", ".join(f"{k} {_fmt_s(v)}" for k, v in e["labels_s"].items())
            print(f"    {name:<{width}}  {e['samples']:>7} samples  {e['rate_hz']:.6g} Hz  {labels}")
        if len(ds.entries) > 50:
            print(f"    … {len(ds.entries) - 50} more")
    return 0

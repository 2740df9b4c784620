"""``imuforge dataset info``."""

from __future__ import annotations

import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("dataset", help="inspect Datasets (folders of Recordings)")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    info = dsub.add_parser("info", help="recordings, duration per label, rates, devices and placements",
                           description="Summarises each Dataset from its manifest, after checking that every "
                           "recording it lists exists and is readable (exit 2 naming the ones that are not).")
    info.add_argument("path", type=Path, help="a Dataset folder, a folder holding Dataset folders, a folder of "
                      "recordings (as capture writes them) or one recording file")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=_info)


def _fmt_s(s: float) -> str:
    return f"{s / 60:.1f} min" if s >= 120 else f"{s:.1f} s"


def check_recordings(datasets) -> None:
    """Refuse data sets whose manifest lists missing or unreadable recordings (naming them)."""
    from imuforge.errors import ValidationError

    for ds in datasets:
        problems = ds.check_files()
        if problems:
            shown = "; ".join(str(p) for p in problems[:5]) + (f"; … {len(problems) - 5} more" if len(problems) > 5 else "")
            raise ValidationError(f"{len(problems)} of {len(ds.entries)} recordings listed in the manifest are missing "
                                  f"or unreadable: {shown}", source=str(ds.path),
                                  allowed="every recording the manifest lists present and readable "
                                  "(restore the files, or re-create the Dataset)")


def _info(args) -> int:
    from imuforge.datasets.loading import find_all_datasets
    from imuforge.errors import ValidationError
    from imuforge.recording import RECORDING_SUFFIX, Dataset

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
        print(f"{ds.path}: {s['recordings']} recordings, {_fmt_s(s['duration_s'])}")
        print(f"  rates:      {', '.join(f'{r:.6g} Hz' for r in s['rates_hz'])}")
        print(f"  devices:    {', '.join(s['profiles'])}")
        print(f"  placements: {', '.join(s['placements'])}")
        print(f"  subjects:   {len(s['subjects'])} ({', '.join(s['subjects'][:8])}{' …' if len(s['subjects']) > 8 else ''})")
        print("  per label:")
        for label, sec in s["duration_per_label_s"].items():
            print(f"    {label:<16} {_fmt_s(sec)}")
        gaps = sum(e.get("gaps", 0) for e in ds.entries)
        if gaps:
            print(f"  gaps:       {gaps} (dropped samples are kept as gaps)")
        names = [f"{e['file']}:{e['name']}" if "row_group" in e else e["file"] for e in ds.entries]  # shards
        width = max((len(n) for n in names), default=4)
        print("  recordings:")
        for name, e in zip(names[:50], ds.entries):
            labels = ", ".join(f"{k} {v:.0f}s" for k, v in e["labels_s"].items())
            print(f"    {name:<{width}}  {e['samples']:>7} samples  {e['rate_hz']:.5g} Hz  {labels}")
        if len(ds.entries) > 50:
            print(f"    … {len(ds.entries) - 50} more")
    return 0

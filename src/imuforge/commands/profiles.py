"""``imuforge profiles list|show|placements``."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "profiles", help="list and show hardware profiles (chips and devices)",
        description="List and show hardware profiles. The built-in profiles ship with imuforge; your own "
        "TOML files are found in the folders named by the IMUFORGE_PROFILES environment variable "
        "(separated by ':'; flat or nested; a file named NAME.toml is the profile NAME and must say "
        "name = \"NAME\"). Every command that takes --profile also takes a path to a .toml file.")
    psub = p.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    ls = psub.add_parser("list", help="list every profile found")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=_list)
    sh = psub.add_parser("show", help="show one profile's configured figures (datasheet units) and sources")
    sh.add_argument("name", help="profile name or path to a .toml")
    sh.add_argument("--odr", type=float, help="override the ODR (Hz)")
    sh.add_argument("--range-g", type=float, help="override the accelerometer range (±g)")
    sh.add_argument("--range-dps", type=float, help="override the gyroscope range (±dps)")
    sh.add_argument("--json", action="store_true", help="print JSON")
    sh.set_defaults(func=_show)
    pl = psub.add_parser("placements",
                         help="list the placement presets (--placement): body segment, device axes")
    pl.add_argument("--json", action="store_true", help="print JSON")
    pl.set_defaults(func=_placements)


def _placements(args) -> int:
    from imuforge.sensors.placement import PLACEMENTS

    rows = [{"name": p.name, "segment": p.segment, "description": p.description} for p in PLACEMENTS.values()]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(r["name"]) for r in rows)
    seg = max(len(r["segment"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['segment']:<{seg}}  {r['description'].split('. ')[0].rstrip('.')}")
    return 0


def _survey() -> list[dict]:
    """Every profile file found, each loaded as a command would load it: usable, or why not (one line).

    A file that fails (a bad value, the name not its file name, a chip that does not load, invalid TOML)
    is listed as not usable instead of as if it were fine, and one bad file does not hide the others.
    """
    from imuforge.errors import ValidationError
    from imuforge.sensors.profiles import _index, _read_toml, load_profile

    out = []
    for name, path in _index().items():
        entry = {"name": name, "kind": "?", "title": name, "path": str(path), "usable": True, "error": None}
        try:
            doc = _read_toml(path)  # invalid TOML, or not UTF-8: a ValidationError saying which
            entry["kind"] = str(doc.get("kind", "?"))
            entry["title"] = str(doc.get("product") or doc.get("part") or name)
            load_profile(path)
        except (ValidationError, OSError) as exc:
            if isinstance(exc, ValidationError):  # what is wrong, without the (long) list of what is allowed
                why = exc.what if not exc.source or exc.source in exc.what else f"{exc.source}: {exc.what}"
            else:
                why = f"unreadable: {exc}"
            why = " ".join(str(why).split())
            entry.update(usable=False, error=why if str(path) in why else f"{path}: {why}")
        out.append(entry)
    return sorted(out, key=lambda e: (e["kind"] != "device", e["name"]))


def _list(args) -> int:
    import sys

    from imuforge.sensors.profiles import profile_dirs, shadowed_profiles

    builtin = profile_dirs()[-1]
    for d in profile_dirs():  # a mistyped IMUFORGE_PROFILES would otherwise just list the built-ins
        if d != builtin and not d.is_dir():
            print(f"note: IMUFORGE_PROFILES names {d}, which is not a folder (ignored)", file=sys.stderr)
    for name, paths in shadowed_profiles().items():  # two files of one name: only the first is ever loaded
        print(f"note: profile {name!r} is in {len(paths)} files; {paths[0]} is used, not "
              f"{', '.join(map(str, paths[1:]))}", file=sys.stderr)
    entries = _survey()
    if args.json:
        print(json.dumps(entries, indent=1))
        return 0
    good = [e for e in entries if e["usable"]]
    bad = [e for e in entries if not e["usable"]]
    width = max((len(e["name"]) for e in entries), default=10)
    for e in good:
        print(f"{e['name']:<{width}}  {e['kind']:<6}  {e['title']}")
    if bad:
        print(f"\nnot usable ({len(bad)}; every command refuses them until the file is fixed):")
        for e in bad:
            print(f"{e['name']:<{width}}  {e['kind']:<6}  {e['error']}")
    return 0


def _figure(v) -> str:
    """A figure as people read it: six significant digits, per element of a list (the unit conversions leave
    0.012400000000000001 for 12.4 mg)."""
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_figure(x) for x in v) + "]"
    return str(v)


def _show(args) -> int:
    from imuforge.sensors.profiles import load_profile

    prof = load_profile(args.name, odr_hz=args.odr, range_g=args.range_g, range_dps=args.range_dps)
    summary = prof.summary()
    summary["file"] = str(prof.path)
    for note in prof.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"{prof.name} ({prof.kind})" + (f" — {prof.description}" if prof.description.strip() else ""))
    print(f"  file: {prof.path}")
    print(f"  default placement: {prof.default_placement}; channels: {', '.join(prof.channels)}")
    for kind, s in prof.sensors.items():
        figs = summary[kind]
        print(f"  [{kind}] " + ", ".join(f"{k}={_figure(v)}" for k, v in figs.items()))
        for key, src in sorted(s.sources.items()):
            print(f"      source {key}: {src}")
    t = summary["timing"]
    print(f"  [timing] clock {t['clock_ppm']:g} ± {t['clock_tolerance_ppm']:g} ppm, jitter {t['jitter_us']:g} µs, "
          f"drop rate {t['drop_rate']:g}")
    return 0

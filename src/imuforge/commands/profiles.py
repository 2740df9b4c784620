"""``imuforge profiles list|show``."""

from __future__ import annotations

import json


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


def _list(args) -> int:
    from imuforge.sensors.profiles import list_profiles

    infos = list_profiles()
    if args.json:
        print(json.dumps([{"name": i.name, "kind": i.kind, "title": i.title, "path": str(i.path)} for i in infos],
                         indent=1))
        return 0
    width = max((len(i.name) for i in infos), default=10)
    for i in infos:
        print(f"{i.name:<{width}}  {i.kind:<6}  {i.title}")
    return 0


def _show(args) -> int:
    from imuforge.sensors.profiles import load_profile

    prof = load_profile(args.name, odr_hz=args.odr, range_g=args.range_g, range_dps=args.range_dps)
    summary = prof.summary()
    summary["file"] = str(prof.path)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"{prof.name} ({prof.kind}) — {prof.description}")
    print(f"  file: {prof.path}")
    print(f"  default placement: {prof.default_placement}; channels: {', '.join(prof.channels)}")
    for kind, s in prof.sensors.items():
        figs = summary[kind]
        print(f"  [{kind}] " + ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                                         for k, v in figs.items()))
        for key, src in sorted(s.sources.items()):
            print(f"      source {key}: {src}")
    t = summary["timing"]
    print(f"  [timing] clock {t['clock_ppm']:g} ± {t['clock_tolerance_ppm']:g} ppm, jitter {t['jitter_us']:g} µs, "
          f"drop rate {t['drop_rate']:g}")
    return 0

"""Hardware profiles: load, validate and convert chip and device TOML files to SI.

The file schema is in docs/PROFILES.md. This module reads datasheet figures (g, dps, µg/√Hz,
mdps/√Hz, mg, %, ppm, µs, gauss) and hands out SI models; every conversion factor it applies comes
from :mod:`imuforge.units`.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from imuforge.errors import ValidationError, shorten
from imuforge.units import DEG, GROUP_OF_SENSOR, STANDARD_GRAVITY

SENSOR_KINDS = ("accel", "gyro", "mag")
#: the command-line flag of each configuration override (for error messages)
OVERRIDE_FLAGS = {"odr_hz": "--odr", "range_g": "--range-g", "range_dps": "--range-dps"}

#: Common ODRs (Hz). A chip that takes any ODR in a span (``odr_min_hz`` … ``odr_max_hz``, a divider) offers
#: these of them as its discrete choices (:meth:`HardwareProfile.settable_odrs`).
STANDARD_ODRS_HZ = (12.5, 25.0, 50.0, 100.0, 200.0, 400.0, 500.0, 800.0, 1000.0, 1600.0)

# ------------------------------------------------------------------------------------ schema
_COMMON_CHIP_KEYS = {"bits", "odrs_hz", "odr_min_hz", "odr_max_hz", "bandwidth_odr_ratio", "bandwidths_hz",
                     "filter_order", "bias_tau_s", "sensitivity_tolerance_pct", "cross_axis_pct",
                     "odr_tolerance_pct", "notes", "sources"}
CHIP_KEYS: dict[str, set[str]] = {
    "accel": _COMMON_CHIP_KEYS | {"ranges_g", "noise_ug_per_rthz", "zero_g_offset_mg", "bias_instability_ug",
                                  "sensitivity_mg_per_lsb", "noise_by_range_ug_per_rthz"},
    "gyro": _COMMON_CHIP_KEYS | {"ranges_dps", "noise_mdps_per_rthz", "zero_rate_offset_dps",
                                 "bias_instability_dph", "g_sensitivity_dps_per_g", "sensitivity_mdps_per_lsb"},
    "mag": _COMMON_CHIP_KEYS | {"ranges_ut", "lsb_ut", "noise_ut_rms", "noise_ut_per_rthz", "zero_offset_ut",
                                "sensitivity_ut_per_lsb"},
}
# optional lists aligned with the ranges list (docs/PROFILES.md): per-range LSB (datasheet units) and noise
PER_RANGE_KEYS = {"accel": ("sensitivity_mg_per_lsb", "noise_by_range_ug_per_rthz"),
                  "gyro": ("sensitivity_mdps_per_lsb",), "mag": ("sensitivity_ut_per_lsb",)}
SENSITIVITY_KEY = {"accel": ("sensitivity_mg_per_lsb", 1e-3), "gyro": ("sensitivity_mdps_per_lsb", 1e-3),
                   "mag": ("sensitivity_ut_per_lsb", 1.0)}
# every key of a chip's sensor section but notes/sources is a figure and needs a source in [kind.sources]
CHIP_FIGURE_KEYS = {k: CHIP_KEYS[k] - {"notes", "sources"} for k in SENSOR_KINDS}
CHIP_TOP_KEYS = {"name", "kind", "part", "vendor", "datasheet", "notes", "defaults", "sources", *SENSOR_KINDS}
CHIP_DEFAULT_KEYS = {"odr_hz", "range_g", "range_dps", "range_ut", "placement", "mag_odr_hz", "sources"}
DEVICE_TOP_KEYS = {"name", "kind", "product", "description", "notes", "url", "default_placement", "timing",
                   "sources", *SENSOR_KINDS}
# one device's own measured per-axis terms (docs/PROFILES.md "Per-device calibration"): 3 numbers each,
# in datasheet units, with their SI conversion factor
DEVICE_CAL_KEYS: dict[str, dict[str, float]] = {
    "accel": {"bias_xyz_mg": 1e-3 * STANDARD_GRAVITY, "scale_xyz": 1.0},
    "gyro": {"bias_xyz_dps": DEG, "scale_xyz": 1.0, "g_sensitivity_xyz_dps_per_g": DEG / STANDARD_GRAVITY},
    "mag": {"bias_xyz_ut": 1.0, "scale_xyz": 1.0},
}
SCALE_XYZ_LIMITS = (0.5, 2.0)  # a per-axis scale factor outside this is a wrong unit, not a sensor
#: the largest magnitude of a device's own per-axis term: the span of the chip figure it replaces
#: (:data:`FIGURE_LIMITS`; a hard-iron offset as large as a magnetometer's range)
DEVICE_CAL_ABS_MAX = {"bias_xyz_mg": 2000.0, "bias_xyz_dps": 500.0, "g_sensitivity_xyz_dps_per_g": 10.0,
                      "bias_xyz_ut": 5000.0}
RANGE_KEY = {"accel": "range_g", "gyro": "range_dps", "mag": "range_ut"}
RANGES_KEY = {"accel": "ranges_g", "gyro": "ranges_dps", "mag": "ranges_ut"}
# a device's configuration: choices made for it (no source needed, docs/PROFILES.md)
DEVICE_CONFIG_KEYS = {"chip", "odr_hz", "bandwidth_hz", *RANGE_KEY.values()}
# a device's sensor section: chip + its configuration (its own sensor's range only) + any chip figure as an
# override + per-device calibration
DEVICE_SENSOR_KEYS = {k: CHIP_KEYS[k] | (DEVICE_CONFIG_KEYS - set(RANGE_KEY.values())) | {RANGE_KEY[k]}
                      | set(DEVICE_CAL_KEYS[k]) for k in SENSOR_KINDS}
# every other key but notes/sources is a figure — a chip figure overridden, or this device's own — and
# needs a source
DEVICE_FIGURE_KEYS = {k: DEVICE_SENSOR_KEYS[k] - DEVICE_CONFIG_KEYS - {"notes", "sources"}
                      for k in SENSOR_KINDS}
TIMING_KEYS = {"clock_ppm", "clock_tolerance_ppm", "jitter_us", "drop_rate", "sources"}
NOISE_KEYS = {"accel": ("noise_ug_per_rthz",), "gyro": ("noise_mdps_per_rthz",),
              "mag": ("noise_ut_per_rthz", "noise_ut_rms")}


BUILTIN_PROFILES = Path(__file__).resolve().parents[1] / "profiles"


def profile_dirs() -> list[Path]:
    """Folders searched for profiles: ``$IMUFORGE_PROFILES`` (``os.pathsep``-separated), then the built-ins.

    A user folder may be flat or nested: every ``*.toml`` below it is a profile named by its file
    stem. The built-in profiles ship inside the package (``imuforge/profiles/{chips,devices}``), so a
    plain wheel install has them.
    """
    dirs = [Path(p) for p in os.environ.get("IMUFORGE_PROFILES", "").split(os.pathsep) if p]
    return dirs + [BUILTIN_PROFILES]


# ------------------------------------------------------------------------------- SI models
@dataclass(frozen=True)
class SensorModel:
    """One sensor (accel, gyro or mag) of a configured device, all figures in SI.

    Units: ``range_si`` and ``lsb_si`` in m/s² (accel), rad/s (gyro) or µT (mag);
    ``noise_density_si`` in unit/√Hz; ``bias_sd_si`` and ``bias_instability_si`` in the unit;
    ``g_sensitivity_si`` in (rad/s)/(m/s²); fractions (not %) for scale and cross-axis errors.
    """

    kind: str
    chip: str
    odr_hz: float
    range_si: float
    bits: int
    noise_density_si: float
    bandwidth_hz: float
    filter_order: int = 2
    bias_sd_si: float = 0.0
    bias_instability_si: float = 0.0
    bias_tau_s: float = 100.0
    scale_sd: float = 0.0
    cross_axis_sd: float = 0.0
    g_sensitivity_si: float = 0.0
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    sensitivity_si: float = 0.0  # datasheet LSB value when it is not 2·range/2^bits (0 = not given)
    # one device's measured deterministic terms (None = unknown: the random turn-on draw is used)
    bias_xyz_si: tuple[float, float, float] | None = None          # per-axis bias, SI unit
    scale_xyz: tuple[float, float, float] | None = None            # per-axis scale factor (1 = exact)
    g_sensitivity_xyz_si: tuple[float, float, float] | None = None  # signed, (rad/s)/(m/s²), gyro only
    # the ODRs the chip can be set to: a list, and/or any value of a span (lowest, highest)
    odrs_hz: tuple[float, ...] = field(default=(), compare=False)
    odr_span_hz: tuple[float, float] | None = field(default=None, compare=False)

    def supports_odr(self, odr: float) -> bool:
        """Whether the chip can run at ``odr`` (the rule the profile's ``odr_hz`` and ``--odr`` obey)."""
        return _odr_ok(self.odrs_hz, self.odr_span_hz, odr)

    @property
    def lsb_si(self) -> float:
        """Value of one output LSB: the datasheet sensitivity if given, else 2·range / 2^bits."""
        if self.sensitivity_si > 0:
            return self.sensitivity_si
        return 2.0 * self.range_si / 2.0**self.bits

    @property
    def output_limits_si(self) -> tuple[float, float]:
        """Lowest and highest output value: the nominal range, bounded by the signed output word."""
        lsb, half = self.lsb_si, 2 ** (self.bits - 1)
        return max(-self.range_si, -half * lsb), min(self.range_si, (half - 1) * lsb)

    @property
    def channel_group(self) -> str:
        return GROUP_OF_SENSOR[self.kind]


@dataclass(frozen=True)
class Timing:
    """Sample clock: mean error and device-to-device spread (ppm), timestamp jitter (s), drops."""

    clock_ppm: float = 0.0
    clock_tolerance_ppm: float = 0.0
    jitter_s: float = 0.0
    drop_rate: float = 0.0


@dataclass(frozen=True)
class HardwareProfile:
    """A configured device: its sensors (SI), timing, default placement and provenance."""

    name: str
    kind: str  # "device" or "chip"
    description: str
    sensors: dict[str, SensorModel]
    timing: Timing
    default_placement: str
    path: Path | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    #: what loading decided that the file does not say (a filter narrowed to an ``--odr``'s Nyquist frequency)
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def odr_hz(self) -> float:
        """The recording rate: the accelerometer's ODR (else the first sensor's)."""
        main = self.sensors.get("accel") or next(iter(self.sensors.values()))
        return main.odr_hz

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(f"{s.channel_group}_{a}" for s in self.sensors.values() for a in "xyz")

    def settable_odrs(self) -> tuple[float, ...]:
        """The ODRs an ``odr_hz`` override (``--odr``) may set: those the accelerometer and the gyroscope
        can both do (:meth:`SensorModel.supports_odr`, the check :func:`load_profile` makes), the profile's
        own among them. A chip that takes any ODR of a span offers the :data:`STANDARD_ODRS_HZ` inside it."""
        moved = [s for k, s in self.sensors.items() if k in ("accel", "gyro")]
        moved = moved or list(self.sensors.values())[:1]
        candidates = {o for s in moved for o in s.odrs_hz} | set(STANDARD_ODRS_HZ) | {self.odr_hz}
        return tuple(sorted(o for o in candidates if all(s.supports_odr(o) for s in moved)))

    @property
    def chips(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.chip for s in self.sensors.values()))

    def summary(self) -> dict[str, Any]:
        """Datasheet-unit summary for printing: the units datasheets and profile files state each figure in
        (noise µg/√Hz and mdps/√Hz, offsets mg), each to 10 significant digits (no conversion noise)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "description": self.description,
                               "default_placement": self.default_placement, "chips": list(self.chips)}
        for k, s in self.sensors.items():
            unit, conv = {"accel": ("g", STANDARD_GRAVITY), "gyro": ("dps", DEG), "mag": ("uT", 1.0)}[k]
            # noise and offsets as datasheets give them: µg/√Hz and mg, mdps/√Hz, µT
            noise, n_conv = {"accel": ("ug", STANDARD_GRAVITY * 1e-6), "gyro": ("mdps", DEG * 1e-3),
                             "mag": ("uT", 1.0)}[k]
            bias, b_conv = {"accel": ("mg", STANDARD_GRAVITY * 1e-3)}.get(k, (unit, conv))
            out[k] = {
                "chip": s.chip, "odr_hz": _sig(s.odr_hz), f"range_{unit}": _sig(s.range_si / conv),
                "bits": s.bits,
                f"lsb_{unit}": _sig(s.lsb_si / conv), "bandwidth_hz": round(s.bandwidth_hz, 3),
                "filter_order": s.filter_order,
                f"noise_{noise}_per_rthz": _sig(s.noise_density_si / n_conv),
                f"bias_sd_{bias}": _sig(s.bias_sd_si / b_conv),
            }
            if s.bias_xyz_si is not None:
                out[k][f"bias_xyz_{bias}"] = [_sig(b / b_conv) for b in s.bias_xyz_si]
            if s.scale_xyz is not None:
                out[k]["scale_xyz"] = list(s.scale_xyz)
            if s.g_sensitivity_xyz_si is not None:
                out[k]["g_sensitivity_xyz_dps_per_g"] = [_sig(x / DEG * STANDARD_GRAVITY)
                                                         for x in s.g_sensitivity_xyz_si]
        out["timing"] = {"clock_ppm": self.timing.clock_ppm, "clock_tolerance_ppm": self.timing.clock_tolerance_ppm,
                         "jitter_us": self.timing.jitter_s * 1e6, "drop_rate": self.timing.drop_rate}
        return out


def _sig(x: float) -> float:
    """``x`` to 10 significant digits: 2000.0000000000002 (a unit converted there and back) prints 2000."""
    return float(f"{x:.10g}")


# ------------------------------------------------------------------------------- file access
@dataclass(frozen=True)
class ProfileInfo:
    name: str
    kind: str
    path: Path
    title: str


def _index() -> dict[str, Path]:
    """Each profile name and the file it loads from: the first found ($IMUFORGE_PROFILES first, then the
    built-in ones; within a folder in sorted path order)."""
    return {name: paths[0] for name, paths in _files_by_name().items()}


def shadowed_profiles() -> dict[str, list[Path]]:
    """Names found in several files: name → its files, the one used first (the others are never loaded)."""
    return {name: paths for name, paths in _files_by_name().items() if len(paths) > 1}


def _files_by_name() -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    seen: set[Path] = set()
    for d in profile_dirs():
        for p in sorted(d.rglob("*.toml")):  # user folders may be flat or nested
            if p.resolve() not in seen:  # a folder named twice (or inside another) is one file
                seen.add(p.resolve())
                found.setdefault(p.stem, []).append(p)
    return found


def list_profiles() -> list[ProfileInfo]:
    """All profiles found, devices first, then chips."""
    out = []
    for name, path in _index().items():
        doc = _read_toml(path)
        kind = doc.get("kind", "?")
        title = doc.get("product") or doc.get("part") or name
        out.append(ProfileInfo(name, kind, path, str(title)))
    return sorted(out, key=lambda i: (i.kind != "device", i.name))


def _read_toml(path: Path) -> dict[str, Any]:
    return _read_toml_cached(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=256)
def _read_toml_cached(path: str, _mtime: int) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        kind = Path(path).suffix.lower()
        other = (f" (a profile is a TOML file, not {kind})" if kind in (".json", ".yaml", ".yml", ".xml")
                 else "")
        raise ValidationError(f"invalid TOML{other}: {exc}", source=path,
                              allowed="a TOML profile as docs/PROFILES.md describes") from None
    except UnicodeDecodeError:  # saved as UTF-16 (Windows editors) or another code page: TOML is UTF-8
        raise ValidationError("not UTF-8 text", source=path,
                              allowed="a UTF-8 TOML profile (save it as UTF-8)") from None


def _resolve(name_or_path: str | os.PathLike) -> Path:
    if not isinstance(name_or_path, (str, os.PathLike)):  # None, a number: a TypeError from pathlib before
        raise ValidationError(f"profile {shorten(name_or_path)} is neither a name nor a path",
                              allowed="a profile's name (imuforge profiles list), its .toml file, or a "
                                      "HardwareProfile")
    p = Path(name_or_path)
    idx = _index()  # one walk of the profile folders per call
    bare = isinstance(name_or_path, str) and not any(c in name_or_path for c in "/\\") and p.suffix != ".toml"
    if bare and name_or_path in idx:  # a profile's name, whatever stands of that name in this folder
        return idx[name_or_path]
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            raise ValidationError(f"profile file {p} does not exist",
                                  allowed="a profile's name (imuforge profiles list) or an existing .toml "
                                          "file")
        if p.is_dir():
            raise ValidationError(f"{p} is a folder, not a profile file",
                                  allowed="a profile's name (imuforge profiles list) or its .toml file; a "
                                          "folder of profiles goes in $IMUFORGE_PROFILES")
        return p
    if str(name_or_path) not in idx:
        import difflib

        typed = str(name_or_path).lower()
        # the names it begins ("nano33": both boards, where the closest alone named one) or nearly begins
        # ("nano34"), then the closest
        begun = [k for k in idx if k.lower().startswith(typed)
                 or difflib.SequenceMatcher(None, typed, k.lower()[:len(typed)]).ratio() >= 0.8
                 ] if len(typed) >= 3 else []
        close = list(dict.fromkeys(begun + difflib.get_close_matches(str(name_or_path), list(idx), n=5,
                                                                      cutoff=0.5)))[:5]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        missing = [str(d) for d in profile_dirs()[:-1] if not d.is_dir()]  # a mistyped $IMUFORGE_PROFILES
        if missing:
            hint += f" ($IMUFORGE_PROFILES names {', '.join(missing)}, which is not a folder)"
        raise ValidationError(f"unknown profile {str(name_or_path)!r}{hint}",
                              allowed=", ".join(sorted(idx)) or "(no profiles found)")
    return idx[str(name_or_path)]


# --------------------------------------------------------------------------------- validation
def _num(doc: dict, key: str, src: str, *, minimum: float = 0.0, strict: bool = False) -> float | None:
    if key not in doc:
        return None
    v = doc[key]
    bound = f"{'>' if strict else '>='} {minimum:g}"
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValidationError(f"{key} must be a finite number, got {v!r}", source=src,
                              allowed=f"a number {bound}" if minimum > -math.inf else "a finite number")
    if v < minimum or (strict and v == minimum):
        raise ValidationError(f"{key} must be {bound}, got {v!r}", source=src, allowed=f"a number {bound}")
    return float(v)


def _table(doc: dict, key: str, src: str) -> dict:
    """``doc[key]`` as a TOML table (``{}`` when absent); anything else is refused, naming the section."""
    v = doc.get(key, {})
    if not isinstance(v, dict):
        raise ValidationError(f"{key} must be a table [{key}], got {v!r}", source=src,
                              allowed=f"a [{key}] section with key = value lines")
    return v


def _check_has_name(doc: dict, path: Path) -> None:
    """A profile names itself (a text); that it is its file's name is checked last (:func:`_check_name`)."""
    if not isinstance(doc.get("name"), str):
        raise ValidationError("no name = '…' line" if "name" not in doc else
                              f"name must be a text, got {doc['name']!r}", source=f"{path}: name",
                              allowed=f"name = {path.stem!r} (the file name without .toml)")


def _check_name(doc: dict, path: Path) -> None:
    """A profile is found by its file name, so ``name`` must equal the file stem."""
    if doc.get("name") != path.stem:
        raise ValidationError(f"name {doc.get('name')!r} differs from the file name: name must equal the file "
                              f"name without .toml", source=f"{path}: name", allowed=repr(path.stem))


def _check_keys(doc: dict, allowed: set[str], src: str) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise ValidationError(f"unknown key(s) {', '.join(unknown)}", source=src, allowed=", ".join(sorted(allowed)))


def _num_list(doc: dict, key: str, src: str) -> list[float] | None:
    if key not in doc:
        return None
    v = doc[key]
    if not isinstance(v, list) or not v:
        raise ValidationError(f"{key} must be a non-empty list of numbers", source=src,
                              allowed=f"{key} = [n, …]: the values the chip offers")
    for x in v:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not (math.isfinite(x) and x > 0):
            raise ValidationError(f"{key} must hold positive numbers, got {x!r}", source=src)
    return [float(x) for x in v]


#: the span (lo, hi, whether lo itself is refused) a chip figure must lie in: wide enough for any MEMS part
#: and any fitted device (datasheets: tolerances of 0.5–10 %, offsets of mg to 100 mg and of 0.5–40 dps,
#: noise of tens to hundreds of µg/√Hz), narrow enough to catch a unit or a digit gone wrong; the others
#: (ODRs, ranges, bits …) have their own rules
FIGURE_LIMITS: dict[str, tuple[float, float, bool]] = {
    "bias_tau_s": (0.0, 1e7, True), "sensitivity_tolerance_pct": (0.0, 30.0, False),
    "cross_axis_pct": (0.0, 20.0, False), "odr_tolerance_pct": (0.0, 20.0, False),
    "noise_ug_per_rthz": (0.0, 1e5, False), "noise_mdps_per_rthz": (0.0, 1e4, False),
    "noise_ut_rms": (0.0, 1e3, False), "noise_ut_per_rthz": (0.0, 1e3, False),
    "zero_g_offset_mg": (0.0, 2000.0, False), "bias_instability_ug": (0.0, 1e5, False),
    "zero_rate_offset_dps": (0.0, 500.0, False), "bias_instability_dph": (0.0, 1e5, False),
    "g_sensitivity_dps_per_g": (0.0, 10.0, False), "zero_offset_ut": (0.0, 1e3, False),
    "odr_min_hz": (0.0, 1e5, True), "odr_max_hz": (0.0, 1e5, True),
}
#: the largest clock error (ppm) a device may have: ±10 %, the widest internal oscillators' spread; beyond it
#: a rate is not a clock error but another ODR setting (``calibrate.fit._nominal_odr``, the emulator's
#: ``--clock-ppm``)
MAX_CLOCK_PPM = 1e5
#: the same for a device's [timing] (``clock_ppm`` may be negative: a slow clock); a jitter beyond 0.45 of a
#: sample period is clipped there when simulated (``simulate._recording``)
TIMING_LIMITS: dict[str, tuple[float, float, bool]] = {
    "clock_ppm": (-MAX_CLOCK_PPM, MAX_CLOCK_PPM, False), "clock_tolerance_ppm": (0.0, MAX_CLOCK_PPM, False),
    "jitter_us": (0.0, 1e5, False)}
#: a device's keys that hold text
DEVICE_TEXT_KEYS = ("product", "description", "notes", "url", "default_placement")


def _within(doc: dict, limits: dict[str, tuple[float, float, bool]], src: str) -> None:
    """Each of ``limits``' keys that ``doc`` sets is a finite number within its span, else
    :class:`ValidationError` naming the file, section and key and the span."""
    for key in sorted(limits.keys() & doc.keys()):
        lo, hi, strict = limits[key]
        v = doc[key]
        bad = isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
        if bad or v > hi or v < lo or (strict and v == lo):
            span = f"{'>' if strict else '>='} {lo:g} and <= {hi:g}"
            raise ValidationError(f"{key} = {v!r} is out of range", source=f"{src} {key}",
                                  allowed=f"a number {span}")


def _validate_chip_sensor(kind: str, sec: dict, src: str) -> None:
    """Check one sensor's figures (a chip file's section, or a chip merged with a device's overrides)."""
    _check_keys(sec, CHIP_KEYS[kind], src)
    ranges = _num_list(sec, RANGES_KEY[kind], src)
    if ranges is None:
        raise ValidationError(f"missing {RANGES_KEY[kind]}", source=src,
                              allowed=f"{RANGES_KEY[kind]} = [n, …]: the full-scale ranges the chip offers")
    if "bits" in sec:
        b = sec["bits"]
        if isinstance(b, bool) or not isinstance(b, int) or not 4 <= b <= 32:
            raise ValidationError(f"bits must be an integer in 4..32, got {b!r}", source=src)
    elif not (kind == "mag" and ("lsb_ut" in sec or "sensitivity_ut_per_lsb" in sec)):
        raise ValidationError("missing bits", source=src, allowed="bits (or lsb_ut for a magnetometer)")
    odrs = _num_list(sec, "odrs_hz", src)
    lo, hi = _num(sec, "odr_min_hz", src, strict=True), _num(sec, "odr_max_hz", src, strict=True)
    if odrs is None and (lo is None or hi is None):
        raise ValidationError("missing odrs_hz (or odr_min_hz and odr_max_hz)", source=src,
                              allowed="odrs_hz = [n, …] (the rates the chip offers), or odr_min_hz and "
                                      "odr_max_hz")
    if lo is not None and hi is not None and lo > hi:
        raise ValidationError(f"odr_min_hz {lo} > odr_max_hz {hi}", source=src,
                              allowed="odr_min_hz ≤ odr_max_hz (the chip's lowest and highest rate, Hz)")
    if not any(k in sec for k in NOISE_KEYS[kind]):
        raise ValidationError("missing a noise figure", source=src, allowed=" or ".join(NOISE_KEYS[kind]))
    for k, v in sec.items():
        if k in ("sources", "notes", "odrs_hz", "bandwidths_hz", RANGES_KEY[kind], "bits", *PER_RANGE_KEYS[kind]):
            continue
        _num(sec, k, src)
    _within(sec, FIGURE_LIMITS, src)
    _num_list(sec, "bandwidths_hz", src)
    for k in PER_RANGE_KEYS[kind]:
        vals = _num_list(sec, k, src)
        span = FIGURE_LIMITS.get(k.replace("_by_range", ""))  # a per-range noise: the noise figure's span
        if vals is not None and span is not None:
            for v in vals:
                _within({k: v}, {k: span}, src)
        if vals is not None and len(vals) != len(ranges):
            raise ValidationError(f"{k} needs one value per entry of {RANGES_KEY[kind]} ({len(ranges)}), "
                                  f"got {len(vals)}", source=src)
    if "bandwidth_odr_ratio" in sec and not 0 < sec["bandwidth_odr_ratio"] <= 0.5:
        raise ValidationError(f"bandwidth_odr_ratio must be in (0, 0.5], got {sec['bandwidth_odr_ratio']}",
                              source=src)
    if "filter_order" in sec and sec["filter_order"] not in (1, 2, 3, 4):
        raise ValidationError(f"filter_order must be 1..4, got {sec['filter_order']!r}", source=src)


def _validate_chip(doc: dict, path: Path) -> None:
    src = str(path)
    _check_keys(doc, CHIP_TOP_KEYS, src)
    _check_has_name(doc, path)
    if not any(k in doc for k in SENSOR_KINDS):
        raise ValidationError("a chip needs at least one of [accel], [gyro], [mag]", source=src)
    for kind in SENSOR_KINDS:
        if kind in doc:
            _validate_chip_sensor(kind, _table(doc, kind, src), f"{src}: [{kind}]")
    defaults = _table(doc, "defaults", src)
    _check_keys(defaults, CHIP_DEFAULT_KEYS, f"{src}: [defaults]")
    _check_chip_defaults(doc, defaults, f"{src}: [defaults]")
    for kind in SENSOR_KINDS:  # the values are checked first, then the sources (as in a device)
        if kind in doc:
            _chip_figure_sources(kind, doc[kind], src)
    _check_source_keys(src, "defaults", _table(defaults, "sources", f"{src}: [defaults]"),
                       _keys_set(defaults), "a choice [defaults] sets")
    _check_source_keys(src, "", _table(doc, "sources", src), _keys_set(doc) - {"name", "kind"},
                       "a key this chip sets (a figure's source goes in [<sensor>.sources])")
    _check_name(doc, path)  # last: a copied file being renamed still hears of its other errors first


def _source_of(*texts: object) -> str | None:
    """The first non-blank source text of ``texts`` (a blank one names no source and hides nothing)."""
    return next((t for t in texts if isinstance(t, str) and t.strip()), None)


def _keys_set(table: dict) -> set[str]:
    """The keys a section sets that may have a source: its values, not its tables (``sources``, sections)."""
    return {k for k, v in table.items() if not isinstance(v, dict) and k != "notes"}


def _check_source_keys(src: str, table: str, sources: dict, sourced: set[str], what: str) -> None:
    """Every entry of file ``src``'s sources table ``[table.sources]`` (``[sources]`` when ``table`` is empty)
    names one of ``sourced``, the keys there that may have a source (``what`` says which): a misspelt or
    stray entry is refused, not kept unread beside the figure it was meant for."""
    unknown = sorted(set(sources) - sourced)
    if unknown:
        name = f"[{table}.sources]" if table else "[sources]"
        raise ValidationError(f"source(s) for {', '.join(unknown)}, not {what}", source=f"{src}: {name}",
                              allowed=", ".join(sorted(sourced)) or "no entries")


def _check_chip_defaults(doc: dict, defaults: dict, where: str) -> None:
    """A chip's ``[defaults]`` choose what its sensors can do: an ODR or range none offers is refused as the
    ``[defaults]`` key it is (it was said as ``[accel]``'s, a section without it)."""
    for key, kinds in (("odr_hz", ("accel", "gyro")), ("mag_odr_hz", ("mag",))):
        odr = defaults.get(key)
        for kind in (k for k in kinds if k in doc and odr is not None):
            value = _num(defaults, key, where, strict=True)
            if not _supports_odr(doc[kind], value):
                raise ValidationError(f"{key} = {value:g} is not an ODR the chip's [{kind}] can do",
                                      source=where, allowed=_odr_allowed(doc[kind]))
    for kind in (k for k in SENSOR_KINDS if k in doc):
        rk, rks = RANGE_KEY[kind], RANGES_KEY[kind]
        if rk in defaults and rks in doc[kind]:
            value = _num(defaults, rk, where, strict=True)
            if not any(abs(value - r) <= 1e-9 * max(1.0, r) for r in doc[kind][rks]):
                raise ValidationError(f"{rk} = {value:g} is not a range the chip's [{kind}] offers",
                                      source=where, allowed=", ".join(f"{r:g}" for r in doc[kind][rks]))


def _chip_figure_sources(kind: str, sec: dict, src: str) -> None:
    """Every figure of chip file ``src``'s ``[kind]`` section (:data:`CHIP_FIGURE_KEYS`) names its source in
    ``[kind.sources]`` (docs/PROFILES.md), else :class:`ValidationError` naming the file, section and key;
    ``[kind.sources]`` names nothing else (:func:`_check_source_keys`)."""
    where, figures = f"{src}: [{kind}]", CHIP_FIGURE_KEYS[kind] & set(sec)
    sources = _table(sec, "sources", where)
    _check_source_keys(src, kind, sources, figures, f"a figure [{kind}] sets")
    for key in sorted(figures):
        if _source_of(sources.get(key)) is None:
            raise ValidationError(f"chip figure {shorten(sec[key])} names no source (every figure in a chip "
                                  "needs one)", source=f"{where} {key}",
                                  allowed=f'[{kind}.sources] {key} = "datasheet and table (or unverified: …, '
                                          'or assumption: … and why)"')


def _odr_choices(profile: HardwareProfile) -> str | None:
    """``profile.settable_odrs()`` as text when they are all there is (no sensor takes a span), else None."""
    if any(s.odr_span_hz for k, s in profile.sensors.items() if k in ("accel", "gyro")):
        return None
    return ", ".join(f"{o:g}" for o in profile.settable_odrs()) + " Hz"


def _odr_span(sec: dict) -> tuple[float, float] | None:
    lo, hi = sec.get("odr_min_hz"), sec.get("odr_max_hz")
    return (float(lo), float(hi)) if lo is not None and hi is not None else None


def _odr_ok(odrs, span: tuple[float, float] | None, odr: float) -> bool:
    """Whether ``odr`` is one of ``odrs`` or inside ``span``: the one rule for an ODR a chip can do."""
    if any(abs(odr - o) <= 1e-6 * o for o in odrs):
        return True
    return span is not None and span[0] - 1e-9 <= odr <= span[1] + 1e-9


def _supports_odr(sec: dict, odr: float) -> bool:
    return _odr_ok(sec.get("odrs_hz", ()), _odr_span(sec), odr)


def _odr_allowed(sec: dict) -> str:
    parts = []
    if "odrs_hz" in sec:
        parts.append(", ".join(f"{o:g}" for o in sec["odrs_hz"]))
    if "odr_min_hz" in sec:
        parts.append(f"any in [{sec['odr_min_hz']:g}, {sec['odr_max_hz']:g}]")
    return "; ".join(parts)


# ------------------------------------------------------------------------------- building
def _sensor_model(kind: str, chip_name: str, chip_sec: dict, cfg: dict, src: str, *,
                  odr_given: bool = False) -> SensorModel:
    """Merge chip figures with a device configuration and convert to SI. ``odr_given``: the ODR is the
    caller's (``--odr``), not the file's: a ``bandwidth_hz`` of the file above its Nyquist is then clamped to
    it (what the filter can pass at that rate), not refused as a setting of the file."""
    where = f"{src}: [{kind}]"
    cal = _device_calibration(kind, cfg, where)
    sec = {k: v for k, v in chip_sec.items() if k != "sources"}
    sec.update({k: v for k, v in cfg.items() if k in CHIP_KEYS[kind] and k != "sources"})
    if any(k in CHIP_KEYS[kind] and k != "sources" for k in cfg):
        # the device overrides chip figures: they obey the same rules as in a chip file
        _validate_chip_sensor(kind, sec, where)
    sources = dict(_table(chip_sec, "sources", where))
    sources.update(_table(cfg, "sources", where))
    odr = cfg.get("odr_hz")
    if odr is None:
        raise ValidationError(f"[{kind}] needs odr_hz", source=src, allowed=_odr_allowed(sec))
    odr = _num(cfg, "odr_hz", f"{src}: [{kind}]", strict=True)
    if not _supports_odr(sec, odr):
        raise ValidationError(f"[{kind}] odr_hz = {odr:g} is not an ODR chip {chip_name!r} can do",
                              source=src, allowed=_odr_allowed(sec))
    rk, rks = RANGE_KEY[kind], RANGES_KEY[kind]
    rng = _num(cfg, rk, where, strict=True) if rk in cfg else (sec[rks][0] if len(sec[rks]) == 1 else None)
    if rng is None:
        raise ValidationError(f"[{kind}] needs {rk}", source=src, allowed=", ".join(f"{r:g}" for r in sec[rks]))
    if not any(abs(rng - r) <= 1e-9 * max(1.0, r) for r in sec[rks]):
        raise ValidationError(f"[{kind}] {rk} = {rng:g} is not a range chip {chip_name!r} offers",
                              source=src, allowed=", ".join(f"{r:g}" for r in sec[rks]))
    to_si = {"accel": STANDARD_GRAVITY, "gyro": DEG, "mag": 1.0}[kind]
    range_si = float(rng) * to_si
    bandwidth = _bandwidth(kind, chip_name, sec, cfg, src, odr, odr_given)
    order = int(sec.get("filter_order", 2))
    i_rng = min(range(len(sec[rks])), key=lambda i: abs(sec[rks][i] - rng))
    skey, sunit = SENSITIVITY_KEY[kind]
    sensitivity_si = float(sec[skey][i_rng]) * sunit * to_si if skey in sec else 0.0
    if kind == "mag" and not sensitivity_si and "lsb_ut" in sec:  # the stated resolution is the LSB
        sensitivity_si = float(sec["lsb_ut"])
    if "bits" in sec:
        bits = int(sec["bits"])
    else:  # magnetometer given by resolution: the smallest word that holds ±range
        bits = int(math.ceil(math.log2(2.0 * range_si / sensitivity_si)))

    nd, bias_sd, bias_inst, g_sens = _error_figures(kind, sec, i_rng, bandwidth, order, odr)
    return SensorModel(
        kind=kind, chip=chip_name, odr_hz=odr, range_si=range_si, bits=bits, noise_density_si=nd,
        bandwidth_hz=bandwidth, filter_order=order, bias_sd_si=bias_sd, bias_instability_si=bias_inst,
        bias_tau_s=float(sec.get("bias_tau_s", 100.0)),
        scale_sd=sec.get("sensitivity_tolerance_pct", 0.0) / 100,
        cross_axis_sd=sec.get("cross_axis_pct", 0.0) / 100, g_sensitivity_si=g_sens, sources=sources,
        sensitivity_si=sensitivity_si, odrs_hz=tuple(float(o) for o in sec.get("odrs_hz", ())),
        odr_span_hz=_odr_span(sec), **cal,
    )


def _bandwidth(kind: str, chip_name: str, sec: dict, cfg: dict, src: str, odr: float,
               odr_given: bool) -> float:
    """The filter bandwidth (Hz) at ``odr``: the configured ``bandwidth_hz`` (a setting of the chip's, at most
    Nyquist: above it refused in the file's own ODR, clamped at a caller's ``--odr``), else the widest
    selectable setting below Nyquist, else the chip's bandwidth / ODR ratio."""
    ratio = float(sec.get("bandwidth_odr_ratio", 0.5))
    bandwidth = cfg.get("bandwidth_hz")
    if bandwidth is not None:
        bandwidth = _num(cfg, "bandwidth_hz", f"{src}: [{kind}]", strict=True)
        if "bandwidths_hz" in sec and not any(abs(bandwidth - b) < 1e-9 for b in sec["bandwidths_hz"]):
            raise ValidationError(f"[{kind}] bandwidth_hz = {bandwidth:g} is not a filter setting of {chip_name!r}",
                                  source=src, allowed=", ".join(f"{b:g}" for b in sec["bandwidths_hz"]))
    elif "bandwidths_hz" in sec:  # a selectable filter: the widest setting below Nyquist
        below = [b for b in sec["bandwidths_hz"] if b <= 0.5 * odr]
        bandwidth = max(below) if below else min(sec["bandwidths_hz"])
    else:
        bandwidth = ratio * odr
    if "bandwidth_hz" in cfg and bandwidth > 0.5 * odr * (1 + 1e-9) and not odr_given:  # the file's own
        raise ValidationError(f"[{kind}] bandwidth_hz = {bandwidth:g} lies above the Nyquist frequency of "
                              f"odr_hz = {odr:g}", source=f"{src}: [{kind}] bandwidth_hz",
                              allowed=f"at most {0.5 * odr:g} Hz (half the ODR)")
    return min(bandwidth, 0.5 * odr)


def _error_figures(kind: str, sec: dict, i_rng: int, bandwidth: float, order: int,
                   odr: float) -> tuple[float, float, float, float]:
    """In SI: noise density, bias spread, bias instability and g-sensitivity (gyroscope) of a sensor at
    its ``i_rng``-th range (a magnetometer given by its RMS noise: the density over the filter's ENBW)."""
    if kind == "accel":
        noise_ug = sec["noise_by_range_ug_per_rthz"][i_rng] if "noise_by_range_ug_per_rthz" in sec \
            else sec["noise_ug_per_rthz"]
        nd = noise_ug * 1e-6 * STANDARD_GRAVITY
        bias_sd = sec.get("zero_g_offset_mg", 0.0) * 1e-3 * STANDARD_GRAVITY
        bias_inst = sec.get("bias_instability_ug", 0.0) * 1e-6 * STANDARD_GRAVITY
        g_sens = 0.0
    elif kind == "gyro":
        nd = sec["noise_mdps_per_rthz"] * 1e-3 * DEG
        bias_sd = sec.get("zero_rate_offset_dps", 0.0) * DEG
        bias_inst = sec.get("bias_instability_dph", 0.0) * DEG / 3600.0
        g_sens = sec.get("g_sensitivity_dps_per_g", 0.0) * DEG / STANDARD_GRAVITY
    else:
        if "noise_ut_per_rthz" in sec:
            nd = float(sec["noise_ut_per_rthz"])
        else:  # rms at the configured ODR over its noise bandwidth → density
            nd = float(sec["noise_ut_rms"]) / math.sqrt(noise_bandwidth_hz(bandwidth, order, odr))
        bias_sd = float(sec.get("zero_offset_ut", 0.0))
        bias_inst = 0.0
        g_sens = 0.0
    return nd, bias_sd, bias_inst, g_sens


def _xyz(doc: dict, key: str, src: str) -> tuple[float, float, float] | None:
    """A per-axis list ``[x, y, z]`` of three finite numbers, or None when absent."""
    if key not in doc:
        return None
    v = doc[key]
    if not isinstance(v, list) or len(v) != 3 or any(
            isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) for x in v):
        raise ValidationError(f"{key} must be a list of 3 finite numbers [x, y, z], got {v!r}", source=src)
    return (float(v[0]), float(v[1]), float(v[2]))


def _device_calibration(kind: str, cfg: dict, src: str) -> dict[str, tuple[float, float, float] | None]:
    """The device's own per-axis bias / scale / g-sensitivity (docs/PROFILES.md), converted to SI."""
    out: dict[str, tuple[float, float, float] | None] = {}
    for key, to_si in DEVICE_CAL_KEYS[kind].items():
        v = _xyz(cfg, key, src)
        if v is None:
            continue
        if key == "scale_xyz":
            lo, hi = SCALE_XYZ_LIMITS
            if not all(lo <= x <= hi for x in v):
                raise ValidationError(f"scale_xyz must hold scale factors (1 = exact), got {list(v)}", source=src,
                                      allowed=f"3 numbers in [{lo:g}, {hi:g}]")
            out["scale_xyz"] = v
        elif max(abs(x) for x in v) > DEVICE_CAL_ABS_MAX[key]:
            raise ValidationError(f"{key} = {list(v)} is out of range", source=f"{src} {key}",
                                  allowed=f"3 numbers within ±{DEVICE_CAL_ABS_MAX[key]:g}")
        elif key.startswith("bias_xyz"):
            out["bias_xyz_si"] = tuple(x * to_si for x in v)
        else:
            out["g_sensitivity_xyz_si"] = tuple(x * to_si for x in v)
    return out


def noise_bandwidth_hz(bandwidth_hz: float, order: int, odr_hz: float) -> float:
    """Equivalent noise bandwidth of an order-n Butterworth low-pass at ``bandwidth_hz`` (Hz).

    ENBW = f_c · (π / 2n) / sin(π / 2n); capped at the Nyquist frequency ``odr_hz / 2``.
    """
    x = math.pi / (2 * order)
    return min(bandwidth_hz * x / math.sin(x), 0.5 * odr_hz)


def chip_names() -> list[str]:
    """Names of every chip profile found (for error messages; unreadable files are left out)."""
    names = []
    for name, path in _index().items():
        try:
            if _read_toml(path).get("kind") == "chip":
                names.append(name)
        except ValidationError:
            continue
    return sorted(names)


def chip_ranges(chip: str, kind: str) -> tuple[float, ...]:
    """The full scales chip ``chip`` offers for sensor ``kind`` ("accel" g, "gyro" dps, "mag" µT)."""
    doc, _ = _load_chip(chip, f"chip {chip!r}")
    if kind not in doc:
        raise ValidationError(f"chip {chip!r} has no {kind}",
                              allowed=", ".join(k for k in SENSOR_KINDS if k in doc))
    return tuple(float(r) for r in doc[kind][RANGES_KEY[kind]])


def _load_chip(name: object, where: str, near: Path | None = None) -> tuple[dict, Path]:
    """The chip a device section names; ``where`` (file and section) is named in every refusal. ``near``: the
    folder of a device file given by its path, whose own ``<name>.toml`` comes before the profile folders'
    (a device and its chip kept side by side, outside ``$IMUFORGE_PROFILES``)."""
    if not isinstance(name, str) or not name:
        raise ValidationError(f"chip must be a chip name in quotes, got {name!r}", source=f"{where} chip",
                              allowed=", ".join(chip_names()))
    beside = None if near is None else near / f"{name}.toml"
    if beside is not None and beside.is_file() and _read_toml(beside).get("kind") == "chip":
        path = beside  # a chip of one's own beside the device (not the device itself, named like its chip)
    else:
        path = _index().get(name)
    doc = _read_toml(path) if path is not None else None
    if doc is None or doc.get("kind") != "chip":
        import difflib

        chips = chip_names()
        what = f"{name!r} is a {doc.get('kind')!r} profile, not a chip" if doc is not None else f"unknown chip {name!r}"
        close = difflib.get_close_matches(name, chips, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        if doc is None and near is not None:  # where a chip of one's own would have been found
            hint += (f" (a chip of your own: {name}.toml beside the device file, or its folder on "
                     "$IMUFORGE_PROFILES)")
        raise ValidationError(f"{what}{hint}", source=f"{where} chip", allowed=", ".join(chips) or "(no chips found)")
    _validate_chip(doc, path)
    return doc, path


def load_profile(name_or_path: str | os.PathLike, *, odr_hz: float | None = None, range_g: float | None = None,
                 range_dps: float | None = None, placement: str | None = None) -> HardwareProfile:
    """Load a device or chip profile by name or path, optionally overriding its configuration.

    Overrides are checked against the chip like the file's own values: an ODR or range the chip
    cannot do is refused with the allowed values.
    """
    path = _resolve(name_or_path)
    doc = _read_toml(path)
    src = str(path)
    kind = doc.get("kind")
    if kind == "chip":
        _validate_chip(doc, path)
        defaults = doc.get("defaults", {})
        device = {"name": doc["name"], "kind": "device",
                  "description": f"{doc.get('vendor', '')} {doc.get('part', doc['name'])} chip, default configuration".strip(),
                  "default_placement": defaults.get("placement", "wrist_left")}
        for k in SENSOR_KINDS:
            if k in doc:
                odr = defaults.get("mag_odr_hz" if k == "mag" else "odr_hz")
                if odr is None:
                    odr = doc[k].get("odrs_hz", [None])[-1] if k == "mag" else 100.0
                device[k] = {"chip": doc["name"], "odr_hz": odr}
                rk = RANGE_KEY[k]
                if rk in defaults:
                    device[k][rk] = defaults[rk]
        chips = {doc["name"]: doc}
    elif kind == "device":
        device = doc
        _check_keys(doc, DEVICE_TOP_KEYS, src)
        _check_has_name(doc, path)
        chips = {}
    else:
        raise ValidationError("no kind given" if kind is None else f"kind = {kind!r}", source=f"{src}: kind",
                              allowed="kind = 'chip' or kind = 'device'")

    overrides = {"accel": {}, "gyro": {}}
    if odr_hz is not None:
        overrides["accel"]["odr_hz"] = overrides["gyro"]["odr_hz"] = odr_hz
    if range_g is not None:
        overrides["accel"]["range_g"] = range_g
    if range_dps is not None:
        overrides["gyro"]["range_dps"] = range_dps

    profile = _build_profile(device, str(kind), chips, src, path, overrides, placement)
    if kind == "device":  # after every other check: the first step of making one's own profile is a copy
        _check_name(doc, path)  # (metamotions.toml as mine.toml), whose other errors it hid until renamed
    return profile


def _check_overrides_apply(overrides: dict[str, dict[str, Any]], sensors: dict, name: str) -> None:
    """Refuse a flag for a sensor the profile does not have (it would be ignored without a word):
    ``--range-g`` without an accelerometer, ``--range-dps`` without a gyroscope, ``--odr`` with neither."""
    noun = {"accel": "accelerometer", "gyro": "gyroscope", "mag": "magnetometer"}
    has = ", ".join(noun[k] for k in sensors)
    for k in ("accel", "gyro"):
        if RANGE_KEY[k] in overrides.get(k, {}) and k not in sensors:
            raise ValidationError(f"{OVERRIDE_FLAGS[RANGE_KEY[k]]}: profile {name!r} has no {noun[k]}",
                                  allowed=f"the flags of its sensors ({has})")
    if any("odr_hz" in o for o in overrides.values()) and not {"accel", "gyro"} & set(sensors):
        raise ValidationError(f"--odr: profile {name!r} has neither an accelerometer nor a gyroscope",
                              allowed=f"a profile with either (this one: {has})")


def profile_from_document(doc: dict[str, Any], *, source: str = "<in-memory profile>") -> HardwareProfile:
    """A device profile from its TOML document already in memory (e.g. a fitted device), validated
    like a file (keys, chips, figures) except for the file-name rule; ``path`` is ``None``."""
    if doc.get("kind") != "device":
        raise ValidationError(f"kind = {doc.get('kind')!r}", source=f"{source}: kind", allowed="'device'")
    _check_keys(doc, DEVICE_TOP_KEYS, source)
    return _build_profile(doc, "device", {}, source, None, {"accel": {}, "gyro": {}}, None)


def _build_profile(device: dict[str, Any], kind: str, chips: dict[str, Any], src: str, path: Path | None,
                   overrides: dict[str, dict[str, Any]], placement: str | None) -> HardwareProfile:
    """Sensors, timing and placement of a device document (its chips loaded by name as needed)."""
    sensors, figures, notes = _device_sensors(device, kind, chips, src, path, overrides, placement)
    if not sensors:
        raise ValidationError("profile configures no sensor", source=src, allowed="[accel], [gyro], [mag]")
    _check_overrides_apply(overrides, sensors, device["name"])
    timing = _device_timing(device, sensors, figures, chips, src, notes)
    placement_name = placement or device.get("default_placement", "wrist_left")
    from imuforge.sensors.placement import get_placement

    try:
        get_placement(placement_name)  # validates the name
    except ValidationError as exc:
        if placement:  # the caller's (--placement), which names itself
            raise
        field = "[defaults] placement" if kind == "chip" else "default_placement"
        raise ValidationError(exc.what, source=f"{src}: {field}", allowed=exc.allowed) from None
    return HardwareProfile(name=str(device["name"]), kind=kind,
                           description=str(device.get("description", "")), sensors=sensors, timing=timing,
                           default_placement=placement_name, path=path,
                           sources=dict(device.get("sources", {})), notes=tuple(notes))


def _device_sensors(device: dict[str, Any], kind: str, chips: dict[str, Any], src: str, path: Path | None,
                    overrides: dict[str, dict[str, Any]], placement: str | None
                    ) -> tuple[dict[str, SensorModel], dict[str, dict[str, Any]], list[str]]:
    """The sensors a device document configures (its chips loaded by name into ``chips`` as needed), the
    figures its own file sets per sensor, and notes on what the overrides (``--odr`` …) changed; a value an
    override makes invalid is refused naming the flag."""
    sensors: dict[str, SensorModel] = {}
    figures: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for k in SENSOR_KINDS:
        if k not in device:
            continue
        cfg = dict(_table(device, k, src))
        for other, key in RANGE_KEY.items():  # another sensor's range here would be kept unread
            if other != k and key in cfg:
                raise ValidationError(f"{key} is the {other} range; it belongs in [{other}]",
                                      source=f"{src}: [{k}]", allowed=f"{RANGE_KEY[k]} in [{k}]")
        _check_keys(cfg, DEVICE_SENSOR_KEYS[k], f"{src}: [{k}]")
        chip_name = cfg.get("chip")
        if chip_name is None:
            raise ValidationError(f"[{k}] needs chip", source=src, allowed=", ".join(chip_names()))
        if not isinstance(chip_name, str) or chip_name not in chips:
            near = None if path is None else path.parent
            chips[chip_name] = _load_chip(chip_name, f"{src}: [{k}]", near)[0]
        chip = chips[chip_name]
        if k not in chip:
            raise ValidationError(f"[{k}] chip {chip_name!r} has no {k}", source=src,
                                  allowed=", ".join(s for s in SENSOR_KINDS if s in chip))
        figures[k] = {key: cfg[key] for key in DEVICE_FIGURE_KEYS[k] & set(cfg)}  # the file's, not the flags'
        cfg.update(overrides.get(k, {}))
        try:
            sensors[k] = _sensor_model(k, chip_name, chip[k], cfg, src,
                                       odr_given="odr_hz" in overrides.get(k, {}))
            given = cfg.get("bandwidth_hz")
            if "odr_hz" in overrides.get(k, {}) and given is not None and given > sensors[k].bandwidth_hz:
                notes.append(f"--odr {sensors[k].odr_hz:g}: the [{k}] filter of {device['name']!r} "
                             f"(bandwidth_hz = {given:g}) passes at most the Nyquist frequency at that rate, "
                             f"{sensors[k].bandwidth_hz:g} Hz")
        except ValidationError as exc:
            # a value given as an override is the caller's, not the file's: say so
            flag = next((OVERRIDE_FLAGS[key] for key in overrides.get(k, {}) if key in exc.what), None)
            if flag is None:
                raise
            allowed, what = exc.allowed, exc.what
            if flag == "--odr":  # both sensors move: the ODRs both can do (what an emulated device offers)
                plain = _build_profile(device, kind, chips, src, path, {"accel": {}, "gyro": {}}, placement)
                both = _odr_choices(plain)
                if both:  # said as what both sensors share, not as one sensor's list
                    odr = overrides[k]["odr_hz"]
                    what = f"{odr:g} Hz is not a rate its accelerometer and gyroscope share"
                    allowed = both
            raise ValidationError(what, source=f"{flag} (profile {device['name']!r})",
                                  allowed=allowed) from None
    return sensors, figures, notes


def _device_timing(device: dict[str, Any], sensors: dict[str, SensorModel],
                   figures: dict[str, dict[str, Any]], chips: dict[str, Any], src: str,
                   notes: list[str]) -> Timing:
    """The device's [timing] (checked; the clock tolerance from the main sensor's chip unless given), its
    sources tables checked and each sensor's figure sources merged into ``sensors``; a note appended to
    ``notes`` where the gyroscope runs faster than the accelerometer."""
    t = _table(device, "timing", src)
    _check_keys(t, TIMING_KEYS, f"{src}: [timing]")
    for key in ("clock_tolerance_ppm", "jitter_us", "drop_rate"):
        _num(t, key, f"{src}: [timing]")
    clock_ppm = _num(t, "clock_ppm", f"{src}: [timing]", minimum=-math.inf) or 0.0  # its span: TIMING_LIMITS
    _within(t, TIMING_LIMITS, f"{src}: [timing]")
    if t.get("drop_rate", 0.0) >= 1:
        raise ValidationError(f"drop_rate must be < 1, got {t['drop_rate']}", source=f"{src}: [timing]",
                              allowed="0 ≤ drop_rate < 1 (the share of samples a device drops)")
    for key in DEVICE_TEXT_KEYS:
        if key in device and not isinstance(device[key], str):
            raise ValidationError(f"{key} must be text in quotes, got {device[key]!r}",
                                  source=f"{src}: {key}", allowed=f'{key} = "…"')
    if "clock_tolerance_ppm" in t:
        clock_tol = float(t["clock_tolerance_ppm"])
    else:  # fall back to the oscillator tolerance of the main sensor's chip
        main = next(iter(sensors.values()))
        clock_tol = float(chips[main.chip][main.kind].get("odr_tolerance_pct", 0.0)) * 1e4
    # checked once the values are: a figure's own source replaces the chip's in the sensor's sources
    _device_source_keys(device, t, {k: chips[s.chip][k] for k, s in sensors.items()}, src)
    for k, s in sensors.items():
        own = _figure_sources(k, figures[k], device[k], s.chip, chips[s.chip][k], device, src)
        sensors[k] = replace(s, sources={**s.sources, **own})
    if "accel" in sensors and "gyro" in sensors and sensors["gyro"].odr_hz > sensors["accel"].odr_hz:
        acc_hz, gyro = sensors["accel"].odr_hz, sensors["gyro"]
        aliases = (f" (its {gyro.bandwidth_hz:g} Hz band above {acc_hz / 2:g} Hz aliases)"
                   if gyro.bandwidth_hz > acc_hz / 2 else "")
        notes.append(f"the gyroscope's {gyro.odr_hz:g} Hz is faster than the accelerometer's {acc_hz:g} Hz, "
                     "the recording's rate: each recorded sample holds the gyroscope's latest reading, as a "
                     f"host reading both registers would{aliases}")
    elif "accel" in sensors and "gyro" in sensors and sensors["gyro"].odr_hz < sensors["accel"].odr_hz:
        acc_hz, gyro_hz = sensors["accel"].odr_hz, sensors["gyro"].odr_hz
        notes.append(f"the gyroscope's {gyro_hz:g} Hz is slower than the accelerometer's {acc_hz:g} Hz, the "
                     "recording's rate: each gyroscope reading is held until its next one (≈ "
                     f"{1 - gyro_hz / acc_hz:.0%} of the recorded gyroscope samples repeat the one before), "
                     "as a host reading both registers would")
    return Timing(clock_ppm=clock_ppm, clock_tolerance_ppm=clock_tol,
                  jitter_s=float(t.get("jitter_us", 0.0)) * 1e-6, drop_rate=float(t.get("drop_rate", 0.0)))


def _device_source_keys(device: dict, timing: dict, chip_secs: dict[str, dict], src: str) -> None:
    """A device's sources tables ([<sensor>.sources], [timing.sources], [sources]) name only keys that may
    have a source (:func:`_check_source_keys`): a key the section sets, or a figure of the section's chip."""
    sourced = {k: _keys_set(device[k]) | (CHIP_FIGURE_KEYS[k] & set(sec)) for k, sec in chip_secs.items()}
    sourced["timing"] = _keys_set(timing)
    for k, keys in sourced.items():
        where, table = f"{src}: [{k}]", timing if k == "timing" else device[k]
        chip = f" or a figure of chip {table['chip']}" if k in chip_secs else ""
        _check_source_keys(src, k, _table(table, "sources", where), keys, f"a key [{k}] sets{chip}")
    anywhere = {f"{k}.{key}" for k, keys in sourced.items() for key in keys}
    anywhere |= _keys_set(device) - {"name", "kind"}
    _check_source_keys(src, "", _table(device, "sources", src), anywhere,
                       'a key this device sets ("<section>.<key>" for a key of a section)')


def _figure_sources(kind: str, figures: dict, cfg: dict, chip_name: str, chip_sec: dict, device: dict,
                    src: str) -> dict[str, str]:
    """The sources of the ``figures`` of a device's ``[kind]`` section ``cfg`` (chip figures overridden, or
    the device's own per-axis terms; not the configuration, :data:`DEVICE_CONFIG_KEYS`): each must have
    one, in ``[kind.sources]`` or as ``"kind.key"`` in the device's ``[sources]``, else
    :class:`ValidationError`."""
    where = f"{src}: [{kind}]"
    own, top = _table(cfg, "sources", where), _table(device, "sources", src)
    out: dict[str, str] = {}
    for key in sorted(figures):
        # the first non-blank of the two places (a blank one does not hide the other)
        text = _source_of(own.get(key), top.get(f"{kind}.{key}"))
        if text is not None:
            out[key] = text
            continue
        what = (f"overrides chip {chip_name}'s figure {shorten(chip_sec[key])} with {shorten(figures[key])}"
                if key in chip_sec else f"is this device's own figure {shorten(figures[key])}")
        raise ValidationError(f"{what} and names no source (every figure in a device needs one)",
                              source=f"{where} {key}",
                              allowed=f'[{kind}.sources] {key} = "where it comes from (datasheet, '
                                      f'measurement, fitted: …)", or "{kind}.{key}" in [sources]; '
                                      "or no override")
    return out


def with_errors_off(profile: HardwareProfile) -> HardwareProfile:
    """A copy whose sensors are ideal apart from ODR, range and resolution."""
    sensors = {k: replace(s, noise_density_si=0.0, bias_sd_si=0.0, bias_instability_si=0.0, scale_sd=0.0,
                          cross_axis_sd=0.0, g_sensitivity_si=0.0, bias_xyz_si=None, scale_xyz=None,
                          g_sensitivity_xyz_si=None) for k, s in profile.sensors.items()}
    return replace(profile, sensors=sensors, timing=Timing())

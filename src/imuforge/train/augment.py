"""Classical IMU window augmentation, drawn anew every epoch (``imuforge train --augment``).

The transforms are the ones the HAR literature uses as the baseline that virtual IMU data must
beat (Um et al. 2017, "Data augmentation of wearable sensor data for Parkinson's disease
monitoring using convolutional neural networks", ICMI; the same set is the "classical
augmentation" row of recent virtual-IMU comparisons):

``rotation``        the device turned on the body: one random rotation per window applied to every
                    x/y/z triplet (acc, gyro, mag) alike, so the physics stays consistent. The
                    angle is drawn N(0, ``spread_deg``) about a uniformly random axis (``axis =
                    "any"``) or about one body axis (``"x"``, ``"y"``, ``"z"``).
``scale``           per-axis gain errors: every channel multiplied by N(1, sigma).
``jitter``          additive white noise of ``sigma`` times each channel's standard deviation
                    over the training set (so one figure suits m/s² and rad/s alike) — Um et al.'s
                    model of sensor noise. An accelerometer's spread over a training set is mostly
                    gravity turned between postures, so the noise is 0.15–0.20 m/s² per axis on a
                    lower-back device, 12–16 times a BMI270's noise floor, on still windows too; a
                    model with a gyroscope learns to look past it, one without takes slow walking for
                    standing. ``where = "auto"`` (the default) adds it where the windows hold a
                    gyroscope and leaves windows without one as they are (the noise is drawn all the
                    same, so the transforms after it draw what they would have); ``"all"`` always adds
                    it, as Um et al. do (docs/TRAINING.md, "Jitter without a gyroscope").
``time_warp``       a smooth, monotone re-timing of the window: the local speed is a cubic spline
                    through ``knots`` values drawn N(1, sigma), integrated and renormalised to span
                    the window, then the signal is linearly re-sampled at the warped times.
``magnitude_warp``  every channel multiplied by a smooth curve: a cubic spline through ``knots``
                    values drawn N(1, sigma), the whole signal as Um et al. do (``field = "warped"``).
                    On a specific force that holds gravity, σ = 0.2 gives a still window ≈ 2 m/s² of
                    slow made-up motion — a slow walker's at the lower back — which a model with a
                    gyroscope tells from motion by the gyroscope's silence, and one without cannot.
                    ``field = "kept"`` warps the accelerometer's and magnetometer's triplets
                    (:data:`FIELD_GROUPS`) about their window mean instead, which stands for gravity
                    and the geomagnetic field, so a still window stays still; ``"auto"`` (the default)
                    keeps them where the windows hold no gyroscope and warps them where they do — the
                    sim-to-real benchmark's evidence (docs/TRAINING.md, "Magnitude warp and gravity").

Everything is vectorised over the batch and seeded: epoch ``e`` of a run with seed ``s`` draws
from ``default_rng([s, e])``, so a run is reproducible and every epoch sees new transforms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from imuforge.errors import ValidationError, shorten

#: Transform name → its parameters and defaults, in the order they are applied.
TRANSFORMS: dict[str, dict[str, Any]] = {
    "rotation": {"spread_deg": 30.0, "axis": "any"},
    "scale": {"sigma": 0.1},
    "jitter": {"sigma": 0.05, "where": "auto"},
    "time_warp": {"sigma": 0.2, "knots": 4},
    "magnitude_warp": {"sigma": 0.2, "knots": 4, "field": "auto"},
}
_AXES = ("any", "x", "y", "z")
_FIELD = ("auto", "kept", "warped")
_WHERE = ("auto", "all")
#: channel groups whose triplets carry a static field (gravity, the geomagnetic field) besides the motion
FIELD_GROUPS = ("acc", "mag")


@dataclass(frozen=True)
class Transform:
    """One named transform and its parameters (see :data:`TRANSFORMS`)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Augmentation:
    """An ordered set of transforms; ``Augmentation.parse("rotation:45,jitter")`` reads the CLI form."""

    transforms: tuple[Transform, ...]

    @staticmethod
    def parse(spec: str | None) -> Augmentation | None:
        """``"default"`` (all five at their defaults), ``"none"``/empty, or ``name[:value…]``
        items separated by commas: ``rotation:SPREAD_DEG[:AXIS]``, ``scale:SIGMA``, ``jitter:SIGMA[:WHERE]``,
        ``time_warp:SIGMA[:KNOTS]``, ``magnitude_warp:SIGMA[:KNOTS[:FIELD]]``; ``default`` among items
        stands for the five transforms the others do not name (``default,jitter:0.05:all``: all five, jitter
        on every window)."""
        if spec is None or spec.strip().lower() in ("", "none", "off"):
            return None
        items = [s.strip() for s in spec.split(",") if s.strip()]
        if not items:  # "," or ", ,": neither a transform nor a word that turns augmentation off
            raise ValidationError(f"no transform in {spec!r}", source="--augment",
                                  allowed="default, none, or " + ", ".join(TRANSFORMS))
        if len(items) != len(spec.strip().split(",")):  # "rotation,,scale": a value lost in typing?
            raise ValidationError(f"an empty item in {spec!r}", source="--augment",
                                  allowed="transforms separated by single commas, e.g. rotation:45,scale")
        defaults = [i for i in items if i.split(":")[0].strip().lower() == "default"]
        if len(defaults) > 1:
            raise ValidationError(f"default is named twice in {spec!r}", source="--augment",
                                  allowed="default once, alone or among transforms")
        if any(":" in i for i in defaults):
            raise ValidationError(f"default takes no value, got {spec!r}", source="--augment",
                                  allowed="default alone or among transforms, e.g. default,jitter:0.05:all")
        if defaults:  # the transforms the other items do not name, at their defaults
            named = {i.split(":")[0].strip() for i in items}
            items = [i for i in items if i not in defaults] + [t for t in TRANSFORMS if t not in named]
        out = []
        for item in items:
            name, *values = [v.strip() for v in item.split(":")]
            if name.lower() in ("none", "auto"):  # (alone: no augmentation / the command's choice)
                raise ValidationError(f"{name} stands alone, got {spec!r}", source="--augment",
                                      allowed=f"{name} alone, or transforms without it: "
                                              + ", ".join(TRANSFORMS))
            if name not in TRANSFORMS:
                raise ValidationError(f"unknown augmentation {name!r}", source="--augment",
                                      allowed="default, none, or " + ", ".join(TRANSFORMS))
            keys = list(TRANSFORMS[name])
            if len(values) > len(keys):
                raise ValidationError(f"{name} takes at most {len(keys)} value(s) ({', '.join(keys)}), got {item!r}",
                                      source="--augment",
                                      allowed=f"{name}:" + ":".join(k.upper() for k in keys))
            params = dict(TRANSFORMS[name])
            for key, raw in zip(keys, values):
                params[key] = _parse_value(name, key, raw)
            out.append(Transform(name, params))
        if len({t.name for t in out}) != len(out):
            raise ValidationError(f"a transform is named twice in {spec!r}", source="--augment",
                                  allowed="each of " + ", ".join(TRANSFORMS) + " at most once")
        return Augmentation(tuple(sorted(out, key=lambda t: list(TRANSFORMS).index(t.name))))

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(t) for t in self.transforms]

    @staticmethod
    def from_json(items: list[dict[str, Any]] | None) -> Augmentation | None:
        """The augmentation of ``to_json``'s list (a run's ``config.json``, ``TrainConfig.augment``): each
        item ``{"name": …, "params": {…}}``, its parameters checked as ``--augment``'s (:func:`_parse_value`);
        without ``params`` the transform's defaults."""
        if not items:
            return None
        # runs written before the warp kept the static fields warped the whole signal and jittered every
        # window
        legacy = {"magnitude_warp": {"field": "warped"}, "jitter": {"where": "all"}}
        out = []
        for i in items:
            name = i.get("name") if isinstance(i, dict) else None
            if name not in TRANSFORMS:
                raise ValidationError(f"augment: unknown transform {shorten(i)}",
                                      allowed='{"name": N, "params": {…}} with N one of '
                                              + ", ".join(TRANSFORMS))
            given = i.get("params")
            if given is not None and (not isinstance(given, dict) or set(given) - set(TRANSFORMS[name])):
                raise ValidationError(f"augment: {name} params {shorten(given)}",
                                      allowed=f"a dict of {', '.join(TRANSFORMS[name])}")
            params = TRANSFORMS[name] | ({} if given is None else legacy.get(name, {}) | given)
            out.append(Transform(name, {k: _parse_value(name, k, str(v)) for k, v in params.items()}))
        return Augmentation(tuple(out))

    def apply(self, X: np.ndarray, channels: tuple[str, ...] | list[str], rng: np.random.Generator, *,
              channel_std: np.ndarray | None = None) -> np.ndarray:
        """Transformed copy of ``X`` (n, length, channels), SI units, not normalised."""
        out = np.array(X, np.float64, copy=True)
        for t in self.transforms:
            if t.name == "rotation":
                out = rotate(out, channels, rng, t.params["spread_deg"], t.params["axis"])
            elif t.name == "scale":
                out *= rng.normal(1.0, t.params["sigma"], (out.shape[0], 1, out.shape[2]))
            elif t.name == "jitter":
                noise = rng.normal(0.0, 1.0, out.shape)  # drawn either way: the later draws stay put
                if t.params.get("where", "auto") == "all" or has_gyroscope(channels):
                    std = np.ones(out.shape[2]) if channel_std is None else np.asarray(channel_std, float)
                    out += noise * (t.params["sigma"] * std)
            elif t.name == "time_warp":
                out = time_warp(out, rng, t.params["sigma"], int(t.params["knots"]))
            elif t.name == "magnitude_warp":
                out = magnitude_warp(out, channels, rng, t.params["sigma"], int(t.params["knots"]),
                                     t.params.get("field", "auto"))
        return out.astype(np.float32)


#: the parameter that sets each transform's strength: at 0 the transform leaves a window as it is
STRENGTH = {"rotation": "spread_deg", "scale": "sigma", "jitter": "sigma", "time_warp": "sigma",
            "magnitude_warp": "sigma"}


def has_effect(t: Transform) -> bool:
    """Whether ``t`` changes a window at all (its :data:`STRENGTH` above 0: ``rotation:0`` turns nothing)."""
    return float(t.params.get(STRENGTH[t.name], TRANSFORMS[t.name][STRENGTH[t.name]])) > 0


def spec_text(t: Transform) -> str:
    """``t`` in ``--augment``'s form, its values up to the last one that differs from the default
    (``rotation``, ``rotation:45:z``, ``jitter:0.05:all``): what a run trained with, as the user would type
    it."""
    defaults = TRANSFORMS[t.name]
    values = [t.params.get(k, d) for k, d in defaults.items()]
    changed = [i for i, (v, d) in enumerate(zip(values, defaults.values())) if v != d]
    if not changed:
        return t.name
    shown = values[:changed[-1] + 1]
    return ":".join([t.name] + [f"{v:g}" if isinstance(v, float) else str(v) for v in shown])


def untouched_triplets(channels) -> list[str]:
    """The channel groups a ``rotation`` leaves as they are: those whose x/y/z triplet is incomplete
    (``gyro_x, gyro_y`` without ``gyro_z``), named by their stem."""
    names = [str(c) for c in channels]
    whole = {names[i].rsplit("_", 1)[0] for trip in triplets(names) for i in trip}
    return sorted({c.rsplit("_", 1)[0] for c in names if c.endswith(("_x", "_y", "_z"))} - whole)


def _parse_value(name: str, key: str, raw: str) -> Any:
    if key in ("axis", "field", "where"):
        choices = {"axis": _AXES, "field": _FIELD, "where": _WHERE}[key]
        if raw not in choices:
            raise ValidationError(f"{name} {key} {raw!r} unknown", source="--augment",
                                  allowed=", ".join(choices))
        return raw
    allowed = {"knots": "an integer in 2 … 32", "spread_deg": "degrees in 0 … 180"}.get(key, "0 … 1")
    try:
        v = float(raw)
    except ValueError:
        raise ValidationError(f"{name} {key} must be a number, got {raw!r}", source="--augment",
                              allowed=f"{key} {allowed}") from None
    if key == "knots":
        if v != int(v) or not 2 <= v <= 32:
            raise ValidationError(f"{name} knots must be an integer in 2..32, got {raw}", source="--augment",
                                  allowed=f"knots {allowed}")
        return int(v)
    if not (np.isfinite(v) and v >= 0) or (key == "spread_deg" and v > 180) or (key == "sigma" and v > 1):
        raise ValidationError(f"{name} {key} = {raw} out of range", source="--augment",
                              allowed=f"{key} {allowed}")
    return v


def triplets(channels) -> list[tuple[int, int, int]]:
    """Indices of every complete x/y/z channel triplet (``acc_x, acc_y, acc_z`` …)."""
    idx = {c: i for i, c in enumerate(channels)}
    out = []
    for c in channels:
        if c.endswith("_x"):
            stem = c[:-2]
            if f"{stem}_y" in idx and f"{stem}_z" in idx:
                out.append((idx[c], idx[f"{stem}_y"], idx[f"{stem}_z"]))
    return out


def rotation_matrices(rng: np.random.Generator, n: int, spread_deg: float, axis: str = "any") -> np.ndarray:
    """``n`` rotation matrices: angle N(0, spread) about a random unit axis (or a fixed body axis)."""
    if axis == "any":
        u = rng.normal(size=(n, 3))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
    else:
        u = np.zeros((n, 3))
        u[:, "xyz".index(axis)] = 1.0
    theta = np.deg2rad(rng.normal(0.0, spread_deg, n))
    K = np.zeros((n, 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -u[:, 2], u[:, 1], -u[:, 0]
    K -= np.transpose(K, (0, 2, 1))
    s, c = np.sin(theta)[:, None, None], np.cos(theta)[:, None, None]
    return np.eye(3)[None] + s * K + (1.0 - c) * (K @ K)  # Rodrigues


def rotate(X: np.ndarray, channels, rng: np.random.Generator, spread_deg: float, axis: str = "any") -> np.ndarray:
    """Rotate every x/y/z triplet of each window by that window's random rotation."""
    R = rotation_matrices(rng, X.shape[0], spread_deg, axis)
    out = X.copy()
    for trip in triplets(channels):
        out[:, :, list(trip)] = np.einsum("nij,ntj->nti", R, X[:, :, list(trip)])
    return out


def smooth_curves(rng: np.random.Generator, n: int, length: int, sigma: float, knots: int) -> np.ndarray:
    """``n`` smooth random curves of ``length`` samples: cubic splines through N(1, sigma) knots."""
    xk = np.linspace(0.0, length - 1.0, knots)
    yk = rng.normal(1.0, sigma, (knots, n))
    return CubicSpline(xk, yk, axis=0)(np.arange(length)).T


def has_gyroscope(channels) -> bool:
    """Whether the windows' ``channels`` hold a gyroscope: what the ``auto`` settings of ``jitter`` and
    ``magnitude_warp`` decide by."""
    return any(str(c).startswith("gyro_") for c in channels)


def field_channels(channels) -> list[int]:
    """Indices of the channels of the complete triplets of :data:`FIELD_GROUPS` (``acc_x, acc_y, acc_z``
    …)."""
    names = list(channels)
    return [i for trip in triplets(names) for i in trip if names[i].split("_")[0] in FIELD_GROUPS]


def magnitude_warp(X: np.ndarray, channels, rng: np.random.Generator, sigma: float, knots: int,
                   field: str = "auto") -> np.ndarray:
    """Each window times its smooth curve (:func:`smooth_curves`), one curve for all its channels; with
    ``field = "kept"`` (``"auto"``: when ``channels`` hold no gyroscope) the field triplets
    (:func:`field_channels`) are warped about their window mean, the static field it stands for left as it
    was."""
    curves = smooth_curves(rng, X.shape[0], X.shape[1], sigma, knots)[:, :, None]
    if field == "auto":
        field = "warped" if has_gyroscope(channels) else "kept"
    idx = field_channels(channels) if field == "kept" else []
    if not idx:
        return X * curves
    mean = np.zeros((X.shape[0], 1, X.shape[2]))
    mean[:, :, idx] = X[:, :, idx].mean(axis=1, keepdims=True)
    return mean + (X - mean) * curves


def time_warp(X: np.ndarray, rng: np.random.Generator, sigma: float, knots: int) -> np.ndarray:
    """Re-time each window smoothly (monotone), then resample linearly onto the original grid."""
    n, length, _ = X.shape
    speed = np.clip(smooth_curves(rng, n, length, sigma, knots), 0.1, None)  # stay monotone
    t = np.cumsum(speed, axis=1)
    t = (t - t[:, :1]) / (t[:, -1:] - t[:, :1]) * (length - 1)
    i0 = np.clip(np.floor(t).astype(int), 0, length - 2)
    frac = (t - i0)[:, :, None]
    rows = np.arange(n)[:, None]
    return X[rows, i0] * (1.0 - frac) + X[rows, i0 + 1] * frac

"""Unit conversions. SI inside imuforge; g, dps, mg, µg, LSB and gauss only at the edges.

Every conversion between a user-facing unit and SI happens here, so there is one place to check.
"""

from __future__ import annotations

import math

STANDARD_GRAVITY = 9.80665
"""Standard gravity g₀ in m/s² (CGPM 1901), used for every g ↔ m/s² conversion."""

DEG = math.pi / 180.0

#: SI unit of each channel group. Channel names are ``<group>_<axis>``, e.g. ``acc_x``.
CHANNEL_UNITS: dict[str, str] = {"acc": "m/s^2", "gyro": "rad/s", "mag": "uT"}

#: The same units as people read them (plot axes, reports).
CHANNEL_UNITS_DISPLAY: dict[str, str] = {"acc": "m/s²", "gyro": "rad/s", "mag": "µT"}

#: Channel group of each sensor kind of a hardware profile (``accel`` → ``acc_x, acc_y, acc_z``).
GROUP_OF_SENSOR: dict[str, str] = {"accel": "acc", "gyro": "gyro", "mag": "mag"}

#: Scale factors from edge units to SI, per channel group (the unit strings used in CSV headers).
UNITS_BY_GROUP: dict[str, dict[str, float]] = {
    "acc": {"m/s^2": 1.0, "m/s2": 1.0, "g": STANDARD_GRAVITY, "mg": STANDARD_GRAVITY * 1e-3,
            "ug": STANDARD_GRAVITY * 1e-6},
    "gyro": {"rad/s": 1.0, "deg/s": DEG, "dps": DEG, "mdps": DEG * 1e-3},
    "mag": {"uT": 1.0, "T": 1e6, "nT": 1e-3, "gauss": 100.0, "mgauss": 0.1},
}

#: All edge units → SI factor (any group); prefer :func:`to_si_factor`, which checks the group.
TO_SI: dict[str, float] = {u: f for units in UNITS_BY_GROUP.values() for u, f in units.items()}


#: how the unit lists name the minus form (:func:`to_si_factor`)
NEGATED_UNIT_HINT = "; -UNIT for values that hold minus the quantity"


def to_si_factor(group: str, unit: str, *, source: str | None = None) -> float:
    """Factor that converts ``unit`` to SI for a channel group, refusing a unit of another quantity.

    ``to_si_factor("acc", "g")`` → 9.80665; ``to_si_factor("acc", "deg/s")`` raises ("unit 'deg/s'
    is for gyro, not acc"), listing the acceleration units. A leading ``-`` reads values that hold minus
    the quantity: ``to_si_factor("acc", "-g")`` → −9.80665, for Apple's Core Motion (an iPhone or Apple
    Watch lying face up reads z = −1 g, where the specific force imuforge keeps reads +9.81 m/s²); a sign
    turned on the accelerometer alone is a mirror image that no rotation of the device undoes.
    """
    from imuforge.errors import ValidationError

    if group not in UNITS_BY_GROUP:
        raise ValidationError(f"unknown channel group {group!r}", source=source, allowed=", ".join(UNITS_BY_GROUP))
    units = UNITS_BY_GROUP[group]
    sign, bare = (-1.0, unit[1:]) if unit.startswith("-") else (1.0, unit)
    if bare not in units:
        kind = next((g for g, us in UNITS_BY_GROUP.items() if bare in us), None)
        what = f"unit {unit!r} is for {kind}, not {group}" if kind else f"unknown {group} unit {unit!r}"
        hint = NEGATED_UNIT_HINT + (" (Core Motion's accelerometer: -g)" if group == "acc" else "")
        raise ValidationError(what, source=source, allowed=", ".join(units) + hint)
    return sign * units[bare]


def g_to_mps2(value):
    """Convert g to m/s²."""
    return value * STANDARD_GRAVITY


def mps2_to_g(value):
    """Convert m/s² to g."""
    return value / STANDARD_GRAVITY


def dps_to_radps(value):
    """Convert degrees per second to rad/s."""
    return value * DEG


def radps_to_dps(value):
    """Convert rad/s to degrees per second."""
    return value / DEG


def ug_per_rthz_to_si(value):
    """Accelerometer noise density: µg/√Hz → (m/s²)/√Hz."""
    return value * STANDARD_GRAVITY * 1e-6


def mdps_per_rthz_to_si(value):
    """Gyroscope noise density: mdps/√Hz → (rad/s)/√Hz."""
    return value * DEG * 1e-3


def channel_group(channel: str) -> str:
    """``"acc_x"`` → ``"acc"``."""
    return channel.rsplit("_", 1)[0]


def channel_unit(channel: str) -> str:
    """SI unit of a channel name such as ``"gyro_z"``."""
    group = channel_group(channel)
    if group not in CHANNEL_UNITS:
        from imuforge.errors import ValidationError

        raise ValidationError(
            f"unknown channel {channel!r}",
            allowed="acc_x/y/z, gyro_x/y/z, mag_x/y/z",
        )
    return CHANNEL_UNITS[group]


def format_rates(rates_hz, what: str = "recordings") -> str:
    """Sample rates for people: rates within 2 % of each other (one device's clock, drifting per recording)
    as one range with its count — ``51.91–52.18 Hz (16 recordings)`` — instead of 16 numbers; ``what`` names
    what is counted (``"rates"`` for a list of distinct rates)."""
    rates = sorted(float(r) for r in rates_hz)
    groups: list[list[float]] = []
    for r in rates:
        if groups and r <= groups[-1][0] * 1.02:
            groups[-1].append(r)
        else:
            groups.append([r])
    def text(g: list[float]) -> str:
        if len(g) == 1:
            return f"{g[0]:.6g} Hz"
        for digits in (4, 5, 6):  # as many as tell the ends apart ("99.84 Hz (3 rates)" read as one)
            lo, hi = f"{g[0]:.{digits}g}", f"{g[-1]:.{digits}g}"
            if lo != hi:
                return f"{lo}–{hi} Hz ({len(g)} {what})"
        return f"{lo} Hz ({len(g)} {what})"

    return ", ".join(text(g) for g in groups) or "–"

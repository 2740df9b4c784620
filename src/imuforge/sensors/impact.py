"""Foot–ground impact transients: what a rigid skeleton driven by smooth joint curves cannot carry.

At every foot contact of a gait (heel strike in walking and running, forefoot contact on stairs, up
and down) the ground arrests the leg within a few tens of milliseconds.
A body-worn accelerometer sees a short, damped pulse — ≈ 2–4 g at the tibia in walking, rising
with speed, ≈ 5–12 g in running — that is attenuated on its way up the body, most of it at the
knee and the spine, and loses its high frequencies on the way (≈ 10–20 Hz at the tibia, lower at
the pelvis and trunk). The procedural library brings the foot to rest smoothly over ≈ 100 ms, so
its rigid kinematics carry none of this.

**Model.** The segment at the sensor is displaced from its rigid path by ``u(t) d`` (``d`` a fixed
direction in the segment frame: the ground reaction, upward and ≈ 0.3 of it backward, seen from the
segment at the contact instant). ``u`` is a damped oscillator (natural frequency ``f_n``, damping
ratio ``ζ < 1``) struck by a half-sine force pulse of duration ``τ`` and mass-normalised impulse
``Δv``::

    ü + 2ζω u̇ + ω² u = p(t),   p(t) = (πΔv / 2τ) sin(πt/τ) for 0 ≤ t ≤ τ,   ∫p dt = Δv

from rest (closed form: :func:`pulse_response`). ``u`` and ``u̇`` return to zero (the transient
adds no net velocity or displacement to the smooth motion; all of the ground's impulse ``Δv`` is
returned by the spring and damper: ``ω² ∫u dt = Δv``), and the added acceleration ``ü`` is what
the sensor measures on top of the rigid motion. The transverse part of ``u`` rocks a limb
segment about its pivot (``θ = ℓ × u d / ρ``, ℓ the long axis, ρ the pivot distance); a device on the
trunk rocks with the whole trunk, whose load arrives at the stance hip, off its centre of mass
(``θ = (r × d) u / k²`` per principal axis, r the hip from the centre of mass, k the radii of gyration;
:class:`TrunkLever`). The gyroscope sees ``θ̇`` and the accelerometer the specific force turned by θ
(:func:`add_transients`).

Per contact the tibial peak ``A`` (the peak of ``|ü|`` at the shank of the contacting leg) is set
from the activity and speed (:class:`ImpactSpread`), times a per-person factor and a per-step
factor; ``Δv`` follows from the oscillator (:func:`unit_peak`). Every other segment gets the peak
``A · T`` (``T`` its transmissibility relative to the tibia, drawn per person) with its own
frequency and damping. A loosely worn device (:mod:`imuforge.sensors.wear`) is then driven by the
segment acceleration including the impact.

**Sources** (figures in :data:`DEFAULT_SPREAD` and docs/MOTION.md, "Impact transients"):
tibial peak in walking ≈ 2–4 g rising with speed, in running ≈ 5–12 g rising ≈ 1–2 g per m/s
(Lafortune, Lake & Hennig 1996, *J Biomech* 29:1531; Mercer, Devita, Derrick & Bates 2003, *Med
Sci Sports Exerc* 35:307; Hamill, Derrick & Holt 1995, *Clin Biomech* 10:87; review: Sheerin, Reid
& Besier 2019, *Gait Posture* 67:12); the measured peak includes gravity and the segment's own
rotation (≈ 18 % above the impact's axial peak in walking, Lafortune & Hennig 1991 "Contribution
of angular motion and gravity to tibial acceleration", *Med Sci Sports Exerc* 23:360); shock
attenuation tibia → head ≈ 60–80 %, largest at the knee and spine, greater at longer strides and
with more knee flexion (Derrick, Hamill & Caldwell 1998, *Med Sci Sports Exerc* 30:128; Derrick
2004, *Med Sci Sports Exerc* 36:832; Lafortune et al. 1996; Mercer et al. 2003); impact
frequency content 12–20 Hz at the tibia, attenuated above ≈ 10 Hz on the way to the head (Shorten
& Winslow 1992, *J Appl Biomech* 8:288); heel-strike transient of the ground reaction rising
within ≈ 10–30 ms, variable between people and lower with cushioned shoes (Whittle 1999, *Gait
Posture* 10:264). Where a figure is an assumption within these ranges it says so in
``ImpactSpread.sources``.

What is drawn goes to ``provenance["impact"]``; ``impact=False`` (:meth:`ImpactModel.none`)
reproduces the output without it byte for byte.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

from imuforge.errors import ValidationError
from imuforge.motion.quat import cross  # np.cross's bits without its per-call overhead
from imuforge.motion.skeleton import SEGMENT_JOINT
from imuforge.sensors.hardware import words_rng
from imuforge.sensors.placement import Placement
from imuforge.switches import Switches
from imuforge.units import STANDARD_GRAVITY as G0

#: the labels whose foot contacts carry an impact, and the kind of contact of each
#: (first contact on the forefoot in stair ascent and descent: Riener, Rabuffetti & Frigo 2002, *Gait Posture* 15:32)
CONTACT_KIND = {"walking": "heel", "running": "heel", "stairs_down": "forefoot", "stairs_up": "forefoot",
                "nordic_walking": "heel"}
#: gaits whose force pulse is another's (the same heel strike): a person's pulse duration is drawn once for it
SAME_PULSE = {"nordic_walking": "walking"}


# ------------------------------------------------------------------------------------ switches
@dataclass(frozen=True)
class ImpactModel(Switches):
    """Which parts of the impact model are on (all by default, also for ``parse(None)``; ``none()``
    turns it off). ``translation``: the acceleration pulse; ``rotation``: the rocking it causes (gyro θ̇, and
    the specific force turned by θ).
    """

    WHAT: ClassVar[str] = "impact part"

    translation: bool = True
    rotation: bool = True


# --------------------------------------------------------------------------- configured spread
@dataclass(frozen=True)
class SiteSpread:
    """One body site's response, relative to the tibia of the contacting leg: transmissibility of
    the peak (uniform in ``transmissibility``), natural frequency (Hz) and damping ratio (uniform),
    pivot distance (m) for the rocking, and ``pulse_ms``: how long the load takes to arrive at a
    site above the knee (uniform; ``None``: the foot's own pulse, for the shank and foot).

    The struck oscillator passes its forcing straight into ``ü`` above its natural frequency, so
    a remote site driven by the foot's 15–50 ms pulse would carry the pulse's 20–60 Hz content at
    full strength — yet the knee, the spine and the soft tissue between are low-passes (content
    above ≈ 10 Hz is attenuated on the way up, Shorten & Winslow 1992). A remote site is therefore
    driven by the load as it arrives there: a longer half-sine of the same peak.
    """

    transmissibility: tuple[float, float]
    natural_hz: tuple[float, float]
    damping: tuple[float, float]
    pivot_m: float = 0.25
    pulse_ms: tuple[float, float] | None = None


@dataclass(frozen=True)
class ImpactSpread:
    """The configured distributions (SI; peaks in g where named so). See the module docstring.

    ``peak_g``: activity → (transient peak at the tibia in g at ``ref_speed``, change per m/s,
    reference speed m/s); ``pulse_ms``: activity → uniform range of the force-pulse duration;
    ``person_sd``: log-normal SD of a person's peak factor; ``step_sd``: log-normal SD per contact;
    ``backward``: backward (braking) share of the ground-reaction direction; ``sites``: site class
    → :class:`SiteSpread`; ``contact_lateral_h``: how far outside the foot's long axis the ground first
    meets it (uniform per person, fraction of the body height; :class:`FootLever`).
    """

    peak_g: dict
    pulse_ms: dict
    person_sd: float
    step_sd: float
    backward: float
    sites: dict
    contact_lateral_h: tuple[float, float] = (0.006, 0.018)
    sources: dict = field(default_factory=dict)

    def __post_init__(self):
        bad = [k for k, s in self.sites.items()
               if not (0 <= s.transmissibility[0] <= s.transmissibility[1] <= 3 and 0 < s.natural_hz[0]
                       <= s.natural_hz[1] and 0 < s.damping[0] <= s.damping[1] < 1 and s.pivot_m > 0)]
        bad += [k for k, s in self.sites.items() if s.pulse_ms is not None and not 0 < s.pulse_ms[0] <= s.pulse_ms[1]]
        own_pulse = set(CONTACT_KIND) - set(SAME_PULSE)
        lateral = tuple(self.contact_lateral_h)
        if len(lateral) != 2 or not 0 <= lateral[0] <= lateral[1] <= 0.02:  # the heel's half-width ≈ 0.02 H
            raise ValidationError(f"impact spread: contact_lateral_h {self.contact_lateral_h!r}",
                                  allowed="(lo, hi) with 0 ≤ lo ≤ hi ≤ 0.02 of the body height (the heel's "
                                          "half-width)")
        if bad or set(self.peak_g) != set(CONTACT_KIND) or set(self.pulse_ms) != own_pulse:
            raise ValidationError(f"impact spread: bad sites {bad} or activities "
                                  f"{sorted(self.peak_g)} / {sorted(self.pulse_ms)}",
                                  allowed=f"sites 0 ≤ T ≤ 3, f > 0, 0 < ζ < 1; activities {sorted(CONTACT_KIND)}")


DEFAULT_SPREAD = ImpactSpread(
    peak_g={"walking": (1.8, 1.2, 1.3), "running": (6.0, 1.5, 3.5),
            "stairs_down": (4.5, 0.0, 0.0), "stairs_up": (3.5, 0.0, 0.0),
            "nordic_walking": (2.016, 1.344, 1.3)},
    pulse_ms={"walking": (20.0, 35.0), "running": (15.0, 25.0), "stairs_down": (20.0, 35.0),
              "stairs_up": (20.0, 35.0)},
    person_sd=0.25, step_sd=0.10, backward=0.3,
    sites={
        "shank": SiteSpread((1.0, 1.0), (12.0, 20.0), (0.3, 0.5), 0.25),
        "foot": SiteSpread((1.0, 1.4), (14.0, 22.0), (0.3, 0.5), 0.12),
        "thigh": SiteSpread((0.25, 0.35), (9.0, 15.0), (0.35, 0.55), 0.25),
        "pelvis": SiteSpread((0.15, 0.25), (4.0, 6.0), (0.4, 0.6), 0.30, (70.0, 110.0)),
        "chest": SiteSpread((0.12, 0.19), (4.0, 6.0), (0.4, 0.6), 0.30, (80.0, 120.0)),
        "head": SiteSpread((0.10, 0.16), (4.0, 6.0), (0.4, 0.6), 0.15, (80.0, 120.0)),
        "upper_arm": SiteSpread((0.06, 0.11), (5.0, 9.0), (0.4, 0.6), 0.20, (80.0, 120.0)),
        "forearm": SiteSpread((0.04, 0.08), (5.0, 9.0), (0.4, 0.6), 0.25, (80.0, 120.0)),
        "contra_leg": SiteSpread((0.12, 0.22), (6.0, 10.0), (0.4, 0.6), 0.25, (60.0, 90.0)),
    },
    sources={
        "peak_g": "walking ≈ 2–4 g resultant at the tibia rising with speed, running ≈ 5–12 g rising "
                  "≈ 1–2 g per m/s (Lafortune et al. 1996; Mercer et al. 2003; Hamill et al. 1995; Sheerin "
                  "et al. 2019); the configured value is the transient alone: gravity, the segment's rotation "
                  "and the rigid swing deceleration add ≈ 1–1.5 g to the measured resultant (Lafortune & "
                  "Hennig 1991), so walking 1.8 g at 1.3 m/s measures ≈ 2.5–3.5 g (tests/sensors/"
                  "test_impact.py); the walking value is at the low end because the project's real Xsens "
                  "shank at 1.0 m/s has only 6 % of its |acc| power above 10 Hz (benchmarks/results/motion.md); "
                  "stairs: the shock wave at the leg is 2.5 × level walking's going down and 1.9 × going up "
                  "(descent 130 % of ascent and 250 % of level gait; 4 people, Loy & Voloshin 1991, *J Sports "
                  "Sci* 9:137), so 4.5 g and 3.5 g on walking's 1.8 g (the ratio applied to this model's "
                  "walking value; the paper's absolute peaks were not available here); Nordic walking: "
                  "tibial acceleration 12 % above walking's (Encarnación-Martínez et al. 2015, *Res Q Exerc "
                  "Sport* 86:94; its abstract does not say the speeds were matched): walking's line × 1.12",
        "pulse_ms": "heel-strike transient of the ground reaction rises within ≈ 10–30 ms (Whittle 1999); "
                    "the half-sine duration is an assumption within it, shorter in running; stairs up and "
                    "down alike (both land on the forefoot first, Riener et al. 2002)",
        "person_sd": "assumption: between-person CV of tibial peak ≈ 25 % (Sheerin et al. 2019 report "
                     "wide between-runner spread); step_sd 10 % within a person",
        "shank": "12–20 Hz impact content at the tibia (Shorten & Winslow 1992); ζ assumption",
        "thigh": "attenuation at the knee, the largest single share of tibia → head (Derrick 2004; "
                 "Lafortune et al. 1996); no published thigh / tibia ratio was found. 0.25–0.35 (above "
                 "the pelvis's 0.15–0.25, below the tibia) puts walking's share of |acc| power above 10 Hz "
                 "near two real thighs that the 0.45–0.7 assumed before overshot alike: the project's "
                 "Xsens thigh at 1.0 m/s 0.98× (was 2.05×; no thigh transient at all: 0.49×) and the "
                 "CrowdSignals front-pocket phone 1.23× (was 2.27×; none: 0.39×) (2026-12-03, "
                 "docs/MOTION.md)",
        "pelvis": "the transient alone, on top of the step's own acceleration: the measured sacrum / tibia "
                  "peak ratio ≈ 0.3–0.45 (assumption consistent with 60–80 % tibia → head attenuation, "
                  "Mercer et al. 2003, most of it at the knee and spine) includes the body's step-to-step "
                  "redirection in the double support, a 2–4 m/s² peak that the walking pelvis path carries "
                  "since 2026-11 (gait.collision_height), so the transient keeps about half: 0.15–0.25 "
                  "(for every activity, though only walking's pelvis path changed) "
                  "(0.3–0.45 put a −4…−7 m/s² ringing lobe after every lower-back peak that the real lumbar "
                  "recordings of gaitpy and mobgap do not have); 4–6 Hz, ζ 0.4–0.6: "
                  "the principal vertical whole-body resonance of a standing person (Griffin 1990, "
                  "*Handbook of Human Vibration*; ISO 2631-1 frequency weighting peaks at 4–8 Hz)",
        "chest": "the pelvis's transient attenuated along the spine (same ratio to the measured peak as the "
                 "pelvis: half of 0.25–0.38)",
        "head": "tibia → head attenuation 60–80 % → measured ratio 0.2–0.32 (Derrick et al. 1998; Mercer et al. "
                "2003; 60–80 % would allow 0.2–0.4), of which the transient alone keeps about half "
                "(0.10–0.16) as at the pelvis",
        "frequencies": "lower up the chain: frequencies above ≈ 10 Hz are attenuated on the way to the "
                       "head (Shorten & Winslow 1992); the trunk rings at the whole-body mode (Griffin 1990); "
                       "thigh and arm values are assumptions",
        "arms": "assumption: through the shoulder girdle, below the chest (halved with the trunk's in 2026-11: "
                "upper arm 0.06–0.11, forearm 0.04–0.08)",
        "arrival_pulse_ms": "arrival at remote sites: assumption — the half-sine whose content lies mostly below "
                    "≈ 10 Hz (first spectral zero 1.5/τ ≈ 12–20 Hz for 70–120 ms), as the attenuation above "
                    "≈ 10 Hz up the body requires (Shorten & Winslow 1992); with the foot's pulse the lower "
                    "back carried 32 % of its walking |acc| power above 10 Hz against 5 % in the real "
                    "recordings of mobgap (benchmarks/results/sim2real.md, realism)",
        "contra_leg": "assumption: the other leg receives the shock through the pelvis",
        "foot": "the contacting foot rocks about its ankle, struck at its contact point (FootLever, de Leva "
                "1996 foot inertia; its pivot_m is unused): its 14–22 Hz is an assumption above the tibia's "
                "12–20 Hz",
        "contact_lateral_h": "assumption: the heel strikes on its posterolateral edge and a stair step "
                             "lands on the outer metatarsal heads (the centre of pressure starts lateral "
                             "and moves medially through stance); 0.006–0.018 H = 1.0–3.2 cm at 1.75 m, "
                             "between a third of the heel's half-width (a heel ≈ 6–7 cm wide) and its "
                             "edge; no published offset was found",
    })


def site_class(segment: str, contact_side: str) -> str:
    """The site class of a placement's segment for a contact of the ``contact_side`` ("left"/"right") foot."""
    seg = segment
    for name, joint in SEGMENT_JOINT.items():  # a joint name given as the segment → its segment
        if seg == joint and name != joint:
            seg = name
            break
    side = "left" if seg.startswith("left_") else "right" if seg.startswith("right_") else None
    part = seg.split("_", 1)[1] if side else seg
    if part in ("shank", "foot", "thigh", "knee", "ankle", "hip"):
        if side != contact_side:
            return "contra_leg"
        return {"knee": "shank", "ankle": "foot", "hip": "thigh"}.get(part, part)
    if part in ("upper_arm", "shoulder", "collar"):
        return "upper_arm"
    if part in ("forearm", "hand", "elbow", "wrist"):
        return "forearm"
    if seg in ("pelvis", "lower_trunk", "spine1"):
        return "pelvis"
    if seg in ("head", "neck"):
        return "head"
    return "chest"


# ------------------------------------------------------------------------- the damped oscillator
def _sine_coefficients(P, Om, w, zeta):
    """σ, ω_d and A, B, C₁, C₂ of the response to ``P sin(Ωt)H(t)`` (see :func:`pulse_response`)."""
    s = zeta * w
    wd = w * np.sqrt(1.0 - zeta * zeta)
    D = (w * w - Om * Om) ** 2 + (2 * s * Om) ** 2
    A = P * (w * w - Om * Om) / D
    B = -2 * s * Om * P / D
    C1 = -B
    return s, wd, A, B, C1, (s * C1 - A * Om) / wd


def pulse_response(t, dv, tau_s, natural_hz, damping) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Displacement u (m), velocity u̇ (m/s) and acceleration ü (m/s²) of the struck oscillator.

    ``ü + 2ζω u̇ + ω² u = p(t)`` from rest, ``p = (πΔv/2τ) sin(πt/τ)`` on ``0 ≤ t ≤ τ`` (zero after),
    ``ω = 2π f_n``, ``0 < ζ < 1``; ``t`` in s from the contact. Closed form: the half-sine is the
    sum of ``P sin(Ωt)H(t)`` and its copy delayed by τ (``Ω = π/τ``, ``P = ΩΔv/2``), whose responses
    are ``A sin Ωt + B cos Ωt + e^{−ζωt}(C₁ cos ω_d t + C₂ sin ω_d t)`` (steady part plus the free
    vibration that starts it from rest). After the pulse the steady parts cancel and ``u`` decays
    freely: ``e^{−ζω(t−τ)}(D₁ cos ω_d(t−τ) + D₂ sin ω_d(t−τ))`` with ``D₁ = u(τ)``,
    ``D₂ = (u̇(τ) + ζω u(τ))/ω_d``; successive peaks of the same sign shrink by
    ``exp(−2πζ/√(1−ζ²))`` every damped period ``2π/ω_d``, and ``u, u̇ → 0``. Zero for t < 0.
    All arguments broadcast.
    """
    t, dv, tau, f, zeta = np.broadcast_arrays(*(np.asarray(x, float) for x in (t, dv, tau_s, natural_hz, damping)))
    pos = t >= 0
    t = np.where(pos, t, 0.0)
    w = 2 * np.pi * f
    Om = np.pi / tau
    s, wd, A, B, C1, C2 = _sine_coefficients(Om * dv / 2.0, Om, w, zeta)
    # state at the end of the pulse (only the first response has started): gives D₁, D₂
    eT, cT, sT = np.exp(-s * tau), np.cos(wd * tau), np.sin(wd * tau)
    uT = B * -1.0 + eT * (C1 * cT + C2 * sT)  # sin(Ωτ) = 0, cos(Ωτ) = −1
    vT = -A * Om + eT * ((-s * C1 + wd * C2) * cT + (-s * C2 - wd * C1) * sT)
    D1, D2 = uT, (vT + s * uT) / wd
    during = t < tau
    x = np.where(during, t, t - tau)  # time within the phase
    e, c, sn = np.exp(-s * x), np.cos(wd * x), np.sin(wd * x)
    # free vibration (t ≥ τ); during the pulse add the steady part and use C₁, C₂
    k1, k2 = np.where(during, C1, D1), np.where(during, C2, D2)
    u = e * (k1 * c + k2 * sn)
    ud = e * ((-s * k1 + wd * k2) * c + (-s * k2 - wd * k1) * sn)
    if during.any():
        sO, cO = np.sin(Om * x), np.cos(Om * x)
        u = np.where(during, u + A * sO + B * cO, u)
        ud = np.where(during, ud + A * Om * cO - B * Om * sO, ud)
        p = np.where(during, Om * dv / 2.0 * sO, 0.0)
    else:
        p = 0.0
    udd = p - 2 * s * ud - w * w * u
    return np.where(pos, u, 0.0), np.where(pos, ud, 0.0), np.where(pos, udd, 0.0)


def unit_peak(tau_s, natural_hz, damping, n: int = 256, fine: int = 32) -> np.ndarray:
    """Peak |ü| (m/s²) of :func:`pulse_response` for Δv = 1 m/s (broadcast over the arguments): the largest of
    ``n`` samples over the span where it lies, searched again on ``fine + 1`` samples across that sample's two
    neighbouring steps, refined by a parabola through the best fine sample and its neighbours — the step of a
    ``n · fine / 2``-sample search at a tenth of its cost (a peak missed by the first search is within
    ~1e-4 of the one found: on a tie only)."""
    tau, f, z = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, float)) for x in (tau_s, natural_hz, damping)))
    span = tau + 1.0 / (f * np.sqrt(1.0 - z * z))  # the peak lies within the pulse or the damped period after it
    cols = np.arange(span.size)

    def search(t):
        return np.abs(pulse_response(t, 1.0, tau[None], f[None], z[None])[2])

    step = span / (n - 1)
    k = np.argmax(search(np.arange(n)[:, None] * step[None, :]), axis=0)
    t = (k - 1 + np.linspace(0.0, 2.0, fine + 1)[:, None]) * step[None, :]  # t < 0 reads 0
    acc = search(np.vstack([t, tau[None]]))  # the last row: at the pulse's end (below)
    acc, end = acc[:-1], acc[-1]
    j = np.clip(np.argmax(acc, axis=0), 1, fine - 1)
    y0, y1, y2 = acc[j - 1, cols], acc[j, cols], acc[j + 1, cols]
    den = y0 - 2 * y1 + y2
    smooth = np.where(den < 0, y1 - 0.125 * (y2 - y0) ** 2 / np.where(den < 0, den, -1.0), y1)
    # ü has a kink at the pulse's end (the force's slope jumps), where a heavily damped response peaks: there
    # the peak is |ü(τ)| itself, which no parabola fits and a first search, sampling the kink's flanks, can miss
    at_end = (t[j - 1, cols] <= tau) & (tau <= t[j + 1, cols])
    return np.maximum(np.where(at_end, y1, smooth), end)


@functools.lru_cache(maxsize=4096)
def _unit_peak(tau_s: float, natural_hz: float, damping: float) -> float:
    """:func:`unit_peak` of one (τ, f_n, ζ), searched once (a person's draw recurs in every activity and
    placement; the search is column by column, so one column gives the bits of a broadcast call)."""
    return float(unit_peak(tau_s, natural_hz, damping)[0])


def duration_s(natural_hz, damping, tau_s, floor: float = 1e-3) -> np.ndarray:
    """Time after which the transient's envelope is below ``floor`` of its start: τ + ln(1/floor)/(ζω)."""
    return np.asarray(tau_s) + math.log(1.0 / floor) / (np.asarray(damping) * 2 * np.pi * np.asarray(natural_hz))


# ------------------------------------------------------------------------------ contact events
@dataclass(frozen=True)
class ContactEvents:
    """Foot contacts found in a Motion: time (s), foot (0 left, 1 right), the activity label, the
    pelvis horizontal speed (m/s, over ±0.25 s) and the unit travel direction in the world (n, 3)."""

    times_s: np.ndarray
    foot: np.ndarray
    activity: tuple[str, ...]
    speed_mps: np.ndarray
    forward: np.ndarray

    def __len__(self) -> int:
        return int(self.times_s.size)


def _forward(root: np.ndarray, i: np.ndarray, half: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis horizontal speed (m/s) and unit travel direction (n, 3) over ± ``half`` frames around frames ``i``."""
    n = root.shape[0]
    a, b = np.clip(i - half, 0, n - 1), np.clip(i + half, 0, n - 1)
    d = (root[b] - root[a]) * np.array([1.0, 0.0, 1.0])
    dt = np.maximum(b - a, 1)[:, None] / fps
    v = d / dt
    speed = np.linalg.norm(v, axis=1)
    return speed, v / np.maximum(speed, 1e-9)[:, None]


def contact_events(motion) -> ContactEvents:
    """The foot contacts of the gait segments of a procedural-library ``motion``.

    The library's gaits expose their contact instants in ``meta["items"][k]["info"]["contact_s"]``
    (left, right; s from the start of the item's track, :func:`imuforge.motion.library.gait.contact_times`).
    A schedule starts item k ≥ 1 half a cross-fade (``meta["blend_s"] / 2``) before its label
    segment; only the contacts inside the item's own label segment are kept (in a cross-fade the
    contacts of the two activities are blended, the label says whose they are). Speed and travel
    direction: the pelvis over ± 0.25 s. Motions without contact instants (imported ones) give none.
    """
    items = (motion.meta or {}).get("items") or []
    labels = list(motion.labels)
    root = motion.positions[:, 0]
    times, feet, acts = [], [], []
    for k, item in enumerate(items):
        contacts = (item.get("info") or {}).get("contact_s")
        name = item.get("activity")
        if not contacts or name not in CONTACT_KIND or k >= len(labels):
            continue
        seg = labels[k]
        start = 0.0 if k == 0 else seg.start_s - float(motion.meta.get("blend_s", 0.0)) / 2
        for foot, ts in enumerate(contacts):
            t = start + np.asarray(ts, float)
            t = t[(t >= seg.start_s) & (t < seg.end_s) & (t <= motion.duration_s)]
            times.append(t)
            feet.append(np.full(t.size, foot))
            acts += [name] * t.size
    if not times:
        return ContactEvents(np.zeros(0), np.zeros(0, int), (), np.zeros(0), np.zeros((0, 3)))
    t, f = np.concatenate(times), np.concatenate(feet)
    order = np.argsort(t, kind="stable")
    i = np.clip(np.rint(t[order] * motion.fps).astype(int), 0, root.shape[0] - 1)
    speed, fwd = _forward(root, i, max(int(round(0.25 * motion.fps)), 1), motion.fps)
    return ContactEvents(t[order], f[order].astype(int), tuple(acts[j] for j in order), speed, fwd)


# ------------------------------------------------------------------------------- what is drawn
@dataclass(frozen=True)
class ImpactPerson:
    """One person's realised impact response: peak factor, force-pulse duration (s) per activity, and per
    site class (transmissibility, natural frequency Hz, damping ratio, pivot m, arrival pulse s or None)."""

    factor: float
    pulse_s: dict
    sites: dict
    key: str
    model: ImpactModel
    contact_lateral_h: float = 0.0

    def to_dict(self) -> dict:
        return {"factor": round(self.factor, 6), "pulse_s": {k: round(v, 6) for k, v in self.pulse_s.items()},
                "sites": {k: {"transmissibility": round(t, 6), "natural_hz": round(f, 6), "damping": round(z, 6),
                              "pivot_m": p, "pulse_s": None if q is None else round(q, 6)}
                          for k, (t, f, z, p, q) in self.sites.items()},
                "contact_lateral_h": round(self.contact_lateral_h, 6),
                "key": self.key, "switches": self.model.to_dict()}


def _rng(key: str, source: str) -> np.random.Generator:
    """``default_rng([crc32(key), crc32("impact"), crc32(source)])``, by :func:`.hardware.words_rng`."""
    return words_rng(zlib.crc32(key.encode()), zlib.crc32(b"impact"), zlib.crc32(source.encode()))


def draw_impact(key: str, model: ImpactModel | None = None, spread: ImpactSpread = DEFAULT_SPREAD) -> ImpactPerson:
    """A person's impact response, seeded by ``key`` (the wearer, :func:`~imuforge.sensors.wear.wear_key`)."""
    return _draw_impact(key, model or ImpactModel(), _Same(spread))  # drawn once per wearer, switches, spread


class _Same:
    """A cache key part that is its object by identity (and keeps it alive while cached)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


@functools.lru_cache(maxsize=4096)
def _draw_impact(key: str, model: ImpactModel, same: _Same) -> ImpactPerson:
    spread = same.obj
    r = _rng(key, "person")
    factor = float(math.exp(spread.person_sd * r.standard_normal()))
    pulse = {a: float(r.uniform(*spread.pulse_ms[a])) / 1000.0 for a in sorted(spread.pulse_ms)}
    sites = {}
    for name in sorted(spread.sites):
        sp = spread.sites[name]
        rs = _rng(key, "site:" + name)
        sites[name] = (float(rs.uniform(*sp.transmissibility)), float(rs.uniform(*sp.natural_hz)),
                       float(rs.uniform(*sp.damping)), sp.pivot_m,
                       None if sp.pulse_ms is None else float(rs.uniform(*sp.pulse_ms)) / 1000.0)
    lateral = float(_rng(key, "contact_lateral").uniform(*spread.contact_lateral_h))
    return ImpactPerson(factor, pulse, sites, key, model, lateral)


def tibial_peaks(events: ContactEvents, person: ImpactPerson, spread: ImpactSpread = DEFAULT_SPREAD) -> np.ndarray:
    """Peak of the transient at the contacting leg's tibia (m/s²) for each contact: activity and speed,
    times the person's factor and a per-step log-normal factor (seeded by the person and the contact's index)."""
    base = np.empty(len(events))
    for j, (act, v) in enumerate(zip(events.activity, events.speed_mps)):
        p0, slope, ref = spread.peak_g[act]
        base[j] = max(p0 + slope * (v - ref), 0.3 * p0) if slope else p0
    step = np.exp(spread.step_sd * _rng(person.key, "steps").standard_normal(len(events)))
    return G0 * person.factor * base * step


# ------------------------------------------------------------------------------- the streams
@dataclass(frozen=True)
class SiteTransients:
    """What one device receives, per contact (arrays of length n, sorted by time): contact time ``t`` (s),
    impulse ``dv`` (m/s), pulse ``tau`` (s), natural frequency ``fn`` (Hz), damping ``zeta``, the peak of
    ``ü`` at this site ``peak`` (m/s²), the unit pulse direction ``dir`` and the rocking axis per metre
    of ``u`` ``axis`` (rad/m), both (n, 3) in the sensor frame."""

    t: np.ndarray
    dv: np.ndarray
    tau: np.ndarray
    fn: np.ndarray
    zeta: np.ndarray
    peak: np.ndarray
    dir: np.ndarray
    axis: np.ndarray

    def select(self, idx) -> SiteTransients:
        """The contacts ``idx`` only (index array or slice)."""
        return SiteTransients(*(getattr(self, f.name)[idx] for f in fields(self)))


#: site classes on the trunk: they rock with the trunk's rigid-body response to the load at the stance hip
TRUNK_SITES = frozenset({"pelvis", "chest"})
#: de Leva (1996, *J Biomech* 29:1223, adjusting Zatsiorsky–Seluyanov), men's trunk segment
#: (suprasternale → mid-hip): centre of mass at 44.86 % of its length from suprasternale (women 41.51 %);
#: radii of gyration about its transverse (x: medio-lateral), longitudinal (y) and sagittal
#: (z: antero-posterior) axes, fractions of its length
TRUNK_COM_FROM_TOP = 0.4486
TRUNK_GYRATION = (0.347, 0.191, 0.372)


#: de Leva (1996) foot (heel → toe tip): centre of mass at 44.15 % of its length from the heel (men; women
#: 40.14 %); radii of gyration as fractions of its length: 0.245 and 0.257 about the two axes across the
#: foot (x: medio-lateral, y: vertical here), 0.124 about its long axis (z)
FOOT_COM_FROM_HEEL = 0.4415
FOOT_GYRATION = (0.245, 0.257, 0.124)
#: height of the foot's centre of mass above the sole, as a fraction of the ankle's (assumption: midway)
FOOT_COM_HEIGHT = 0.5


@dataclass(frozen=True)
class FootLever:
    """Per contact (n rows): the point where the ground first meets the contacting foot, from its ankle
    ``lever`` (m, foot frame: x the body's left, y up, z forward in the rest pose), and the foot's inertia
    tensor per unit mass about its ankle ``inertia`` (m², (3, 3), foot axes).

    The foot rocks about the ankle, struck where it lands: I θ̈ = r × (m ü d), i.e. θ = I⁻¹ (r × d) u, as the
    trunk about its centre of mass (:class:`TrunkLever`; about the ankle the centre of mass sits below and
    ahead, so the tensor is not diagonal in the foot's axes). A heel strike lands behind and below the
    ankle, which pitches the forefoot down; it lands on the heel's outer edge too
    (:data:`ImpactSpread.contact_lateral_h`), and about its long axis the foot is light (de Leva's radius
    there is half the others'), so the same load everts it about as fast as it pitches it (walking, median
    over the contacts: ≈ 10 rad per metre of ``u`` about the medio-lateral axis, 1–14 about the long one
    from the least to the largest ``contact_lateral_h``; the pivot model before, ℓ × d / ρ, turned the toes
    *up* by ≈ 8 rad/m). A forefoot contact (stairs) lands ahead of the ankle, on the outer metatarsal heads,
    and lifts the forefoot (≈ 7 rad/m going down, 17 going up, where the foot lands flatter).
    """

    lever: np.ndarray
    inertia: np.ndarray

    def rocking(self, d: np.ndarray) -> np.ndarray:
        """θ per metre of ``u`` (rad/m, (n, 3)) for unit load directions ``d`` (n, 3), in the foot frame."""
        return np.linalg.solve(self.inertia, cross(self.lever, d).T).T


def foot_levers(motion, events: ContactEvents, lateral_h: float) -> FootLever | None:
    """:class:`FootLever` of ``events`` from the skeleton's own foot (its heel and ball sole points,
    :data:`~imuforge.motion.skeleton.FOOT_POINTS`, scaled by the ankle → foot joint length against
    :data:`~imuforge.motion.skeleton.FOOT_JOINT`) and the person's lateral contact offset ``lateral_h``
    (fraction of the body height the foot is scaled by); None without the joints (an imported skeleton)."""
    from imuforge.motion.skeleton import ANKLE_HEIGHT, FOOT_JOINT, FOOT_POINTS

    sk = motion.skeleton
    if not {"left_ankle", "left_foot", "right_ankle", "right_foot"} <= set(sk.joints):
        return None
    ankle = np.array([sk.index("left_ankle"), sk.index("right_ankle")])
    foot = np.array([sk.index("left_foot"), sk.index("right_foot")])
    joint_m = np.median(np.linalg.norm(motion.positions[:, foot] - motion.positions[:, ankle], axis=2))
    scale = float(joint_m / np.linalg.norm(FOOT_JOINT))  # the body height the foot is scaled by
    heel, ball, toe = (np.array(FOOT_POINTS[k]) * scale for k in ("heel", "ball", "toe"))
    side = np.where(events.foot == 0, 1.0, -1.0)  # the outer edge: +x on the left foot, −x on the right
    fore = np.array([CONTACT_KIND[a] == "forefoot" for a in events.activity])
    lever = np.where(fore[:, None], ball, heel) + np.outer(side * lateral_h * scale, [1.0, 0.0, 0.0])
    length = toe[2] - heel[2]
    com = np.array([0.0, -FOOT_COM_HEIGHT * ANKLE_HEIGHT * scale, heel[2] + FOOT_COM_FROM_HEEL * length])
    # per unit mass: the principal radii at the centre of mass, moved to the ankle (Steiner, whole tensor)
    k2 = (np.asarray(FOOT_GYRATION) * length) ** 2
    inertia = np.diag(k2) + (com @ com) * np.eye(3) - np.outer(com, com)
    return FootLever(lever, inertia)


def on_trunk(placement: Placement) -> bool:
    """Whether a device at ``placement`` sits on the trunk (a site class of :data:`TRUNK_SITES`, whichever
    foot lands)."""
    return site_class(placement.segment, "left") in TRUNK_SITES


def on_foot(placement: Placement) -> bool:
    """Whether a device at ``placement`` sits on a foot (site class ``foot`` when that foot lands)."""
    return "foot" in (site_class(placement.segment, side) for side in ("left", "right"))


@dataclass(frozen=True)
class TrunkLever:
    """Per contact (n rows): the contacting hip joint's position from the trunk's centre of mass
    ``lever`` (m, trunk frame), the trunk's orientation ``rot`` (trunk → world, (n, 3, 3)) and its
    squared radii of gyration ``k2`` (m², (n, 3), trunk axes x, y, z).

    The ground's load reaches the trunk through the stance hip, off the trunk's centre of mass, so its
    transient displacement ``u d`` comes with a rotation: I θ̈ = r × (m ü d), i.e. θ = (r × d) u / k²
    per axis (I = m k²; the transient starts and ends at rest). The braking share of d at the hip, below
    the centre of mass, pitches the trunk forward; the vertical share at the hip's lateral offset rolls it
    towards the swing side; the braking share there turns it about the vertical. Per metre of u that is
    ≈ 2.5–3 rad about each axis in walking, up to ≈ 4 in fast running (the lever grows with hip flexion).

    Approximations: each trunk site turns with its own transient's ``u`` (the chest's is smaller and
    arrives later than the lower back's, so one rigid trunk turns ≈ 0.85 × as far at the chest), and the
    rocking's own linear acceleration at the device, θ̈ × (device − centre of mass), is not added: the
    site's transient ``ü d``, scaled by the published site / tibia transmissibility, stands for all that
    the site's accelerometer receives from the contact.
    """

    lever: np.ndarray
    rot: np.ndarray
    k2: np.ndarray


def trunk_levers(motion, frames: np.ndarray, feet: np.ndarray) -> TrunkLever | None:
    """:class:`TrunkLever` of the contacts at ``frames`` (left foot 0, right 1 in ``feet``) from the
    skeleton's own proportions: the trunk runs from the mid-hip to the neck (de Leva's suprasternale);
    None without those joints (an imported skeleton)."""
    from scipy.spatial.transform import Rotation

    sk = motion.skeleton
    if not {"left_hip", "right_hip", "neck", "spine3"} <= set(sk.joints):
        return None
    hips = np.array([sk.index("left_hip"), sk.index("right_hip")])
    neck = sk.index("neck")
    pos = motion.positions[frames]
    mid = pos[:, hips].mean(axis=1)
    length = np.linalg.norm(pos[:, neck] - mid, axis=1)
    com = mid + (1.0 - TRUNK_COM_FROM_TOP) * (pos[:, neck] - mid)
    rot = Rotation.from_quat(motion.orientations[frames, sk.index("spine3")]).as_matrix()
    lever = np.einsum("nji,nj->ni", rot, pos[np.arange(len(frames)), hips[feet]] - com)
    k2 = (np.asarray(TRUNK_GYRATION)[None, :] * length[:, None]) ** 2
    return TrunkLever(lever, rot, k2)


def site_transients(events: ContactEvents, peaks: np.ndarray, person: ImpactPerson, placement: Placement,
                    seg_rot: np.ndarray, spread: ImpactSpread = DEFAULT_SPREAD,
                    trunk: TrunkLever | None = None, foot: FootLever | None = None) -> SiteTransients:
    """Per contact, what a device at ``placement`` receives (:class:`SiteTransients`).

    ``seg_rot`` (n, 3, 3): the segment's orientation (segment → world) at each contact. ``trunk``: the
    lever of each contact's load about the trunk's centre of mass (:func:`trunk_levers`); a device on the
    trunk (site classes :data:`TRUNK_SITES`) then rocks with the whole trunk (:class:`TrunkLever`) instead of
    about its own pivot. ``foot``: the contact point of each contact from the ankle (:func:`foot_levers`); a
    device on the contacting foot then rocks about the ankle (:class:`FootLever`).
    """
    from imuforge.sensors.wear import long_axis

    n = len(events)
    cls = [site_class(placement.segment, ("left", "right")[int(f)]) for f in events.foot]
    T, fn, zeta, rho = (np.array([person.sites[c][k] for c in cls], float) for k in range(4))
    tau = np.array([person.pulse_s[SAME_PULSE.get(a, a)] for a in events.activity], float)
    arrival = np.array([np.nan if person.sites[c][4] is None else person.sites[c][4] for c in cls], float)
    tau = np.where(np.isnan(arrival), tau, np.fmax(tau, arrival))  # the load as it arrives at a remote site
    # one peak search per distinct (τ, f_n, ζ), remembered by _unit_peak: a person has a few per site
    unit = np.array([_unit_peak(*c) for c in zip(tau.tolist(), fn.tolist(), zeta.tolist())], float)
    dv = peaks * T / unit if n else np.zeros(0)
    up = np.array([0.0, 1.0, 0.0])
    d_w = up[None, :] - spread.backward * events.forward
    d_w /= np.linalg.norm(d_w, axis=1, keepdims=True)
    d_seg = np.einsum("nji,nj->ni", seg_rot, d_w)  # Rᵀ d
    axis_seg = cross(long_axis(placement.segment)[None, :], d_seg) / rho[:, None]
    if trunk is not None and on_trunk(placement):
        # d in the frame the lever is given in (the trunk's), the rocking brought back to the segment's
        d_tr = np.einsum("nji,nj->ni", trunk.rot, d_w)
        th = cross(trunk.lever, d_tr) / trunk.k2
        axis_seg = np.einsum("nji,njk,nk->ni", seg_rot, trunk.rot, th)
    struck = np.array([c == "foot" for c in cls], bool)
    if foot is not None and struck.any():  # the contacting foot rocks about its ankle
        axis_seg[struck] = foot.rocking(d_seg)[struck]
    mount = placement.rotation  # sensor → segment
    return SiteTransients(events.times_s, dv, tau, fn, zeta, peaks * T, d_seg @ mount, axis_seg @ mount)


def _windows(times: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flattened sample indices of every [t0, t1) window of ``times`` (sorted), and each one's window number."""
    a = np.searchsorted(times, t0, side="left")
    b = np.searchsorted(times, t1, side="left")
    lens = np.maximum(b - a, 0)
    owner = np.repeat(np.arange(a.size), lens)
    idx = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(a, lens)
    return idx, owner


def _free_state(tr: SiteTransients, uT: np.ndarray, vT: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per contact: λ = −σ + iω_d and c = D₁ − iD₂, so that after the pulse ``u = Re(c e^{λ(t − t_c − τ)})``;
    ``uT``, ``vT``: u and u̇ at the pulse's end (:func:`pulse_response` at t = τ)."""
    w = 2 * np.pi * tr.fn
    lam = -tr.zeta * w + 1j * w * np.sqrt(1 - tr.zeta ** 2)
    return lam, uT - 1j * (vT - lam.real * uT) / lam.imag


def transient_sums(times: np.ndarray, tr: SiteTransients, acc: np.ndarray | None = None,
                   rate: np.ndarray | None = None, tilt: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Σ over contacts of ü·dir (m/s²) and θ̇ = u̇·axis (rad/s) at ``times``, (n, 3) each, added to
    ``acc`` / ``rate`` when given (else to zeros); with ``tilt`` given, θ = u·axis (rad) is added to it too.

    During each pulse (t_c ≤ t < t_c + τ) :func:`pulse_response` is evaluated; after it the free
    vibration ``u = Re(c e^{λx})`` (``λ = −σ + iω_d``, ``u̇ = Re λz``, ``ü = Re λ²z``) until its envelope
    is below 1e-3 of its start (:func:`duration_s`). Windows of successive contacts may overlap.
    """
    n = times.size
    acc = np.zeros((n, 3)) if acc is None else acc
    rate = np.zeros((n, 3)) if rate is None else rate
    t_c, tau = tr.t, tr.tau
    i1, o1 = _windows(times, t_c, t_c + tau)
    # one evaluation (elementwise): the samples during each pulse, then every contact at its pulse's end
    m, at = i1.size, np.concatenate([o1, np.arange(t_c.size)])
    u, ud, udd = pulse_response(np.concatenate([times[i1] - t_c[o1], tau]), tr.dv[at], tau[at], tr.fn[at],
                                tr.zeta[at])
    u1, ud1, udd1 = u[:m], ud[:m], udd[:m]
    lam, c = _free_state(tr, u[m:], ud[m:])
    i2, o2 = _windows(times, t_c + tau, t_c + duration_s(tr.fn, tr.zeta, tau))
    z = (c * lam)[o2] * np.exp(lam[o2] * (times[i2] - t_c[o2] - tau[o2]))  # λ c e^{λx}: u̇
    idx, own = np.concatenate([i1, i2]), np.concatenate([o1, o2])
    sums = [(acc, np.concatenate([udd1, (lam[o2] * z).real]), tr.dir),
            (rate, np.concatenate([ud1, z.real]), tr.axis)]
    if tilt is not None:
        sums.append((tilt, np.concatenate([u1, (z / lam[o2]).real]), tr.axis))
    from imuforge.sensors.kinematics import _kernels

    fused = _kernels is not None and hasattr(_kernels, "scatter_rows")
    for out, x, vec in sums:
        if fused and out.dtype == np.float64 and out.flags.c_contiguous and out.shape == (n, 3):
            # one pass: the same products, summed per sample in the same order as the bincounts
            c = np.ascontiguousarray
            _kernels.scatter_rows(out, n, c(idx, dtype=np.int64), c(own, dtype=np.int64), c(x, dtype=float),
                                  c(vec, dtype=float), len(vec))
            continue
        cols = np.ascontiguousarray(vec.T)[:, own]
        for k in range(3):
            out[:, k] += np.bincount(idx, x * cols[k], minlength=n)
    return acc, rate


def add_transients(times: np.ndarray, acc: np.ndarray, gyro: np.ndarray, tr: SiteTransients,
                   model: ImpactModel) -> None:
    """Add the transients ``tr`` (:func:`site_transients`) to one device's streams at ``times``, in place.

    ``acc`` specific force and ``gyro`` rate, (n, 3) in the sensor frame: translation ``acc + ü d``,
    rotation ``gyro + θ̇`` and the rocked frame's view of the specific force, ``acc − θ × acc``
    (small θ: up to ≈ 0.03 rad at the lower back in brisk walking, 0.06 going downstairs, 0.13 running at
    4.5 m/s, where the turned gravity is ≈ 1 m/s²). The magnetic field's turn by θ is left out.
    """
    if tr.t.size == 0 or not model.any or times.size == 0:
        return
    times = np.asarray(times, float)
    theta = np.zeros((times.size, 3)) if model.rotation else None
    rigid = acc.copy() if model.rotation else None
    transient_sums(times, tr, acc if model.translation else None, gyro if model.rotation else None, theta)
    if model.rotation:
        acc -= cross(theta, rigid)


@dataclass(frozen=True)
class ImpactPlan:
    """The impacts of one simulation: the person's draw, the contacts, their tibial peaks and, per
    placement, the transients its device receives (:func:`site_transients`) and how it rocks (``"trunk"``:
    with the whole trunk, :class:`TrunkLever`; ``"ankle"``: a foot device about its ankle at its own foot's
    contacts, :class:`FootLever`, and about its pivot at the other's; ``"pivot"``: about its segment's
    pivot)."""

    person: ImpactPerson
    events: ContactEvents
    peaks: np.ndarray
    sites: tuple
    rocking: tuple = ()

    def to_dict(self, i: int) -> dict:
        """Provenance of placement ``i``: the draw, the number of contacts per activity, the peaks at this site."""
        counts = {a: self.events.activity.count(a) for a in sorted(set(self.events.activity))}
        site_peak = self.sites[i].peak
        stats = (lambda x: {"median": round(float(np.median(x)), 4), "max": round(float(np.max(x)), 4)}
                 if x.size else None)
        return self.person.to_dict() | {"contacts": counts, "tibial_peak_mps2": stats(self.peaks),
                                        "site_peak_mps2": stats(site_peak), "rocking": self.rocking[i]}


def plan_impacts(motion, placements, model: ImpactModel | str | bool | None, key: str,
                 spread: ImpactSpread | None = None) -> ImpactPlan | None:
    """What every device receives from the motion's foot contacts; None when the model is off or there are none.

    ``spread`` defaults to the module's :data:`DEFAULT_SPREAD`.
    """
    from scipy.spatial.transform import Rotation

    spread = spread or DEFAULT_SPREAD

    model = ImpactModel.parse(model)
    if not model.any:
        return None
    events = contact_events(motion)
    if len(events) == 0:
        return None
    person = draw_impact(key, model, spread)
    peaks = tibial_peaks(events, person, spread)
    frames = np.clip(np.rint(events.times_s * motion.fps).astype(int), 0, motion.n_frames - 1)
    trunk = trunk_levers(motion, frames, events.foot)
    placements = list(placements)
    # the foot's lever only where a device sits on a foot (not on the hot path of every other placement)
    foot = foot_levers(motion, events, person.contact_lateral_h) if any(map(on_foot, placements)) else None
    sites, rocking = [], []
    for pl in placements:
        seg, _ = pl.joints(motion.skeleton)
        rot = Rotation.from_quat(motion.orientations[frames, seg]).as_matrix()
        sites.append(site_transients(events, peaks, person, pl, rot, spread, trunk, foot))
        rocking.append("trunk" if trunk is not None and on_trunk(pl) else
                       "ankle" if foot is not None and on_foot(pl) else "pivot")
    return ImpactPlan(person, events, peaks, tuple(sites), tuple(rocking))


__all__ = ["CONTACT_KIND", "DEFAULT_SPREAD", "ContactEvents", "ImpactModel", "ImpactPerson", "ImpactPlan",
           "FootLever", "ImpactSpread", "SiteSpread", "SiteTransients", "TrunkLever", "add_transients",
           "contact_events", "foot_levers",
           "draw_impact", "duration_s", "on_foot", "on_trunk", "plan_impacts", "pulse_response", "site_class",
           "site_transients",
           "tibial_peaks", "transient_sums", "trunk_levers", "unit_peak"]

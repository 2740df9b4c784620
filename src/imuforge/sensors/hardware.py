"""The hardware error model: pure, vectorised functions, applied by :func:`simulate` in the
physical order of a MEMS IMU's signal chain.

1. digital low-pass (the chip's bandwidth setting), modelled as a causal Butterworth;
2. sampling at the ODR as set by the device's clock (error in ppm) with timestamp jitter;
3. bias: turn-on constant plus bias-instability drift (first-order Gauss–Markov);
4. scale-factor and cross-axis / misalignment matrix;
5. gyro g-sensitivity (rate error proportional to specific force);
6. white noise of the datasheet density over the filter's equivalent noise bandwidth;
7. saturation at the configured range;
8. quantisation to the LSB of that range and bit depth;
9. dropped samples.

Every stochastic term draws from its own seeded stream (:func:`term_rng`), so switching one term
off leaves the realisation of all others unchanged.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np
from numpy.random.bit_generator import ISeedSequence
from scipy.signal import butter, lfilter, sosfilt, sosfilt_zi

from imuforge.errors import ValidationError
from imuforge.switches import Switches

try:  # the compiled kernel (optional: term_rng falls back to numpy's SeedSequence)
    from imuforge.sensors import _kernels
except ImportError:
    _kernels = None


@dataclass(frozen=True)
class ErrorTerms(Switches):
    """Which terms of the error model are on. All are on by default; ``ErrorTerms.parse`` reads ``"none"``,
    ``"all"``, a comma list of the terms to turn on, or a bool."""

    WHAT: ClassVar[str] = "error term"

    filter: bool = True
    clock: bool = True
    jitter: bool = True
    bias: bool = True
    bias_drift: bool = True
    scale: bool = True
    cross_axis: bool = True
    g_sensitivity: bool = True
    noise: bool = True
    saturation: bool = True
    quantisation: bool = True
    drops: bool = True

    @classmethod
    def only(cls, *names: str) -> ErrorTerms:
        """Only the named terms on, e.g. ``ErrorTerms.only("noise", "quantisation")`` (:meth:`parse` of their
        comma list)."""
        return cls.parse(",".join(names)) if names else cls.none()


def term_rng(seed: int, term: str, stream: str = "") -> np.random.Generator:
    """An independent generator for one error term (and sensor), derived from the seed:
    :func:`words_rng` of ``(seed & 0xFFFFFFFF, crc32(term), crc32(stream))``."""
    return words_rng(int(seed) & 0xFFFFFFFF, zlib.crc32(term.encode()), zlib.crc32(stream.encode()))


def words_rng(w0: int, w1: int, w2: int) -> np.random.Generator:
    """``np.random.default_rng([w0, w1, w2])`` for three words in [0, 2³²), i.e.
    ``Generator(PCG64(SeedSequence([w0, w1, w2])))``, without its per-call overhead.

    Without the compiled kernel the words are handed to the seed sequence as the uint32 array it makes of
    the list (the same state), which skips its per-element conversion of a list. With the kernel the seed
    sequence's hash runs there (``_kernels.seed_state``: the 4 words PCG64 asks of it, the same bits) and the
    generator's ``bit_generator.seed_seq`` is only a holder of those words (:class:`_SeedState`: it cannot
    spawn).
    """
    if _kernels is not None and hasattr(_kernels, "seed_state"):
        state = np.empty(4, np.uint64)
        _kernels.seed_state(w0, w1, w2, state)
        return np.random.Generator(np.random.PCG64(_SeedState(state)))
    words = np.array([w0, w1, w2], dtype=np.uint32)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


class _SeedState(ISeedSequence):
    """The state a :class:`numpy.random.SeedSequence` generates for PCG64 (``generate_state(4, np.uint64)``,
    the one request PCG64 makes of its seed sequence), already computed."""

    __slots__ = ("_state",)

    def __init__(self, state: np.ndarray):
        self._state = state

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("only PCG64's request (4 words of uint64) is held")
        return self._state


def lowpass(x: np.ndarray, fs_hz: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Causal Butterworth low-pass along axis 0, started in steady state on the first sample.

    A real chip's filter has been running before the recording starts, so there is no start-up
    transient (a still sensor reads gravity from the first sample).
    """
    sos = lowpass_sos(fs_hz, cutoff_hz, order)
    zi = steady_state_zi(sos)[:, :, None] * x[0][None, None, :]
    y, _ = sosfilt(sos, x, axis=0, zi=zi)
    return y


def lowpass_sos(fs_hz: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Second-order sections (n_sec, 6) of the chip's Butterworth low-pass used by :func:`lowpass` (designs cached)."""
    if not 0 < cutoff_hz < fs_hz / 2:
        raise ValidationError(f"filter cutoff {cutoff_hz} Hz must lie in (0, fs/2 = {fs_hz / 2} Hz)")
    return _butter_sos(float(fs_hz), float(cutoff_hz), int(order)).copy()


@lru_cache(maxsize=128)
def _butter_sos(fs_hz: float, cutoff_hz: float, order: int) -> np.ndarray:
    sos = butter(order, cutoff_hz, fs=fs_hz, output="sos")
    sos.setflags(write=False)
    return sos


@lru_cache(maxsize=128)
def _unit_zi(sos_bytes: bytes, n_sec: int) -> np.ndarray:
    zi = sosfilt_zi(np.frombuffer(sos_bytes).reshape(n_sec, 6))
    zi.setflags(write=False)
    return zi


def steady_state_zi(sos: np.ndarray) -> np.ndarray:
    """(n_sec, 2) filter state of ``sos`` in steady state for a unit step (``scipy.signal.sosfilt_zi``, cached)."""
    sos = np.ascontiguousarray(sos, dtype=float)
    return _unit_zi(sos.tobytes(), sos.shape[0])


def sample_instants(duration_s: float, odr_hz: float, clock_ppm: float = 0.0, start_s: float = 0.0) -> np.ndarray:
    """True times (s) of samples taken every ``1/odr_hz`` of a device clock running ``clock_ppm`` fast.

    A clock fast by e ppm makes ``odr·(1 + e·1e-6)`` samples per true second.
    """
    rate = odr_hz * (1.0 + clock_ppm * 1e-6)
    n = int(np.floor(duration_s * rate + 1e-9)) + 1
    return start_s + np.arange(n) / rate


def gauss_markov(n: int, dt_s: float, sigma: float, tau_s: float, rng: np.random.Generator,
                 axes: int = 3) -> np.ndarray:
    """First-order Gauss–Markov process, stationary std ``sigma``, correlation time ``tau_s``.

    ``x[k] = φ x[k−1] + w[k]`` with ``φ = exp(−dt/τ)`` and ``w ~ N(0, σ²(1 − φ²))``; the first value
    is drawn from the stationary distribution.
    """
    if sigma == 0 or n == 0:
        return np.zeros((n, axes))
    phi = np.exp(-dt_s / tau_s)
    w = rng.standard_normal((n, axes)) * sigma * np.sqrt(1.0 - phi**2)
    x0 = rng.standard_normal(axes) * sigma
    y, _ = lfilter([1.0], [1.0, -phi], w, axis=0, zi=(phi * x0)[None, :])
    return y


def gm_sigma_for_bias_instability(bias_instability: float) -> float:
    """Gauss–Markov sigma whose Allan-deviation peak equals the IEEE bias-instability floor.

    The Allan deviation of a first-order GM process peaks at ≈ 0.6159·σ (at T ≈ 1.89 τ); an IEEE
    bias-instability B shows as a floor of 0.6643·B. So σ = 0.6643 / 0.6159 · B ≈ 1.0786·B.
    """
    return bias_instability * 0.6643 / 0.6159


def misalignment_matrix(scale_sd: float, cross_sd: float, rng: np.random.Generator) -> np.ndarray:
    """``I + diag(s) + C``: per-axis scale error s ~ N(0, scale_sd), off-diagonal C ~ N(0, cross_sd)."""
    m = np.empty(9)
    m[_DIAGONAL] = 1.0 + rng.standard_normal(3) * scale_sd
    # row by row; + 0.0: a zero spread gives 0, not −0 (as the identity's zeros plus a draw did)
    m[_OFF_DIAGONAL] = rng.standard_normal(6) * cross_sd + 0.0
    return m.reshape(3, 3)


#: the flat (row-major) indices of a 3×3 matrix's diagonal and of the rest
_DIAGONAL, _OFF_DIAGONAL = np.array([0, 4, 8]), np.array([1, 2, 3, 5, 6, 7])


def saturation_limits(sensor, quantised: bool = True) -> tuple[float, float]:
    """Lowest and highest value a sensor outputs (SI).

    With quantisation on, the nominal range bounded by the signed output word
    (``SensorModel.output_limits_si``: the largest code is 2^(b−1) − 1); without it, ±range.
    """
    return sensor.output_limits_si if quantised else (-sensor.range_si, sensor.range_si)


def saturate(x: np.ndarray, sensor, quantised: bool = True) -> np.ndarray:
    """Clip to the sensor's output limits (see :func:`saturation_limits`)."""
    return np.clip(x, *saturation_limits(sensor, quantised))


def quantise(x: np.ndarray, lsb_si: float) -> np.ndarray:
    """Round to the nearest multiple of the LSB (round half to even, like numpy)."""
    return np.round(x / lsb_si) * lsb_si


def to_counts(x: np.ndarray, lsb_si: float, bits: int) -> np.ndarray:
    """SI values → signed integer output codes, clipped to the word length."""
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return np.clip(np.round(x / lsb_si), lo, hi).astype(np.int64)

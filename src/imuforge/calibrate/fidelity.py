"""Fidelity metrics: how close synthetic data are to real captures.

* per channel: 1-Wasserstein distance (in the channel's SI unit) and the two-sample
  Kolmogorov–Smirnov statistic (0 = identical distributions, 1 = disjoint);
* per channel: Welch power spectral densities and their log-spectral distance (dB rms over the
  common band, 0.1 Hz … the lower Nyquist frequency);
* a classifier two-sample test: window features (mean, sd, percentiles, range, spectral
  centroid per channel) labelled synthetic / real, logistic regression and a small random
  forest, ROC AUC by stratified 5-fold cross-validation. AUC 0.5 = the classifier cannot tell
  synthetic from real; 1.0 = it always can.

Synthetic recordings are resampled to the real rate before any comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.signal import welch
from scipy.stats import ks_2samp, wasserstein_distance

from imuforge.errors import ValidationError
from imuforge.recording import Recording
from imuforge.resample import resample


def resample_recording(rec: Recording, rate_hz: float, *, max_gap_periods: float = 1.5) -> Recording:
    """``rec`` at ``rate_hz`` with gaps kept as gaps: :func:`imuforge.resample.resample`."""
    return resample(rec, rate_hz, max_gap_periods=max_gap_periods)


def _pooled(recs, channels) -> np.ndarray:
    return np.concatenate([r.pick(channels).data for r in recs])


def distribution_distances(synthetic, real, channels) -> dict[str, dict[str, float]]:
    """Per channel ``{"wasserstein": W1 (SI unit), "ks": D, "real_sd": sd of real}``."""
    Xs, Xr = _pooled(synthetic, channels), _pooled(real, channels)
    out = {}
    for i, ch in enumerate(channels):
        out[ch] = {"wasserstein": float(wasserstein_distance(Xs[:, i], Xr[:, i])),
                   "ks": float(ks_2samp(Xs[:, i], Xr[:, i]).statistic),
                   "real_sd": float(np.std(Xr[:, i]))}
    return out


def mean_psd(recs, channels, rate_hz: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD averaged over recordings (weighted by length): ``(f, P (n_f, n_channels))``."""
    acc, w = None, 0.0
    f = None
    for r in recs:
        x = r.pick(channels).data
        if x.shape[0] < nperseg:
            continue
        f, p = welch(x, fs=rate_hz, nperseg=nperseg, axis=0)
        acc = p * x.shape[0] if acc is None else acc + p * x.shape[0]
        w += x.shape[0]
    if acc is None:
        raise ValidationError(f"no recording is long enough for a PSD ({nperseg} samples)")
    return f, acc / w


def psd_comparison(synthetic, real, channels, rate_hz: float) -> dict[str, Any]:
    """PSDs of both at ``rate_hz`` and the log-spectral distance per channel (dB)."""
    shortest = min(len(r) for r in list(synthetic) + list(real))
    nperseg = int(min(256, max(8, 2 ** int(np.floor(np.log2(max(8, min(shortest, 4 * rate_hz))))))))
    f, ps = mean_psd(synthetic, channels, rate_hz, nperseg)
    _, pr = mean_psd(real, channels, rate_hz, nperseg)
    band = f >= 0.1
    eps = 1e-12
    lsd = np.sqrt(np.mean((10 * np.log10((ps[band] + eps) / (pr[band] + eps))) ** 2, axis=0))
    return {"f_hz": f.tolist(), "synthetic": ps.T.tolist(), "real": pr.T.tolist(), "nperseg": nperseg,
            "log_spectral_distance_db": {ch: float(v) for ch, v in zip(channels, lsd)}}


def window_features(recs, channels, rate_hz: float, window_s: float = 2.0) -> np.ndarray:
    """Features of non-overlapping windows: per channel mean, sd, p10, p50, p90, range, spectral centroid."""
    n = max(4, int(round(window_s * rate_hz)))
    feats = []
    for r in recs:
        x = r.pick(channels).data
        m = (x.shape[0] // n) * n
        if m == 0:
            continue
        w = x[:m].reshape(-1, n, x.shape[1])
        p = np.percentile(w, [10, 50, 90], axis=1)
        spec = np.abs(np.fft.rfft(w - w.mean(axis=1, keepdims=True), axis=1)) ** 2
        fr = np.fft.rfftfreq(n, 1.0 / rate_hz)[None, :, None]
        centroid = (spec * fr).sum(axis=1) / np.maximum(spec.sum(axis=1), 1e-18)
        feats.append(np.concatenate([w.mean(axis=1), w.std(axis=1), p[0], p[1], p[2],
                                     w.max(axis=1) - w.min(axis=1), centroid], axis=1))
    if not feats:
        return np.empty((0, 7 * len(channels)))
    return np.concatenate(feats)


#: windows each side needs for the two-sample test (2-s windows: 20 s of capture): with fewer, each of its
#: folds scores a handful of real windows, and an AUC of 2 real windows reads 0.1 or 1.0 by chance alone
MIN_TWO_SAMPLE_WINDOWS = 10


def classifier_two_sample_test(synthetic, real, channels, rate_hz: float, *, window_s: float = 2.0,
                               seed: int = 0, folds: int = 5) -> dict[str, Any]:
    """Cross-validated ROC AUC of classifiers telling synthetic windows from real ones.

    The synthetic side is subsampled to at most 5× the real windows (classes stay learnable,
    runtime bounded). Returns AUC per classifier (mean and sd over folds) and window counts.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    Fs = window_features(synthetic, channels, rate_hz, window_s)
    Fr = window_features(real, channels, rate_hz, window_s)
    rng = np.random.default_rng(seed)
    if len(Fs) > 5 * len(Fr):
        Fs = Fs[rng.choice(len(Fs), 5 * len(Fr), replace=False)]
    k = min(folds, len(Fs), len(Fr))
    if min(len(Fs), len(Fr)) < MIN_TWO_SAMPLE_WINDOWS:
        return {"skipped": f"too few {window_s:g}-s windows to tell the sides apart ({len(Fs)} synthetic, "
                           f"{len(Fr)} real; need >= {MIN_TWO_SAMPLE_WINDOWS} each)",
                "windows": {"synthetic": int(len(Fs)), "real": int(len(Fr))}}
    X = np.vstack([Fs, Fr])
    y = np.concatenate([np.zeros(len(Fs)), np.ones(len(Fr))])
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    models = {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0)),
        "random_forest": RandomForestClassifier(n_estimators=100, max_depth=6, random_state=seed, n_jobs=1),
    }
    out: dict[str, Any] = {"windows": {"synthetic": int(len(Fs)), "real": int(len(Fr))}, "window_s": window_s,
                           "folds": k}
    for name, model in models.items():
        s = cross_val_score(model, X, y, cv=cv, scoring="roc_auc")
        out[name] = {"auc": float(s.mean()), "auc_sd": float(s.std())}
    return out


#: how far the capture's recordings' rates may differ (relative) and still be one device's rate (a phone's
#: measured rate moves by a few tenths of a percent between sessions)
CAPTURE_RATE_SPREAD = 0.05


def rate_groups(reals: Sequence[Recording]) -> list[tuple[float, float, int]]:
    """The capture's rates grouped within :data:`CAPTURE_RATE_SPREAD`: (median rate Hz, seconds, recordings)
    per group, the most seconds first."""
    groups: list[list[Recording]] = []
    for r in sorted(reals, key=lambda r: r.rate_hz):
        if groups and r.rate_hz <= groups[-1][0].rate_hz * (1.0 + CAPTURE_RATE_SPREAD):
            groups[-1].append(r)
        else:
            groups.append([r])
    out = [(float(np.median([r.rate_hz for r in g])), float(sum(r.duration_s for r in g)), len(g))
           for g in groups]
    return sorted(out, key=lambda g: -g[1])


def capture_rate(reals: Sequence[Recording]) -> float:
    """The rate the synthetic data take: the capture's, or where its recordings come at several rates (two
    devices), the rate of most of its seconds (a median of two devices' rates would be a rate neither has)."""
    return rate_groups(reals)[0][0]


def fidelity(synthetic, real, channels=None, *, rate_hz: float | None = None, seed: int = 0) -> dict[str, Any]:
    """All metrics of ``synthetic`` against ``real`` (synthetic resampled to the real rate); each a Recording
    or several."""
    synthetic, real = ([x] if isinstance(x, Recording) else list(x) for x in (synthetic, real))
    rate = rate_hz or capture_rate(real)
    synthetic = [resample_recording(r, rate) for r in synthetic]
    real = [resample_recording(r, rate) for r in real]
    if channels is None:
        common = set.intersection(*(set(r.channels) for r in synthetic + real))
        channels = [c for c in real[0].channels if c in common]
    channels = list(channels)
    return {"rate_hz": rate, "channels": channels,
            "distances": distribution_distances(synthetic, real, channels),
            "psd": psd_comparison(synthetic, real, channels, rate),
            "two_sample": classifier_two_sample_test(synthetic, real, channels, rate, seed=seed)}

"""Windowing, resampling, label policies and subject-wise splits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imuforge.datasets import (
    Windows,
    balanced_sample,
    loso_splits,
    make_windows,
    resample_stretches,
    subject_split,
    window_length,
)
from imuforge.errors import MissingChannelsError, ValidationError
from imuforge.recording import Recording

CH = ("acc_x", "acc_y", "acc_z")


def _rec(n, rate, labels=(), subject="s", f=1.0, t0=0.0):
    t = t0 + np.arange(n) / rate
    data = np.column_stack([np.sin(2 * np.pi * f * t), np.cos(2 * np.pi * f * t), np.full(n, 9.81)])
    return Recording(t, data, CH, rate, labels=labels, subject=subject)


def test_window_count_and_shape():
    rec = _rec(1000, 50.0, labels=[(0, 20, "walking")])
    w = make_windows(rec, window_s=2.56, stride_s=1.28, rate_hz=50.0, channels=CH)
    assert w.X.shape == (1 + (1000 - 128) // 64, 128, 3)
    assert set(w.labels) == {"walking"}
    assert w.X.dtype == np.float32
    np.testing.assert_allclose(w.X[1, :, 0], rec.data[64:192, 0], atol=1e-6)


def test_resampling_keeps_a_sinusoid_and_antialiases():
    # 2 Hz tone + 40 Hz tone at 200 Hz → 50 Hz: the 2 Hz survives, 40 Hz (above the new Nyquist) is removed
    rate = 200.0
    t = np.arange(4000) / rate
    data = np.column_stack([np.sin(2 * np.pi * 2 * t) + np.sin(2 * np.pi * 40 * t), np.zeros_like(t), np.zeros_like(t)])
    rec = Recording(t, data, CH, rate)
    [(tt, d)] = resample_stretches(rec, 50.0, CH)
    assert np.allclose(np.diff(tt), 0.02)
    inner = slice(100, -100)
    np.testing.assert_allclose(d[inner, 0], np.sin(2 * np.pi * 2 * tt[inner]), atol=0.03)


def test_upsampling_and_jitter_interpolated():
    rng = np.random.default_rng(0)
    t = np.arange(500) / 20.0 + rng.uniform(-0.002, 0.002, 500)
    data = np.column_stack([np.sin(2 * np.pi * 0.5 * t)] * 3)
    rec = Recording(np.sort(t), data, CH, 20.0)
    [(tt, d)] = resample_stretches(rec, 50.0, CH)
    inner = slice(50, -50)
    np.testing.assert_allclose(d[inner, 0], np.sin(2 * np.pi * 0.5 * tt[inner]), atol=0.02)


def test_gaps_split_stretches_and_windows_never_cross_them():
    t = np.concatenate([np.arange(300), np.arange(400, 700)]) / 50.0
    rec = Recording(t, np.zeros((600, 3)), CH, 50.0, labels=[(0, 20, "standing")])
    stretches = resample_stretches(rec, 50.0, CH)
    assert len(stretches) == 2
    w = make_windows(rec, window_s=2.0, stride_s=1.0, rate_hz=50.0, channels=CH)
    assert len(w) == 2 * (1 + (300 - 100) // 50)


@pytest.mark.parametrize("policy,expected", [("majority", ["walking", "walking", "running", "running"]),
                                             ("pure", ["walking", "running"]),
                                             ("center", ["walking", "walking", "running", "running"])])
def test_label_policies_at_boundaries(policy, expected):
    # 10 Hz, windows of 2 s every 1 s; walking [0, 2.6) then running [2.6, 5)
    rec = _rec(50, 10.0, labels=[(0, 2.6, "walking"), (2.6, 5.0, "running")])
    w = make_windows(rec, window_s=2.0, stride_s=1.0, rate_hz=10.0, channels=CH, label_policy=policy)
    assert w.labels.tolist() == expected
    assert sum(w.dropped.values()) + len(w) == 4
    if policy == "pure":
        assert w.dropped["mixed_labels"] == 2


def test_majority_needs_min_fraction():
    # a window 60 % walking / 40 % running is kept with min_fraction 0.5 and dropped with 0.7
    rec = _rec(20, 10.0, labels=[(0, 1.2, "walking"), (1.2, 2.0, "running")])
    kw = dict(window_s=2.0, stride_s=1.0, rate_hz=10.0, channels=CH)
    assert make_windows(rec, min_fraction=0.5, **kw).labels.tolist() == ["walking"]
    w = make_windows(rec, min_fraction=0.7, **kw)
    assert len(w) == 0 and w.dropped["mixed_labels"] == 1


def test_unlabelled_and_excluded_windows_are_counted_not_silently_dropped():
    rec = _rec(100, 10.0, labels=[(0, 4, "walking"), (4, 6, "cycling")])
    w = make_windows(rec, window_s=2.0, stride_s=2.0, rate_hz=10.0, channels=CH, keep_labels=["walking"])
    assert w.labels.tolist() == ["walking", "walking"]
    assert w.dropped["unlabelled"] == 2 and w.dropped["excluded_label:cycling"] == 1
    assert len(w) + sum(w.dropped.values()) == 5


def test_bad_arguments_are_named():
    rec = _rec(100, 10.0)
    with pytest.raises(ValidationError, match="label policy"):
        make_windows(rec, window_s=2, stride_s=1, rate_hz=10, channels=CH, label_policy="mode")
    with pytest.raises(MissingChannelsError, match="lacks channel") as e:
        make_windows(rec, window_s=2, stride_s=1, rate_hz=10, channels=("gyro_x",))
    assert e.value.missing == ("gyro_x",) and e.value.held == tuple(rec.channels)
    with pytest.raises(ValidationError, match="holds 0 samples"):
        window_length(0.01, 10)


def _toy_windows(groups, labels):
    n = len(groups)
    return Windows(np.zeros((n, 4, 1), np.float32), np.array(labels, object), np.array(groups, object),
                   np.array(groups, object), ("acc_x",), 10.0, 0.4, 0.4)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=4, max_size=60), st.integers(0, 1000),
       st.floats(0.1, 0.6))
def test_subject_split_never_leaks_a_subject(subjects, seed, frac):
    groups = [f"subject:{s}" for s in subjects]
    if len(set(groups)) < 2:
        return
    w = _toy_windows(groups, ["walking" if s % 2 else "running" for s in subjects])
    tr, va = subject_split(w, frac, seed=seed)
    assert va.any() and tr.any()
    assert not set(w.groups[tr]) & set(w.groups[va])
    assert (tr ^ va).all()
    tr2, va2 = subject_split(w, frac, seed=seed)
    assert (va == va2).all()


def test_subject_split_keeps_every_label_in_training_first():
    """A walked and ran, B walked, ran and climbed stairs, C walked: only B holds stairs, so B trains;
    of the others, A sends the most labels to validation."""
    groups = ["subject:a"] * 2 + ["subject:b"] * 3 + ["subject:c"]
    labels = ["walking", "running", "walking", "running", "stairs_up", "walking"]
    w = _toy_windows(groups, labels)
    for seed in range(5):
        tr, va = subject_split(w, 0.3, seed=seed)
        assert set(w.groups[va]) == {"subject:a"} and set(w.labels[tr]) == set(labels)


def test_subject_split_gives_every_class_a_validation_subject_when_it_can():
    """A and B walked and stood, C and D sat and ran: one validation subject (0.2 of 4) leaves two classes
    without validation windows, whichever it is; two (one of each pair) validate and train every class."""
    groups = ["subject:a"] * 2 + ["subject:b"] * 2 + ["subject:c"] * 2 + ["subject:d"] * 2
    labels = ["walking", "standing"] * 2 + ["sitting", "running"] * 2
    w = _toy_windows(groups, labels)
    for seed in range(5):
        tr, va = subject_split(w, 0.2, seed=seed)
        assert set(w.labels[va]) == set(labels) and set(w.labels[tr]) == set(labels)
        assert len(set(w.groups[va])) == 2
    # when one subject already covers every class, the split keeps to val_fraction
    w = _toy_windows(groups, ["walking", "standing"] * 4)
    assert len(set(w.groups[subject_split(w, 0.2, seed=1)[1]])) == 1


def test_subject_split_needs_two_subjects():
    with pytest.raises(ValidationError, match="at least 2"):
        subject_split(_toy_windows(["subject:a"] * 3, ["walking"] * 3))


def test_loso_covers_every_subject_once():
    w = _toy_windows(["a", "a", "b", "c", "c"], ["walking"] * 5)
    folds = list(loso_splits(w))
    assert [g for g, _, _ in folds] == ["a", "b", "c"]
    tests = np.sum([te for _, _, te in folds], axis=0)
    assert (tests == 1).all()
    for g, tr, te in folds:
        assert g not in set(w.groups[tr])


def test_balanced_sample_is_balanced_and_shuffled():
    labels = np.array(["walking"] * 90 + ["running"] * 8 + ["standing"] * 2)
    idx = balanced_sample(labels, 60, seed=3)
    counts = {k: int((labels[idx] == k).sum()) for k in ("walking", "running", "standing")}
    assert counts == {"walking": 20, "running": 20, "standing": 20}
    # shuffled: not sorted by class
    assert len(set(labels[idx][:10])) > 1
    assert (balanced_sample(labels, 60, seed=3) == idx).all()


def test_label_map_merges_labels_before_windows_are_labelled():
    """walking_left and walking_right mapped to walking: a window half of each is pure walking; a label mapped
    to another still present one joins its count (the majority is taken after the merge)."""
    rec = _rec(1000, 50.0, labels=[(0, 10, "walking_left"), (10, 20, "walking_right")])
    plain = make_windows(rec, window_s=2.56, stride_s=1.28, rate_hz=50.0, channels=CH, label_policy="pure")
    merged = make_windows(rec, window_s=2.56, stride_s=1.28, rate_hz=50.0, channels=CH, label_policy="pure",
                          label_map={"walking_left": "walking", "walking_right": "walking"})
    assert plain.dropped["mixed_labels"] > 0 and "mixed_labels" not in merged.dropped
    assert set(merged.labels) == {"walking"} and len(merged) == 1 + (1000 - 128) // 64
    # 40 % standing, 30 % each walking side: standing wins unmerged, walking (60 %) once merged
    rec = _rec(100, 10.0, labels=[(0, 4, "standing"), (4, 7, "walking_left"), (7, 10, "walking_right")])
    kw = dict(window_s=10.0, stride_s=10.0, rate_hz=10.0, channels=CH, min_fraction=0.35)
    sides = {"walking_left": "walking", "walking_right": "walking"}
    assert list(make_windows(rec, **kw).labels) == ["standing"]
    assert list(make_windows(rec, **kw, label_map=sides).labels) == ["walking"]

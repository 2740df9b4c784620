"""Augmentation transforms: closed forms (rotation preserves norms and the gravity angle), seeding,
statistics of the draws against their formulas, and the CLI spec parser."""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.errors import ValidationError
from imuforge.train.augment import (TRANSFORMS, Augmentation, field_channels, rotation_matrices,
                                    smooth_curves, time_warp, triplets)

CH = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


def _windows(n=64, length=50, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, length, 6)).astype(np.float32)


def test_rotation_matrices_are_proper_and_have_the_drawn_angle():
    rng = np.random.default_rng(1)
    R = rotation_matrices(rng, 2000, 30.0)
    assert np.allclose(R @ np.transpose(R, (0, 2, 1)), np.eye(3), atol=1e-12)
    assert np.allclose(np.linalg.det(R), 1.0)
    # rotation angle from the trace; |theta| of N(0, 30°) has mean 30·sqrt(2/pi) degrees
    ang = np.degrees(np.arccos(np.clip((np.trace(R, axis1=1, axis2=2) - 1) / 2, -1, 1)))
    expected = 30.0 * np.sqrt(2 / np.pi)
    assert abs(ang.mean() - expected) < 4 * 30.0 * np.sqrt(1 - 2 / np.pi) / np.sqrt(2000)


def test_rotation_about_one_axis_leaves_that_axis():
    R = rotation_matrices(np.random.default_rng(2), 10, 45.0, axis="z")
    assert np.allclose(R[:, :, 2], [0, 0, 1]) and np.allclose(R[:, 2, :], [0, 0, 1])


def test_rotation_keeps_each_triplet_norm_and_rotates_acc_and_gyro_alike():
    X = _windows()
    aug = Augmentation.parse("rotation:60")
    Y = aug.apply(X, CH, np.random.default_rng(3))
    for a, b in ((0, 3), (3, 6)):
        assert np.allclose(np.linalg.norm(Y[..., a:b], axis=-1), np.linalg.norm(X[..., a:b], axis=-1), rtol=1e-5)
    # the angle between acc and gyro vectors is unchanged: both turned by the same rotation
    dot_x = np.sum(X[..., :3] * X[..., 3:], axis=-1)
    dot_y = np.sum(Y[..., :3] * Y[..., 3:], axis=-1)
    assert np.allclose(dot_x, dot_y, atol=1e-4)
    assert not np.allclose(X, Y)


def test_triplets_finds_complete_xyz_groups_only():
    assert triplets(("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "mag_x", "mag_y", "mag_z")) == [(0, 1, 2), (5, 6, 7)]


def test_scale_draws_match_sigma():
    X = np.ones((4000, 10, 6), np.float32)
    Y = Augmentation.parse("scale:0.1").apply(X, CH, np.random.default_rng(4))
    g = Y[:, 0, :].ravel()
    assert np.all(Y == Y[:, :1, :])  # one gain per window and channel
    assert abs(g.mean() - 1.0) < 4 * 0.1 / np.sqrt(g.size)
    assert abs(g.std() - 0.1) < 4 * 0.1 / np.sqrt(2 * g.size)


def test_jitter_is_relative_to_channel_std():
    X = np.zeros((2000, 50, 6), np.float32)
    std = np.array([1, 1, 1, 0.1, 0.1, 0.1])
    Y = Augmentation.parse("jitter:0.05").apply(X, CH, np.random.default_rng(5), channel_std=std)
    assert np.allclose(Y.reshape(-1, 6).std(axis=0), 0.05 * std, rtol=0.02)


def test_jitter_auto_leaves_windows_without_a_gyroscope_alone_and_keeps_the_later_draws():
    """``auto`` adds the noise where a gyroscope is trained (bit for bit ``all``) and none without one; the
    noise is drawn either way, so the transforms after it see the same random numbers as with ``all``."""
    acc = ("acc_x", "acc_y", "acc_z")
    X = _windows()
    for chans, x in ((CH, X), (acc, X[:, :, :3])):
        auto = Augmentation.parse("jitter:0.05:auto,magnitude_warp").apply(x, chans, np.random.default_rng(3))
        every = Augmentation.parse("jitter:0.05:all,magnitude_warp").apply(x, chans, np.random.default_rng(3))
        silent = Augmentation.parse("jitter:0:all,magnitude_warp").apply(x, chans, np.random.default_rng(3))
        assert np.array_equal(auto, every if "gyro_x" in chans else silent)
        assert not np.array_equal(every, silent)
    # with a gyroscope: Um et al.'s noise, σ times each channel's spread, exactly
    std = np.linspace(0.5, 2.0, 6)
    got = Augmentation.parse("jitter:0.05").apply(X, CH, np.random.default_rng(3), channel_std=std)
    want = (X.astype(np.float64) + np.random.default_rng(3).normal(0.0, 1.0, X.shape) * (0.05 * std))
    assert np.array_equal(got, want.astype(np.float32))
    still = np.tile(np.array([0.3, -9.7, 1.2], np.float32), (20, 64, 1))
    assert np.array_equal(Augmentation.parse("jitter").apply(still, acc, np.random.default_rng(0)), still)
    assert Augmentation.parse("jitter").transforms[0].params["where"] == "auto"


def test_runs_written_before_the_where_option_read_back_as_jitter_on_every_window():
    old = [{"name": "jitter", "params": {"sigma": 0.05}}]
    assert Augmentation.from_json(old).transforms[0].params["where"] == "all"
    for spec in ("jitter", "jitter:0.05:all"):  # the default, auto, survives the round trip too
        new = Augmentation.parse(spec)
        assert Augmentation.from_json(new.to_json()) == new


def test_time_warp_is_monotone_resampling_that_keeps_the_ends_and_a_constant():
    n, L = 50, 100
    ramp = np.broadcast_to(np.arange(L, dtype=float)[None, :, None], (n, L, 1))
    Y = time_warp(ramp, np.random.default_rng(6), 0.3, 4)
    assert np.all(np.diff(Y[:, :, 0], axis=1) >= -1e-9)  # a ramp stays monotone
    assert np.allclose(Y[:, 0, 0], 0) and np.allclose(Y[:, -1, 0], L - 1)
    assert np.allclose(time_warp(np.full((3, L, 2), 7.0), np.random.default_rng(0), 0.3, 4), 7.0)
    assert np.abs(Y[:, :, 0] - ramp[:, :, 0]).max() > 1.0  # it does warp


def test_magnitude_warp_curves_pass_through_knots_with_the_drawn_spread():
    c = smooth_curves(np.random.default_rng(7), 5000, 40, 0.2, 4)
    assert c.shape == (5000, 40)
    ends = np.concatenate([c[:, 0], c[:, -1]])  # the end samples are knots
    assert abs(ends.std() - 0.2) < 0.01


def test_magnitude_warp_kept_leaves_a_still_window_still_and_warps_the_motion_about_gravity():
    rng = np.random.default_rng(8)
    n, L = 200, 128
    t = np.arange(L) / 50.0
    X = np.zeros((n, L, 6))
    X[..., :3] = [0.0, 3.0, 9.3]  # a still device: gravity only
    X[n // 2:, :, 2] += 1.5 * np.sin(2 * np.pi * 1.8 * t)  # half the windows move, at a walker's step rate
    X[n // 2:, :, 3] = 0.8 * np.sin(2 * np.pi * 0.9 * t + 0.3)
    Y = Augmentation.parse("magnitude_warp:0.2:4:kept").apply(X, CH, np.random.default_rng(9)).astype(float)
    assert np.abs(Y[: n // 2] - X[: n // 2]).max() < 1e-5  # still stays still: gravity is not warped
    mean = X[n // 2:, :, 2:3].mean(axis=1, keepdims=True)
    # the motion about the window mean and the gyroscope are scaled by the same curve, window by window
    ok = np.abs(X[n // 2:, :, 3]) > 0.2
    acc_gain = (Y[n // 2:, :, 2] - mean[..., 0]) / (X[n // 2:, :, 2] - mean[..., 0])
    gyro_gain = Y[n // 2:, :, 3] / np.where(ok, X[n // 2:, :, 3], 1.0)
    both = ok & (np.abs(X[n // 2:, :, 2] - mean[..., 0]) > 0.2)
    assert np.allclose(acc_gain[both], gyro_gain[both], atol=1e-4)
    assert abs(np.std(gyro_gain[ok]) - 0.2) < 0.05  # and that curve has the drawn spread
    # Um et al.'s form warps the whole signal: a still window then moves by ≈ sigma × g
    W = Augmentation.parse("magnitude_warp:0.2:4:warped").apply(X, CH, rng).astype(float)
    spread = np.std(np.linalg.norm(W[: n // 2, :, :3], axis=-1))
    assert 0.1 * 9.77 < spread < 0.3 * 9.77
    # auto, the default: Um et al.'s form where a gyroscope is trained, gravity kept where none is
    for chans, like in ((CH, "warped"), (CH[:3], "kept")):
        Z = X[..., : len(chans)]
        got = Augmentation.parse("magnitude_warp").apply(Z, chans, np.random.default_rng(10))
        want = Augmentation.parse(f"magnitude_warp:0.2:4:{like}").apply(Z, chans, np.random.default_rng(10))
        assert np.array_equal(got, want), chans


def test_field_channels_are_the_accelerometer_and_magnetometer_triplets():
    chans = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y", "mag_z", "acc_norm")
    assert field_channels(chans) == [0, 1, 2, 6, 7, 8]


def test_runs_written_before_the_field_option_read_back_as_the_whole_signal_warp():
    old = [{"name": "magnitude_warp", "params": {"sigma": 0.2, "knots": 4}}]
    assert Augmentation.from_json(old).transforms[0].params["field"] == "warped"
    new = Augmentation.parse("magnitude_warp")
    assert Augmentation.from_json(new.to_json()) == new and new.transforms[0].params["field"] == "auto"


def test_same_seed_same_output_and_default_has_all_five():
    aug = Augmentation.parse("default")
    assert [t.name for t in aug.transforms] == list(TRANSFORMS)
    X = _windows()
    a = aug.apply(X, CH, np.random.default_rng([1, 0]))
    b = aug.apply(X, CH, np.random.default_rng([1, 0]))
    c = aug.apply(X, CH, np.random.default_rng([1, 1]))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert Augmentation.from_json(aug.to_json()) == aug


@pytest.mark.parametrize("spec", ["spin", "rotation:abc", "rotation:200", "rotation:30:w", "time_warp:0.2:1",
                                  "jitter,jitter", "scale:0.1:2", ",", " , ",
                                  "magnitude_warp:0.2:4:gravity", "magnitude_warp:0.2:4:kept:1",
                                  "jitter:0.05:gyro", "jitter:0.05:all:1"])
def test_bad_specs_are_refused_with_what_is_allowed(spec):
    with pytest.raises(ValidationError):
        Augmentation.parse(spec)


def test_an_unknown_jitter_setting_is_one_line_naming_the_choices():
    with pytest.raises(ValidationError) as e:
        Augmentation.parse("jitter:0.05:gyro")
    assert e.value.allowed == "auto, all" and "\n" not in str(e.value)


def test_default_among_items_stands_for_the_transforms_the_others_do_not_name():
    aug = Augmentation.parse("default,jitter:0.05:all")
    assert [t.name for t in aug.transforms] == list(TRANSFORMS)
    assert aug.transforms[2].params == {"sigma": 0.05, "where": "all"}
    assert Augmentation.parse(" Default ") == Augmentation.parse(",".join(TRANSFORMS))
    with pytest.raises(ValidationError, match="named twice"):
        Augmentation.parse("default,jitter,jitter")
    with pytest.raises(ValidationError, match="default takes no value"):
        Augmentation.parse("default:0.1")


def test_none_among_transforms_is_said_to_stand_alone():
    """``none,rotation`` was refused as "unknown augmentation 'none'" with none among the values allowed."""
    with pytest.raises(ValidationError) as e:
        Augmentation.parse("none,rotation")
    assert e.value.what.startswith("none stands alone")
    assert "none alone, or transforms without it" in e.value.allowed


@pytest.mark.parametrize("spec, said", [("auto,rotation", "auto stands alone"),  # said 'unknown', auto allowed
                                         ("rotation,,scale", "an empty item in"),  # was accepted
                                         ("default,default", "default is named twice")])  # was accepted
def test_auto_among_transforms_empty_items_and_a_second_default_are_refused(spec, said):
    with pytest.raises(ValidationError) as e:
        Augmentation.parse(spec)
    assert e.value.what.startswith(said)


def test_none_parses_to_none():
    assert Augmentation.parse("none") is None and Augmentation.parse("") is None


def test_spec_text_reads_back_as_the_same_transform():
    """What the train command prints of a transform parses back to it: the values up to the last one that
    is not the default, in --augment's form."""
    from imuforge.train.augment import spec_text

    for spec in ("rotation:45:z", "jitter:0.05:all", "magnitude_warp:0.2:4:kept", "time_warp:0.1", "scale",
                 "rotation:30:x", "time_warp:0.2:8"):
        (t,) = Augmentation.parse(spec).transforms
        assert spec_text(t) == spec
        assert Augmentation.parse(spec_text(t)).transforms == (t,)
    assert [spec_text(t) for t in Augmentation.parse("default").transforms] == list(TRANSFORMS)


def test_untouched_triplets_are_the_groups_a_rotation_cannot_turn():
    from imuforge.train.augment import untouched_triplets

    assert untouched_triplets(["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]) == []
    assert untouched_triplets(["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y"]) == ["gyro"]
    assert untouched_triplets(["acc_x", "acc_y", "mag_z"]) == ["acc", "mag"]
    assert untouched_triplets(["acc_x", "acc_y", "acc_z"]) == []


def test_a_transform_at_strength_zero_is_named_as_doing_nothing():
    """``--augment rotation:0,scale:0`` trains without augmenting; the summary had listed both as active.
    Each transform at 0 leaves a window as it is (checked on a window), and the summary says so."""
    from imuforge.commands.train import _transform_text
    from imuforge.train.augment import has_effect

    channels = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
    X = np.random.default_rng(0).normal(size=(4, 64, 6)).astype(np.float32)
    for name in TRANSFORMS:
        zero = Augmentation.parse(f"{name}:0")
        assert not has_effect(zero.transforms[0]) and has_effect(Augmentation.parse(name).transforms[0])
        out = zero.apply(X, channels, np.random.default_rng(1), channel_std=np.ones(6))
        np.testing.assert_allclose(out, X, atol=1e-6, err_msg=name)
    texts = [_transform_text(t, channels) for t in Augmentation.parse("rotation:0,scale:0,jitter").transforms]
    assert texts == ["rotation:0 (no effect: its spread_deg is 0)", "scale:0 (no effect: its sigma is 0)",
                     "jitter"]

"""TrainConfig.check: every size bounded (SIZE_LIMITS), --real-weight within its range, and every
message carries what is allowed."""

from __future__ import annotations

import pytest

from imuforge.errors import ValidationError
from imuforge.train.trainer import REAL_WEIGHT_RANGE, SIZE_LIMITS, TrainConfig


@pytest.mark.parametrize("kwargs, message", [
    ({"model_kwargs": {"width": 100_000}}, "--width = 100000 is out of range (allowed: 1 … 512)"),
    ({"model_kwargs": {"width": 0}}, "--width = 0 is out of range (allowed: 1 … 512)"),
    ({"epochs": 0}, "--epochs = 0 is out of range (allowed: 1 … 10000)"),
    ({"epochs": 10**9}, "--epochs = 1000000000 is out of range (allowed: 1 … 10000)"),
    ({"batch_size": 10**7}, "--batch-size = 10000000 is out of range (allowed: 1 … 16384)"),
    ({"real_weight": float("nan")}, "--real-weight = nan is out of range (allowed: 0.001 … 1000)"),
    ({"real_weight": float("inf")}, "--real-weight = inf is out of range (allowed: 0.001 … 1000)"),
    ({"real_weight": 0.0}, "(allowed: 0.001 … 1000)"),
    ({"val_fraction": 1.0}, "--val-fraction must be in (0, 1), got 1.0 (allowed: "),
    ({"val_fraction": float("nan")}, "--val-fraction must be in (0, 1), got nan (allowed: "),
    ({"patience": -1}, "--patience must be >= 0, got -1 (allowed: "),
    # a Python user's typos: a KeyError and a TypeError from deep inside training, now said with what is
    # allowed, before the data are read
    ({"augment": [{"name": "rotaton"}]}, "augment: unknown transform {'name': 'rotaton'} (allowed: "
                                         '{"name": N, "params": {…}} with N one of rotation, scale'),
    ({"augment": [{"name": "rotation", "params": {"spred": 3}}]},
     "augment: rotation params {'spred': 3} (allowed: a dict of spread_deg, axis)"),
    ({"augment": [{"name": "scale", "params": {"sigma": 5}}]}, "scale sigma = 5 out of range"),
    ({"model_kwargs": {"widht": 8}}, "model_kwargs: tiny_cnn takes no widht (allowed: width, dropout)"),
])
def test_bad_sizes_and_weights_are_refused(kwargs, message):
    with pytest.raises(ValidationError) as exc:
        TrainConfig(data=["x"], **kwargs).check()
    assert message in str(exc.value)


def test_the_bounds_themselves_are_accepted_and_documented(capsys):
    hi = {option: top for option, (_, top) in SIZE_LIMITS.items()}
    for weight in REAL_WEIGHT_RANGE:  # (a --real-weight needs --real to weigh)
        TrainConfig(data=["x"], real=["y"], epochs=hi["--epochs"], batch_size=hi["--batch-size"],
                    model_kwargs={"width": hi["--width"]}, real_weight=weight).check()
    from imuforge.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert all(f"at most {top}" in out for top in hi.values())


@pytest.mark.parametrize("name", ["tiny_cnn", "ds_cnn", "res_cnn"])
def test_each_zoo_model_builds_at_its_shortest_window_and_not_one_sample_below(name):
    """``ZooEntry.min_length`` against Keras itself: the window the check lets through builds, one sample less
    does not (a pooling stage left with one sample)."""
    from imuforge.train.zoo import ZOO, build_model

    shortest = ZOO[name].min_length
    assert build_model(name, (shortest, 6), 3).output_shape == (None, 3)
    with pytest.raises(ValueError):
        build_model(name, (shortest - 1, 6), 3)


@pytest.mark.parametrize("model, window_s, rate, message", [
    ("tiny_cnn", 2.56, 1.0, "holds 3 samples; tiny_cnn takes at least 4 (allowed: --window-s × --rate ≥ 4"),
    ("res_cnn", 0.1, 50.0, "holds 5 samples; res_cnn takes at least 8"),
])
def test_a_window_too_short_for_the_model_is_refused_before_training(model, window_s, rate, message):
    with pytest.raises(ValidationError) as exc:
        TrainConfig(data=["x"], model=model, window_s=window_s, rate_hz=rate).check()
    assert message in str(exc.value)
    TrainConfig(data=["x"], model=model, window_s=2.56, rate_hz=50.0).check()


def test_an_augmentation_without_params_takes_the_transforms_defaults():
    from imuforge.train.augment import TRANSFORMS, Augmentation

    (t,) = Augmentation.from_json([{"name": "rotation"}]).transforms
    assert t.params == TRANSFORMS["rotation"]

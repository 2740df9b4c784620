"""BatchNormalization statistics set from the training windows (imuforge.train.batchnorm)."""

import json

import numpy as np
import pytest

from imuforge.train.batchnorm import (STATISTICS_WINDOWS, set_population_statistics, statistics_rows,
                                      unsettable)

pytest.importorskip("tensorflow")

EPS = 1e-3


def _two_normalisations():
    """Input → per-channel gain (a 1×1 convolution) → BN → doubling → BN: every statistic in closed form."""
    import keras

    L = keras.layers
    inp = keras.Input((16, 2))
    x = L.Conv1D(2, 1, use_bias=False, name="gain")(inp)
    x = L.BatchNormalization(epsilon=EPS, name="bn1")(x)
    x = L.Conv1D(2, 1, use_bias=False, name="double")(x)
    x = L.BatchNormalization(epsilon=EPS, name="bn2")(x)
    model = keras.Model(inp, x)
    model.get_layer("gain").set_weights([np.array([[[3.0, 0.0], [0.0, 0.1]]])])
    model.get_layer("double").set_weights([np.array([[[2.0, 0.0], [0.0, 2.0]]])])
    return model


def test_each_layer_takes_its_inputs_mean_and_variance_in_order():
    model = _two_normalisations()
    X = np.random.default_rng(0).normal([1.0, -2.0], [0.5, 4.0], size=(300, 16, 2)).astype(np.float32)
    assert set_population_statistics(model, X) == 2
    z = X.reshape(-1, 2).astype(np.float64) * [3.0, 0.1]
    mu, var = z.mean(axis=0), z.var(axis=0)
    bn1, bn2 = model.get_layer("bn1"), model.get_layer("bn2")
    np.testing.assert_allclose(bn1.moving_mean.numpy(), mu, rtol=1e-5)
    np.testing.assert_allclose(bn1.moving_variance.numpy(), var, rtol=1e-4)
    # the second sees the first as it predicts (set already): 2 (z − μ) / √(σ² + ε),
    # of mean 0 and variance 4 σ² / (σ² + ε)
    np.testing.assert_allclose(bn2.moving_mean.numpy(), 0.0, atol=1e-5)
    np.testing.assert_allclose(bn2.moving_variance.numpy(), 4 * var / (var + EPS), rtol=1e-4)
    # predicting now normalises as training does on the same batch (its own mean and variance)
    np.testing.assert_allclose(model(X, training=False), model(X, training=True), atol=1e-4)


def test_nothing_to_set_without_layers_or_windows():
    import keras

    inp = keras.Input((16, 2))
    plain = keras.Model(inp, keras.layers.Conv1D(2, 3)(inp))
    assert set_population_statistics(plain, np.zeros((4, 16, 2), np.float32)) == 0
    model = _two_normalisations()
    assert set_population_statistics(model, np.zeros((0, 16, 2), np.float32)) == 0
    assert model.get_layer("bn1").moving_variance.numpy().tolist() == [1.0, 1.0]  # untouched


def test_nested_or_shared_layers_are_named_not_set():
    import keras

    L = keras.layers
    inner_in = keras.Input((16, 2))
    inner = keras.Model(inner_in, L.BatchNormalization(name="inner_bn")(inner_in), name="block")
    inp = keras.Input((16, 2))
    shared = L.BatchNormalization(name="shared_bn")
    out = L.Add()([shared(inner(inp)), shared(inp)])
    model = keras.Model(inp, L.BatchNormalization(name="top_bn")(out))
    assert sorted(unsettable(model)) == ["block/inner_bn", "shared_bn"]
    X = np.random.default_rng(1).normal(3.0, 2.0, size=(64, 16, 2)).astype(np.float32)
    assert set_population_statistics(model, X) == 1  # top_bn only
    assert model.get_layer("block").get_layer("inner_bn").moving_variance.numpy().tolist() == [1.0, 1.0]


def test_statistics_rows_are_training_windows_drawn_once():
    labels = np.array(["walk"] * 9000 + ["sit"] * 1000)
    train = np.ones(labels.size, bool)
    train[::10] = False
    rows = statistics_rows(labels, train, seed=3)
    assert rows.size == STATISTICS_WINDOWS and np.unique(rows).size == rows.size and train[rows].all()
    # the classes as a batch holds them: 9 in 10 walking, within 4 binomial SDs
    share = np.mean(labels[rows] == "walk")
    assert abs(share - 0.9) < 4 * np.sqrt(0.9 * 0.1 / rows.size)
    even = statistics_rows(labels, train, seed=3, balanced=True)
    assert np.mean(labels[even] == "walk") == 0.5
    few = np.zeros(labels.size, bool)
    few[:100] = True
    assert statistics_rows(labels, few, seed=0).tolist() == list(range(100))  # every one, each once


@pytest.mark.parametrize("name", ["ds_cnn", "res_cnn"])
def test_networks_with_batchnorm_predict_what_they_learnt(synth_dir, tmp_path, name):
    """Three short epochs leave Keras's moving averages near their start (variance 1) while the layers' inputs
    vary far less: predicting with them, ds_cnn read 0.31 of these sinusoids' validation windows right
    (most of them as one class; res_cnn on other seeds); with the training windows' statistics, above 0.6."""
    from imuforge.train import TrainConfig, train

    cfg = TrainConfig(data=[str(synth_dir)], model=name, window_s=1.28, stride_s=0.64, rate_hz=25.0, epochs=3,
                      seed=1, batch_size=16)
    run = train(cfg, tmp_path / name)
    m = json.loads((run.path / "metrics.json").read_text())
    assert m["accuracy"] > 0.6
    X, _ = run.read_npz("representative.npz")
    model = run.keras_model()
    predicted = model(run.normalise(X), training=False).numpy().argmax(axis=1)
    assert np.unique(predicted).size == len(run.labels)
    # the saved statistics are the layers' inputs' over training windows: another sample of them (the
    # class-balanced representative set) gives the same within its sampling noise; Keras's averages were
    # 10–100 times the variance
    again = run.keras_model()
    assert set_population_statistics(again, run.normalise(X)) == sum("bn" in b.name for b in model.layers)
    for kept, fresh in zip(model.layers, again.layers):
        if "bn" in kept.name:
            np.testing.assert_allclose(kept.moving_variance.numpy(), fresh.moving_variance.numpy(), rtol=0.35,
                                       atol=1e-4)

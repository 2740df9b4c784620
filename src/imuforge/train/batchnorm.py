"""Population statistics for BatchNormalization layers ("precise BN").

A BatchNormalization layer normalises with the batch's own mean and variance while it trains and with its
moving averages when it predicts. Keras moves those averages by 1 % per step (``momentum=0.99``) from 0
and 1: after ``k`` steps a moving variance is ``0.99**k`` of its start plus the rest of the batches'. A
small training set trains for few steps — the calibrated synthetic people of the sim-to-real benchmark take
≈ 35 steps per epoch, and early stopping often keeps the first epoch — so the averages are still ≈ 70 % their
starting values, while the layers' inputs vary far less than 1 (0.003–0.02 after the depthwise convolutions
of ``ds_cnn``). The network predicts with its activations divided by ≈ 10 at every normalisation and reads
one class for every window (session 55: ``ds_cnn`` 0.09 macro-F1 on every row of the CrowdSignals watch,
``res_cnn`` on some seeds), and the int8 export folds the same wrong averages into its convolutions.

:func:`set_population_statistics` sets every BatchNormalization layer's moving mean and variance to the exact
mean and (biased, as in training) variance of its input over a sample of the training windows, layer after
layer in the network's order with the layers before already set, as Wu & Johnson (2021, "Rethinking 'Batch'
in BatchNorm", arXiv 2105.07576) recommend over moving averages ("precise BN"). :func:`population_statistics`
is the Keras callback that does it before each validation (so early stopping compares the networks as they
will predict) and at the end of training (after the best weights are restored).
"""

from __future__ import annotations

import numpy as np

#: the training windows (at most) whose statistics the layers take: a class-balanced, seeded sample
STATISTICS_WINDOWS = 2048
#: windows per forward pass while gathering them
_BATCH = 256


def batchnorm_layers(model) -> list:
    """The model's BatchNormalization layers, in the order the network computes them."""
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def set_population_statistics(model, X: np.ndarray) -> int:
    """Set each BatchNormalization layer's moving mean and variance to its input's mean and variance over the
    windows ``X`` (the network's normalised input, ``(n, length, channels)``), over every axis but the layer's
    own; returns how many layers were set (0: the model has none, or ``X`` is empty)."""
    import keras

    layers = batchnorm_layers(model)
    if not layers or len(X) == 0:
        return 0
    X = np.asarray(X, np.float32)
    for layer in layers:  # in order: each layer's input depends on the layers before, set already
        probe = keras.Model(model.inputs, layer.input)
        axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
        total, square, count = 0.0, 0.0, 0
        for start in range(0, len(X), _BATCH):
            z = np.asarray(probe(X[start:start + _BATCH], training=False), np.float64)
            z = np.moveaxis(z, axis, -1).reshape(-1, z.shape[axis])
            total, square, count = total + z.sum(axis=0), square + (z * z).sum(axis=0), count + z.shape[0]
        mean = total / count
        var = np.maximum(square / count - mean * mean, 0.0)
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(var.astype(np.float32))
    return len(layers)


def population_statistics(X: np.ndarray):
    """A Keras callback that calls :func:`set_population_statistics` on ``X`` before every validation and when
    training ends (list it after ``EarlyStopping``, whose restored weights it then sets)."""
    import keras

    class _PopulationStatistics(keras.callbacks.Callback):
        def on_test_begin(self, logs=None):
            set_population_statistics(self.model, X)

        def on_train_end(self, logs=None):
            set_population_statistics(self.model, X)

    return _PopulationStatistics()

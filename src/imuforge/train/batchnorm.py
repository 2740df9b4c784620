"""Population statistics for BatchNormalization layers ("precise BN").

A BatchNormalization layer normalises with the batch's own mean and variance while it trains and with its
moving averages when it predicts. Keras moves those averages by 1 % per step (``momentum=0.99``) from 0
and 1, so after ``k`` steps a moving variance still holds ``0.99**k`` of its start. A small training set
trains for few steps, and its layers' inputs may vary far less than 1: the averages are then far from the
statistics the network trained with, and it predicts one class for every window (docs/TRAINING.md gives the
figures).

:func:`set_population_statistics` sets every BatchNormalization layer's moving mean and variance to the exact
mean and (biased, as in training) variance of its input over a sample of windows, layer after layer in the
network's order with the layers before already set — the population statistics that Wu & Johnson (2021,
"Rethinking 'Batch' in BatchNorm", arXiv 2105.07576) recommend over moving averages ("precise BN").
:func:`population_statistics` is the Keras callback that does it before each validation: early stopping
then compares the networks as they will predict, and the weights it keeps (saved after the validation)
hold those statistics.

Only top-level layers called once can be set so (a layer inside a nested model, or shared by two calls, has
no single input): :func:`unsettable` names the others, which keep Keras's averages.
"""

from __future__ import annotations

import numpy as np

#: the training windows (at most) whose statistics the layers take: a seeded sample without replacement
STATISTICS_WINDOWS = 2048
#: windows per forward pass while gathering them
_BATCH = 256


def _is_batchnorm(layer) -> bool:
    import keras

    return isinstance(layer, keras.layers.BatchNormalization)


def batchnorm_layers(model) -> list:
    """The model's top-level BatchNormalization layers called once, in the order the network computes them
    (a functional model lists its layers after their inputs)."""
    return [layer for layer in model.layers if _is_batchnorm(layer) and len(layer._inbound_nodes) == 1]


def unsettable(model) -> list[str]:
    """Names of the BatchNormalization layers :func:`set_population_statistics` cannot set: inside a nested
    model (``outer/inner``), or called more than once."""
    settable = {id(layer) for layer in batchnorm_layers(model)}
    return [name for name, layer in _every_batchnorm(model) if id(layer) not in settable]


def _every_batchnorm(model, prefix: str = "") -> list[tuple[str, object]]:
    """(path name, layer) of every BatchNormalization layer, nested models walked."""
    out = []
    for layer in model.layers:
        if _is_batchnorm(layer):
            out.append((prefix + layer.name, layer))
        elif hasattr(layer, "layers"):
            out += _every_batchnorm(layer, f"{prefix}{layer.name}/")
    return out


def _probes(model) -> list:
    """(layer, model from the network's input to the layer's input) per settable layer."""
    import keras

    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return [(layer, keras.Model(inputs, layer.input)) for layer in batchnorm_layers(model)]


def set_population_statistics(model, X: np.ndarray, probes: list | None = None) -> int:
    """Set each settable BatchNormalization layer's moving mean and variance to its input's mean and variance
    over the windows ``X`` (the network's normalised input, ``(n, length, channels)``), over every axis but
    the layer's own; returns how many layers were set (0: the model has none, or ``X`` is empty). ``probes``:
    :func:`_probes` of ``model``, built once by a caller that sets the statistics repeatedly."""
    probes = _probes(model) if probes is None else probes
    if not probes or len(X) == 0:
        return 0
    X = np.asarray(X, np.float32)
    for layer, probe in probes:  # in order: each layer's input depends on the layers before, set already
        total, square, count = 0.0, 0.0, 0
        for start in range(0, len(X), _BATCH):
            z = np.asarray(probe(X[start:start + _BATCH], training=False), np.float64)  # eager: no retracing
            z = np.moveaxis(z, layer.axis, -1).reshape(-1, z.shape[layer.axis])
            total, square, count = total + z.sum(axis=0), square + (z * z).sum(axis=0), count + z.shape[0]
        mean = total / count
        var = np.maximum(square / count - mean * mean, 0.0)
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(var.astype(np.float32))
    return len(probes)


def statistics_rows(labels: np.ndarray, train: np.ndarray, *, seed: int,
                    balanced: bool = False) -> np.ndarray:
    """Sorted indices of the training windows (``train``, a boolean mask over ``labels``) whose statistics
    the layers take: at most :data:`STATISTICS_WINDOWS`, drawn without replacement — the classes in the
    proportions a training batch holds them (class weights act on the loss, not on the batches); with
    ``balanced`` (batches drawn class-balanced, ``train --balance sampling``) equally many per class."""
    from imuforge.datasets.windowing import balanced_sample

    rows = np.flatnonzero(train)
    n = min(STATISTICS_WINDOWS, rows.size)
    if balanced:
        return np.sort(rows[balanced_sample(np.asarray(labels)[rows], n, seed=seed)])
    return np.sort(np.random.default_rng(seed).choice(rows, n, replace=False))


def population_statistics(X: np.ndarray):
    """A Keras callback that calls :func:`set_population_statistics` on ``X`` before every validation (its
    probes built once, when training begins)."""
    import keras

    class _PopulationStatistics(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.probes = _probes(self.model)

        def on_test_begin(self, logs=None):
            set_population_statistics(self.model, X, self.probes)

    return _PopulationStatistics()

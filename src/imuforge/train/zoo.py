"""A small zoo of HAR models for (window, channels) input that TFLite Micro runs.

Every model uses only layers whose int8 TFLite lowering is in TFLM's kernel set: Conv1D (→
EXPAND_DIMS + CONV_2D + RESHAPE), DepthwiseConv1D (→ DEPTHWISE_CONV_2D), MaxPooling1D
(→ MAX_POOL_2D), BatchNormalization (folded into the convolution by the converter), ReLU,
Add, GlobalAveragePooling1D (→ MEAN), Dense (→ FULLY_CONNECTED) and Softmax. Dropout vanishes
at conversion. Nothing recurrent (LSTM/GRU lower to ops TFLM lacks or needs 16-bit state).

The input is the *normalised* window: (x - mean) / std per channel (see train.trainer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imuforge.errors import ValidationError


@dataclass(frozen=True)
class ZooEntry:
    name: str
    summary: str
    build: Callable
    #: the shortest window (samples) the network takes at its default depth: every pooling or strided stage
    #: halves the length, and a stage needs at least 2 samples (tests build each model at it and one below)
    min_length: int = 2


def _keras():
    import keras

    return keras


def tiny_cnn(input_shape: tuple[int, int], n_classes: int, *, width: int = 16, dropout: float = 0.2):
    """Three Conv1D+ReLU stages with max pooling, global average pooling, dense softmax.

    With ``width=16`` on 128×6 input: about 5 k parameters (≈ 10 KB int8 flash, ≈ 5 KB arena).
    """
    keras = _keras()
    L = keras.layers
    inp = keras.Input(input_shape, name="window")
    x = L.Conv1D(width, 5, padding="same", activation="relu", name="conv1")(inp)
    x = L.MaxPooling1D(2, name="pool1")(x)
    x = L.Conv1D(int(width * 1.5), 5, padding="same", activation="relu", name="conv2")(x)
    x = L.MaxPooling1D(2, name="pool2")(x)
    x = L.Conv1D(width * 2, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    x = L.Dropout(dropout, name="dropout")(x)
    out = L.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="tiny_cnn")


def ds_cnn(input_shape: tuple[int, int], n_classes: int, *, width: int = 24, blocks: int = 3,
           dropout: float = 0.2):
    """Depthwise-separable CNN: a strided stem conv, then ``blocks`` × (depthwise k=5 → BN → ReLU →
    pointwise → BN → ReLU), pooling between blocks, global average pooling, dense softmax."""
    keras = _keras()
    L = keras.layers
    inp = keras.Input(input_shape, name="window")
    x = L.Conv1D(width, 5, strides=2, padding="same", use_bias=False, name="stem")(inp)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(name="stem_relu")(x)
    for b in range(blocks):
        x = L.DepthwiseConv1D(5, padding="same", use_bias=False, name=f"dw{b}")(x)
        x = L.BatchNormalization(name=f"dw{b}_bn")(x)
        x = L.ReLU(name=f"dw{b}_relu")(x)
        x = L.Conv1D(width * (b + 1) if b < 2 else width * 2, 1, use_bias=False, name=f"pw{b}")(x)
        x = L.BatchNormalization(name=f"pw{b}_bn")(x)
        x = L.ReLU(name=f"pw{b}_relu")(x)
        if b < blocks - 1:
            x = L.MaxPooling1D(2, name=f"pool{b}")(x)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    x = L.Dropout(dropout, name="dropout")(x)
    out = L.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="ds_cnn")


def res_cnn(input_shape: tuple[int, int], n_classes: int, *, width: int = 16, blocks: int = 2,
            dropout: float = 0.2):
    """Small residual CNN: stem conv, then ``blocks`` × (conv-BN-ReLU-conv-BN + shortcut, ReLU,
    max pool), with a 1×1 projection on the shortcut when the width changes."""
    keras = _keras()
    L = keras.layers
    inp = keras.Input(input_shape, name="window")
    x = L.Conv1D(width, 5, padding="same", use_bias=False, name="stem")(inp)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(name="stem_relu")(x)
    x = L.MaxPooling1D(2, name="stem_pool")(x)
    ch = width
    for b in range(blocks):
        out_ch = width * (2 ** b)
        y = L.Conv1D(out_ch, 3, padding="same", use_bias=False, name=f"res{b}_c1")(x)
        y = L.BatchNormalization(name=f"res{b}_bn1")(y)
        y = L.ReLU(name=f"res{b}_relu1")(y)
        y = L.Conv1D(out_ch, 3, padding="same", use_bias=False, name=f"res{b}_c2")(y)
        y = L.BatchNormalization(name=f"res{b}_bn2")(y)
        if out_ch != ch:
            x = L.Conv1D(out_ch, 1, use_bias=False, name=f"res{b}_proj")(x)
            x = L.BatchNormalization(name=f"res{b}_proj_bn")(x)
        x = L.Add(name=f"res{b}_add")([x, y])
        x = L.ReLU(name=f"res{b}_relu2")(x)
        x = L.MaxPooling1D(2, name=f"res{b}_pool")(x)
        ch = out_ch
    x = L.GlobalAveragePooling1D(name="gap")(x)
    x = L.Dropout(dropout, name="dropout")(x)
    out = L.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="res_cnn")


ZOO: dict[str, ZooEntry] = {
    "tiny_cnn": ZooEntry("tiny_cnn", "3 × Conv1D+ReLU, max pooling, GAP, dense (smallest; ≤ 20 KB flash)",
                         tiny_cnn, 4),
    "ds_cnn": ZooEntry("ds_cnn", "depthwise-separable Conv1D blocks with BN (more context per byte)",
                       ds_cnn, 7),
    "res_cnn": ZooEntry("res_cnn", "small residual CNN (2 residual blocks; most capacity)", res_cnn, 8),
}


def build_model(name: str, input_shape: tuple[int, int], n_classes: int, **kwargs):
    """Build zoo model ``name`` for (window, channels) input and ``n_classes`` softmax outputs."""
    if name not in ZOO:
        raise ValidationError(f"unknown model {name!r}", allowed=", ".join(ZOO) + ", or a path to a .keras file")
    if n_classes < 2:
        raise ValidationError(f"a classifier needs at least 2 classes, got {n_classes}")
    check_model_kwargs(name, kwargs)
    return ZOO[name].build(tuple(int(v) for v in input_shape), int(n_classes), **kwargs)


def check_model_kwargs(name: str, kwargs: dict) -> None:
    """Refuse a keyword zoo model ``name`` does not take (a typo, ``widht``), naming the ones it does: it was
    a TypeError from deep inside the model's function."""
    import inspect

    takes = [p for p in inspect.signature(ZOO[name].build).parameters
             if p not in ("input_shape", "n_classes")]
    unknown = sorted(set(kwargs) - set(takes))
    if unknown:
        raise ValidationError(f"{name} takes no {', '.join(unknown)}", source="model_kwargs",
                              allowed=", ".join(takes) or "none")

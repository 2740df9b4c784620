"""Full-integer int8 conversion of a Keras model, and carrying the normalisation into the input scale.

The float model takes normalised windows ``z = (x - mean_c) / std_c``. The int8 model's input is
``q = round(z / s) + zp`` with one scale ``s`` and zero point ``zp`` (per tensor). Both steps are
one per-channel affine map of the SI sample, so the device does::

    q[t, c] = clamp(round(x[t, c] * k[c] + b[c]), -128, 127),   k = 1 / (std · s),  b = zp - mean · k

No extra op enters the model (a normalisation layer would add SUB/MUL with their own rounding),
and ``k``/``b`` go into ``model.h``. :func:`quantize_input` is the host's identical formula.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator

import numpy as np

from imuforge.errors import ValidationError, require_extra
from imuforge.export.tflm import UnsupportedOpError


def input_affine(mean: np.ndarray, std: np.ndarray, scale: float, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(k, b)`` with ``q = round(x·k + b)`` from SI ``x`` (float32, as on the device)."""
    k = (1.0 / (np.asarray(std, np.float64) * float(scale))).astype(np.float32)
    b = (float(zero_point) - np.asarray(mean, np.float64) * k.astype(np.float64)).astype(np.float32)
    return k, b


def quantize_input(X: np.ndarray, k: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SI windows (…, channels) → int8 model input, in float32 arithmetic like ``model.c``.

    Rounds half away from zero (C's ``roundf``) and saturates to [-128, 127].
    """
    v = np.asarray(X, np.float32) * k.astype(np.float32) + b.astype(np.float32)
    r = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))
    return np.clip(r, -128, 127).astype(np.int8)


def _tf_op_from_error(msg: str) -> list[str]:
    ops = re.findall(r"'tf\.(\w+)' op", msg) + re.findall(r"'tfl\.(\w+)' op", msg)
    return sorted(set(ops))


def to_int8_tflite(model, representative: np.ndarray) -> bytes:
    """Convert a Keras model to a full-integer int8 TFLite flatbuffer (int8 input and output).

    ``representative`` holds *normalised* float32 windows, already class-balanced and shuffled
    (see :func:`imuforge.datasets.balanced_sample`); each is fed as a batch of one.
    Raises :class:`UnsupportedOpError` when the converter cannot lower an op to int8 builtins.
    """
    tf = require_extra("tensorflow", purpose="int8 conversion")
    rep = np.asarray(representative, np.float32)
    if rep.ndim != 3 or rep.shape[0] == 0:
        raise ValidationError(f"representative set must be (n, window, channels) with n > 0, got {rep.shape}")

    def gen() -> Iterator[list[np.ndarray]]:
        for i in range(rep.shape[0]):
            yield [rep[i:i + 1]]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = gen
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8

    from imuforge.export.tflm import _capture_fd2

    result: dict = {}

    def _convert() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                result["bytes"] = bytes(conv.convert())
            except Exception as exc:  # ConverterError / RuntimeError with MLIR text
                result["error"] = exc

    log = _capture_fd2(_convert)  # the converter's C++ chatter goes to fd 2; keep it out of the terminal
    if "bytes" in result:
        return result["bytes"]
    exc = result["error"]
    if "KeyboardInterrupt" in str(exc):  # Ctrl-C inside the converter comes back wrapped by pybind11
        raise KeyboardInterrupt from None
    ops = _tf_op_from_error(str(exc) + "\n" + log)
    if ops:
        raise UnsupportedOpError(ops) from None
    raise ValidationError(f"int8 conversion failed: {str(exc).splitlines()[0][:300]}") from exc


def fixed_input(model) -> bool:
    """Whether a Keras network takes one input of a fixed shape (besides the batch)."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):  # a network never built on an input has none
        return False
    return isinstance(shape, tuple) and all(isinstance(d, int) for d in shape[1:])


def check_deployable(model, source: str | None = None) -> None:
    """Refuse a Keras network the device could not run, as :func:`imuforge.export.export_run` would refuse it
    — before a training run rather than after it: converted to int8 on random windows of its input shape (its
    ops depend on its layers, not on its weights), its ops checked against TensorFlow Lite Micro's
    (:func:`imuforge.export.tflm.check_ops`) and the C generator's (a :class:`CgenError` naming the ops it has
    no kernel for). ``source`` names the model in the refusal."""
    from imuforge.export.cgen.emit import render_c
    from imuforge.export.cgen.graph import CgenError
    from imuforge.export.tflm import check_ops, model_ops

    if not fixed_input(model):
        raise ValidationError(f"the network takes {model.input_shape}", source=source,
                              allowed="one input of a fixed (window, channels) shape, as a device's has")
    shape = tuple(int(d) for d in model.input_shape[1:])
    windows = np.random.default_rng(0).normal(size=(8, *shape)).astype(np.float32)
    try:
        tflite = to_int8_tflite(model, windows)
    except UnsupportedOpError as exc:
        raise UnsupportedOpError(exc.ops, source=source) from None
    check_ops(model_ops(tflite), source=source)
    try:
        render_c(tflite)
    except CgenError as exc:
        raise CgenError(exc.what, source=source, allowed=exc.allowed) from None

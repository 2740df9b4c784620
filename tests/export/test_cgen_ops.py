"""Ops and options beyond the zoo, and the clear error for an op the generator lacks.

A "kitchen sink" Keras model (random weights: only the arithmetic matters) exercises VALID
padding, strides, depth multiplier 2, RELU6, average pooling with a partial window, an
add of two differently-scaled branches, a flattening fully connected layer and per-tensor dense
weights; its generated C must match TFLM byte for byte on random int8 windows.
"""

from __future__ import annotations

import numpy as np
import pytest

from imuforge.cli import main

from .conftest import need_gcc

pytest.importorskip("tensorflow")
pytest.importorskip("tflite_micro")


def _convert(model, shape, *, per_tensor_dense: bool = False) -> bytes:
    import tensorflow as tf

    rep = np.random.default_rng(0).normal(0, 1, (64, *shape)).astype(np.float32)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rep[i:i + 1]] for i in range(len(rep)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    if per_tensor_dense:
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    return bytes(conv.convert())


def _kitchen_sink():
    import keras

    L = keras.layers
    keras.utils.set_random_seed(7)
    inp = keras.Input((30, 6))
    a = L.Conv1D(8, 3, strides=2, padding="valid", activation="relu6")(inp)            # 14 × 8
    a = L.DepthwiseConv1D(3, depth_multiplier=2, padding="same")(a)                    # 14 × 16
    b = L.Conv1D(16, 4, strides=2, padding="valid", activation="relu")(inp)            # 14 × 16
    x = L.Add()([a, b])
    x = L.AveragePooling1D(3, strides=2, padding="same")(x)                             # 7 × 16
    x = L.MaxPooling1D(3, strides=1, padding="valid")(x)                                # 5 × 16
    x = L.Flatten()(x)
    x = L.Dense(12, activation="relu")(x)
    out = L.Dense(5, activation="softmax")(x)
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    need_gcc()
    from imuforge.export.cgen import generate_c
    from imuforge.export.cgen.graph import read_graph

    tfl = _convert(_kitchen_sink(), (30, 6), per_tensor_dense=True)
    out = tmp_path_factory.mktemp("sink")
    return tfl, generate_c(tfl, out), read_graph(tfl)


def test_kitchen_sink_model_uses_the_ops_it_is_meant_to(sink):
    _, _, g = sink
    kinds = {op.kind for op in g.ops}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "FULLY_CONNECTED",
            "SOFTMAX"} <= kinds
    fcs = [op for op in g.ops if op.kind == "FULLY_CONNECTED"]
    assert any(g.tensors[op.inputs[1]].scales.size == 1 for op in fcs), "no per-tensor dense weights"


#: plain C; the SMLAD path (on the host, the kernels' portable C versions of the DSP instructions); and the
#: SMLAD path with int8 convolution weights unpacked in the loop (wide_max_bytes=0)
SINK_BUILDS = {"plain": ((), None), "dsp": (("IFM_DSP",), None), "dsp_int8_weights": (("IFM_DSP",), 0)}


@pytest.mark.parametrize("build", list(SINK_BUILDS))
def test_kitchen_sink_is_bit_exact_on_random_windows(sink, build, tmp_path):
    from imuforge.export import TflmModel
    from imuforge.export.cgen import generate_c
    from imuforge.export.cgen.build import HostModel

    tfl, gen, _ = sink
    defines, wide = SINK_BUILDS[build]
    if wide is not None:
        gen = generate_c(tfl, tmp_path, wide_max_bytes=wide)
    host = HostModel(gen.source, input_bytes=gen.input_bytes, output_bytes=gen.output_bytes, strict=True,
                     defines=defines)
    tflm = TflmModel(tfl)
    rng = np.random.default_rng(1)
    Q = rng.integers(-128, 128, (300, 30, 6)).astype(np.int8)
    for i, v in enumerate((-128, 127, 0, -1)):  # saturated and flat windows
        Q[i] = v
    expected = tflm.run(Q).reshape(len(Q), -1)
    got = host.run(Q)
    assert np.array_equal(got, expected), f"{int(np.any(got != expected, axis=1).sum())} of {len(Q)} differ"


def _kitchen_sink_2():
    """Concatenated branches, a standalone ReLU, zero padding, global max pooling, dense without bias."""
    import keras

    L = keras.layers
    keras.utils.set_random_seed(3)
    inp = keras.Input((32, 6))
    x = L.Concatenate()([L.Conv1D(8, 3, padding="same")(inp), L.Conv1D(8, 5, padding="same")(inp)])
    x = L.ReLU()(x)
    x = L.ZeroPadding1D((1, 2))(x)
    x = L.Conv1D(12, 3, activation="relu6")(x)
    x = L.GlobalMaxPooling1D()(x)
    return keras.Model(inp, L.Dense(4, activation="softmax", use_bias=False)(x))


@pytest.mark.parametrize("build", list(SINK_BUILDS))
def test_second_kitchen_sink_concat_relu_pad_reduce_max_is_bit_exact(tmp_path, build):
    need_gcc()
    from imuforge.export import TflmModel
    from imuforge.export.cgen import generate_c
    from imuforge.export.cgen.build import HostModel

    tfl = _convert(_kitchen_sink_2(), (32, 6))
    defines, wide = SINK_BUILDS[build]
    gen = generate_c(tfl, tmp_path, **({} if wide is None else {"wide_max_bytes": wide}))
    assert {"CONCATENATION", "RELU", "PAD", "REDUCE_MAX"} <= set(gen.ops)
    host = HostModel(gen.source, input_bytes=gen.input_bytes, output_bytes=gen.output_bytes, strict=True,
                     defines=defines)
    tflm = TflmModel(tfl)
    Q = np.random.default_rng(2).integers(-128, 128, (300, 32, 6)).astype(np.int8)
    expected = tflm.run(Q).reshape(len(Q), -1)
    got = host.run(Q)
    assert np.array_equal(got, expected), f"{int(np.any(got != expected, axis=1).sum())} of {len(Q)} differ"


def test_an_op_without_a_generator_is_one_clear_line_and_exit_2(cgen_data, tmp_path, capsys):
    """TANH runs in TFLM but has no generated kernel: export stops before writing, naming the op."""
    import keras

    from imuforge.train import TrainConfig, train

    L = keras.layers
    inp = keras.Input((32, 6))
    x = L.Conv1D(4, 3, padding="same", activation="tanh")(inp)
    x = L.GlobalAveragePooling1D()(x)
    model = keras.Model(inp, L.Dense(3, activation="softmax")(x))
    path = tmp_path / "tanh.keras"
    model.save(path)
    train(TrainConfig(data=[str(cgen_data)], model=str(path), window_s=1.28, stride_s=1.28, rate_hz=25.0, epochs=1,
                      seed=1, batch_size=32), tmp_path / "run")
    capsys.readouterr()
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "exp")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "TANH" in err[0] and "C generation" in err[0], err
    assert not (tmp_path / "exp").exists()


def _kitchen_sink_2d():
    """2-D convolutions: 3×3 with stride 2 over 4 channels (each kernel row is whole words), a 3×2
    over 8 channels, a depthwise 3×3 over 6 channels, a 1×1, global average pooling."""
    import keras

    L = keras.layers
    keras.utils.set_random_seed(5)
    inp = keras.Input((12, 10, 4))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)                 # 6 × 5 × 8
    x = L.Conv2D(6, (3, 2), padding="same")(x)                                            # 6 × 5 × 6
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)                        # 6 × 5 × 6
    x = L.Conv2D(5, 1)(x)                                                                 # 6 × 5 × 5
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Dense(3, activation="softmax")(x))


@pytest.mark.parametrize("build", list(SINK_BUILDS))
def test_2d_kitchen_sink_is_bit_exact(tmp_path, build):
    need_gcc()
    from imuforge.export import TflmModel
    from imuforge.export.cgen import generate_c
    from imuforge.export.cgen.build import HostModel

    tfl = _convert(_kitchen_sink_2d(), (12, 10, 4))
    defines, wide = SINK_BUILDS[build]
    gen = generate_c(tfl, tmp_path, **({} if wide is None else {"wide_max_bytes": wide}))
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "MEAN"} <= set(gen.ops)
    host = HostModel(gen.source, input_bytes=gen.input_bytes, output_bytes=gen.output_bytes, strict=True,
                     defines=defines)
    tflm = TflmModel(tfl)
    Q = np.random.default_rng(4).integers(-128, 128, (200, 12, 10, 4)).astype(np.int8)
    expected = tflm.run(Q).reshape(len(Q), -1)
    got = host.run(Q)
    assert np.array_equal(got, expected), f"{int(np.any(got != expected, axis=1).sum())} of {len(Q)} differ"

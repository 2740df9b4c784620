"""Streaming training on sharded corpora: the window store, the bounded shuffle, same pool and results as in memory."""

from __future__ import annotations

import json

from dataclasses import replace

import numpy as np
import pytest

from imuforge.synth.corpus import generate_corpus
from imuforge.synth.spec import CorpusSpec
from imuforge.train import stream
from imuforge.train.trainer import TrainConfig, _load_pool, _split, normalisation_stats, resolve_channels


def test_store_reads_back_what_was_written_in_any_order():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2500, 16, 3)).astype(np.float32)
    st = stream.WindowStore(16, 3)
    for part in np.array_split(X, 7):
        st.append(part)
    assert st.shape == X.shape
    idx = rng.permutation(2500)[:900]
    np.testing.assert_array_equal(st[idx], X[idx])
    mask = rng.random(2500) < 0.3
    np.testing.assert_array_equal(st[mask], X[mask])
    mean, std = stream.normalisation_stats(st, mask)
    ref_mean, ref_std = normalisation_stats(X[mask])
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(std, ref_std, rtol=1e-12)
    st.close()
    assert not st.path.exists()


def _stream(n=3000, buffer=500, balance="weights", seed=1):
    st = stream.WindowStore(2, 1)
    st.append(np.arange(n, dtype=np.float32)[:, None, None].repeat(2, axis=1))
    y = (np.arange(n) >= n * 0.9).astype(np.int64)  # 90 % class 0, in one run: the corpus order of a shard
    index = np.arange(0, n, 2)  # every other window is "training"
    return st, y, stream.ShuffleStream(st, index, y, np.ones(n, np.float32), batch=64, buffer=buffer, seed=seed,
                                       balance=balance)


def test_shuffle_stream_gives_every_window_once_per_epoch_in_a_new_order():
    st, y, s = _stream()
    epochs = []
    for _ in range(2):
        rows = np.concatenate([x[:, 0, 0] for x, _, _ in s()]).astype(int)
        assert sorted(rows.tolist()) == list(range(0, 3000, 2))
        epochs.append(rows)
    assert len(s) == -(-1500 // 64)
    assert not np.array_equal(epochs[0], epochs[1])
    # mixed beyond the buffer: the first batches already hold windows from far apart in the store
    assert np.ptp(epochs[0][:64]) > 1000
    again = np.concatenate([x[:, 0, 0] for x, _, _ in _stream()[2]()]).astype(int)
    np.testing.assert_array_equal(again, epochs[0])  # seeded


def test_sampling_balance_draws_classes_equally_from_the_buffer():
    st, y, s = _stream(n=6000, buffer=3000, balance="sampling")
    first = np.concatenate([yy for _, yy, _ in list(s())[:10]])
    assert 0.35 < first.mean() < 0.65  # 10 % of the data, about half of the draws while both classes are buffered


SPEC = dict(name="t", seed=1, activities=["walking", "running", "standing", "sitting"],
            profiles=["nano33-ble-sense-rev2"], placements=["default"], people=6, seconds=8.0, fps=50.0,
            shard_size=5, activities_order=None)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    doc = {k: v for k, v in SPEC.items() if k != "activities_order"}
    out = tmp_path_factory.mktemp("corpus") / "c"
    assert generate_corpus(CorpusSpec.from_dict(doc), out).complete
    return out


def test_streamed_pool_and_split_equal_the_in_memory_ones(corpus, monkeypatch):
    cfg, _ = resolve_channels(TrainConfig(data=[str(corpus)], window_s=2.0, stride_s=1.0))  # as train() does
    # a corpus this small trains in memory by default (streamed, an epoch had been a step or two)
    assert not stream.is_sharded_input(cfg) and stream.is_sharded_input(replace(cfg, stream="on"))
    monkeypatch.setattr(stream, "STREAM_ABOVE_BYTES", 1000)  # … and streams by default above the size
    assert stream.is_sharded_input(cfg)
    mem = _load_pool(cfg, None)
    st = stream.load_pool(cfg, None)
    assert st.labels == mem.labels
    np.testing.assert_array_equal(st.y, mem.y)
    np.testing.assert_array_equal(st.windows.groups, mem.windows.groups)
    np.testing.assert_array_equal(st.windows.X[np.arange(len(mem.windows))], mem.windows.X)
    a, b = _split(cfg, mem), _split(cfg, st)
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.val, b.val)


def test_streamed_training_matches_the_in_memory_run(corpus, tmp_path):
    pytest.importorskip("tensorflow")
    from imuforge.train import train

    runs = {}
    for mode in ("on", "off"):
        cfg = TrainConfig(data=[str(corpus)], window_s=2.0, stride_s=1.0, epochs=15, seed=0, stream=mode, batch_size=16,
                          shuffle_buffer=64)  # fewer windows than the corpus holds
        runs[mode] = train(cfg, tmp_path / mode)
    data = {m: json.loads((r.path / "data.json").read_text()) for m, r in runs.items()}
    assert data["on"]["windows"] == data["off"]["windows"]
    assert data["on"]["validation_groups"] == data["off"]["validation_groups"]
    np.testing.assert_allclose(runs["on"].mean, runs["off"].mean, rtol=1e-9)
    np.testing.assert_allclose(runs["on"].std, runs["off"].std, rtol=1e-9)
    metrics = {m: json.loads((r.path / "metrics.json").read_text()) for m, r in runs.items()}
    acc = {m: d["accuracy"] for m, d in metrics.items()}
    # both learn, and differ by no more than two runs' sampling noise on the same validation windows:
    # 3 SD of the difference of two binomial proportions (the batches' order differs, so the models do)
    n, p = metrics["off"]["windows"], (acc["on"] + acc["off"]) / 2
    assert min(acc.values()) > 0.6 and abs(acc["on"] - acc["off"]) < 3 * np.sqrt(2 * p * (1 - p) / n), acc


def test_a_shard_swapped_for_another_is_refused_not_trained_on(corpus, tmp_path, capsys):
    """A valid shard of the same corpus put in another's place: every reader (the streamed train,
    ``Dataset``) refuses it in one line naming the shard, as ``dataset info`` does, instead of training on
    its recordings."""
    import shutil

    from imuforge.cli import main
    from imuforge.errors import ValidationError
    from imuforge.recording import read_dataset

    swapped = tmp_path / "swapped"
    shutil.copytree(corpus, swapped)
    shutil.copyfile(corpus / "shard-00003.parquet", swapped / "shard-00001.parquet")
    with pytest.raises(ValidationError, match="sha256 .* differs from the manifest's"):
        list(read_dataset(swapped).recordings())
    rc = main(["train", "--data", str(swapped), "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert "shard-00001.parquet" in err[0] and "differs from the manifest's" in err[0], err
    # a manifest without shard hashes (written by hand, or before they were kept): the recordings it places
    # are still checked, by name and length
    doc = json.loads((swapped / "manifest.json").read_text())
    for s in doc["shards"]:
        s.pop("sha256")
    (swapped / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(ValidationError, match="not the shard the manifest was written with"):
        list(read_dataset(swapped).recordings())
    assert not (tmp_path / "run").exists()
    assert len(list(read_dataset(corpus).recordings())) == 24  # the intact corpus reads as before


def test_streaming_only_options_on_a_run_in_memory_are_noted():
    """``--balance sampling`` or ``--shuffle-buffer`` on data trained in memory change nothing: said in a note
    (``imuforge train`` prints the run's notes), not ignored without a word."""
    from imuforge.train.trainer import unstreamed_config, unstreamed_option_notes

    assert unstreamed_option_notes(TrainConfig(data=["d"])) == []
    asked = TrainConfig(data=["d"], balance="sampling", shuffle_buffer=100)
    (note,) = unstreamed_option_notes(asked)
    assert note.startswith("--balance sampling and --shuffle-buffer 100 apply to streamed training only")
    (one,) = unstreamed_option_notes(TrainConfig(data=["d"], balance="sampling"))
    assert one.startswith("--balance sampling applies to streamed training only")
    # and config.json records what the run used, not what was asked and not applied
    used, plain = unstreamed_config(asked), TrainConfig(data=["d"])
    assert (used.balance, used.shuffle_buffer) == (plain.balance, plain.shuffle_buffer)


def test_streamed_network_with_batchnorm_predicts_with_its_training_statistics(corpus, tmp_path):
    """The streamed fit sets a BatchNormalization network's statistics as the in-memory one does
    (tests/train/test_batchnorm.py): from a sample of the training windows read back from the store."""
    pytest.importorskip("tensorflow")
    from imuforge.train import train

    cfg = TrainConfig(data=[str(corpus)], model="ds_cnn", window_s=2.0, stride_s=1.0, epochs=3, seed=0,
                      stream="on", batch_size=16, shuffle_buffer=64)
    run = train(cfg, tmp_path / "ds")
    assert json.loads((run.path / "metrics.json").read_text())["accuracy"] > 0.6
    X, _ = run.read_npz("representative.npz")
    predicted = run.keras_model()(run.normalise(X), training=False).numpy().argmax(axis=1)
    assert np.unique(predicted).size > 1  # with Keras's moving averages: accuracy 0.25, one class read


def test_a_shard_digest_that_is_no_sha256_is_refused(corpus, tmp_path, capsys):
    """A manifest whose shard sha256 was edited to something that is not one (a number) is refused, not
    taken as "no digest" and the shard read unchecked."""
    import shutil

    from imuforge.cli import main

    edited = tmp_path / "edited"
    shutil.copytree(corpus, edited)
    doc = json.loads((edited / "manifest.json").read_text())
    doc["shards"][0]["sha256"] = 5
    (edited / "manifest.json").write_text(json.dumps(doc))
    assert main(["dataset", "info", str(edited)]) == 2
    err = capsys.readouterr().err.strip()
    assert "corrupt manifest: shard shard-00000.parquet's sha256 5 is not a sha-256 in hex" in err, err

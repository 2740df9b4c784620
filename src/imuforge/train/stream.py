"""Streaming training input: sharded corpora trained with bounded memory.

``imuforge train`` on a sharded Dataset (``imuforge generate``) does not hold every window in memory:

1. **windows, shard by shard** — each recording is read (a shard file at a time) and windowed once;
   the float32 windows go to a scratch file on disk (:class:`WindowStore`), only their labels,
   subjects and origins stay in memory. The split, label order and class weights are then the same
   as the in-memory path's, computed on the same arrays.
2. **normalisation** — per-channel mean and std of the training windows, accumulated block by block.
3. **fit** — every epoch reads the training windows in blocks of consecutive windows in a seeded
   random block order into a shuffle buffer of ``shuffle_buffer`` windows, and draws batches from it
   at random (``balance="sampling"``: each class equally likely within the buffer, instead of class
   weights). Validation windows are streamed the same way, in order.

Memory: the shuffle buffer, one block, the label arrays (a few bytes per window) and the model (a network
with BatchNormalization also holds the ≤ 2048 training windows its statistics are set from,
:mod:`imuforge.train.batchnorm`). The report at the end (validation predictions, ``heldout.npz``) still
reads the validation windows at once.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from imuforge.errors import ValidationError

#: consecutive windows read from the store at a time
BLOCK_WINDOWS = 1024
BALANCE_MODES = ("weights", "sampling")


class WindowStore:
    """Fixed-shape float32 windows appended to a scratch file; read back by block or by index (array-like)."""

    def __init__(self, window: int, channels: int, folder: str | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="imuforge-windows-", dir=folder)
        self._cleanup = weakref.finalize(self, self._dir.cleanup)
        self.path = Path(self._dir.name) / "windows.f32"
        self._fh = open(self.path, "w+b")
        self.window, self.channels, self.n = int(window), int(channels), 0
        self.dtype = np.dtype(np.float32)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.n, self.window, self.channels)

    def __len__(self) -> int:
        return self.n

    @property
    def _row_bytes(self) -> int:
        return self.window * self.channels * 4

    def append(self, X: np.ndarray) -> None:
        X = np.ascontiguousarray(X, np.float32)
        if X.shape[1:] != (self.window, self.channels):
            raise ValidationError(f"window shape {X.shape[1:]} differs from the store's {(self.window, self.channels)}")
        self._fh.seek(self.n * self._row_bytes)
        self._fh.write(X.tobytes())
        self.n += X.shape[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Windows ``start … stop-1``."""
        start, stop = max(0, int(start)), min(self.n, int(stop))
        self._fh.flush()
        self._fh.seek(start * self._row_bytes)
        buf = self._fh.read(max(0, stop - start) * self._row_bytes)
        return np.frombuffer(buf, np.float32).reshape(-1, self.window, self.channels).copy()

    def __getitem__(self, index) -> np.ndarray:
        """Windows at a boolean mask, an index array or a slice, read block by block, in the order asked."""
        if isinstance(index, slice):
            index = np.arange(self.n)[index]
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        out = np.empty((index.size, self.window, self.channels), np.float32)
        order = np.argsort(index, kind="stable")
        sorted_idx = index[order]
        for lo in range(0, sorted_idx.size, BLOCK_WINDOWS):
            part = sorted_idx[lo:lo + BLOCK_WINDOWS]
            block = self.read(part[0], part[-1] + 1)
            out[order[lo:lo + BLOCK_WINDOWS]] = block[part - part[0]]
        return out

    def close(self) -> None:
        self._fh.close()
        self._cleanup()


#: ``stream="auto"`` streams a sharded corpus whose windows would take more than this in memory (bytes,
#: float32): a small one trains in memory, where every epoch takes at least ``MIN_STEPS_PER_EPOCH`` steps —
#: streamed, a 9-recording corpus took one step per epoch and came out undertrained (a fresh user's run)
STREAM_ABOVE_BYTES = 256 * 2**20


def is_sharded_input(config) -> bool:
    """Whether ``config`` streams its windows: ``stream="on"`` / ``"off"`` say so; ``"auto"`` streams when a
    Dataset is sharded and all the windows would take more than :data:`STREAM_ABOVE_BYTES` in memory (their
    count estimated from the manifests' durations and the hop)."""
    from imuforge.datasets.loading import find_all_datasets, split_paths
    from imuforge.datasets.windowing import DEFAULT_CHANNELS, window_length

    mode = getattr(config, "stream", "auto")
    if mode in ("on", "off"):
        return mode == "on"
    paths = split_paths(config.data) + split_paths(config.real) + split_paths(config.val)
    datasets = find_all_datasets(paths)
    if not any(ds.sharded for ds in datasets):
        return False
    windows = sum(ds.total_duration_s for ds in datasets) / config.stride_s
    per_window = window_length(config.window_s, config.rate_hz) * len(config.channels or DEFAULT_CHANNELS) * 4
    return windows * per_window > STREAM_ABOVE_BYTES


def load_pool(config, init):
    """The training pool with windows in a :class:`WindowStore`: pass 1 of the module doc."""
    from imuforge.datasets.loading import find_all_datasets, split_paths
    from imuforge.datasets.windowing import Windows, make_windows, window_length
    from imuforge.progress import progress
    from imuforge.recording import SiFigures
    from imuforge.train.trainer import ROLE_DESC, _pool_from_windows, roles, val_channels_unusable

    store = WindowStore(window_length(config.window_s, config.rate_hz), len(config.channels), scratch_folder())
    common = dict(window_s=config.window_s, stride_s=config.stride_s, rate_hz=config.rate_hz,
                  channels=config.channels, label_policy=config.label_policy, keep_labels=config.labels)
    cols: dict[str, list] = {"labels": [], "groups": [], "sources": [], "starts": [], "role": []}
    dropped: Counter = Counter()
    summaries = []
    for paths, role in roles(config):
        datasets = find_all_datasets(split_paths(paths))
        bar = progress(total=sum(len(ds) for ds in datasets), desc=ROLE_DESC[role], unit="rec")
        units = SiFigures()  # data in g or deg/s refused, as load_windows does for the in-memory pool
        for ds in datasets:
            for entry, rec in zip(ds.entries, ds.recordings()):
                name = f"{ds.path}/{entry.get('name', entry['file'])}"
                units.add(rec, name=name)
                with val_channels_unusable(role):
                    w = make_windows([rec], source_names=[name], **common)
                store.append(w.X)
                for key, arr in (("labels", w.labels), ("groups", w.groups), ("sources", w.sources),
                                 ("starts", w.starts_s), ("role", np.full(len(w), role))):
                    cols[key].append(arr)
                dropped.update(w.dropped)
                bar.update(1)
            summaries.append(dict(ds.summary(), role=role))
        bar.close()
        units.check("data")
    if not cols["labels"]:
        raise ValidationError("no recordings in the training data")
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    windows = Windows(store, cat["labels"].astype(object), cat["groups"].astype(object),
                      cat["sources"].astype(object), tuple(config.channels), float(config.rate_hz),
                      float(config.window_s), float(config.stride_s), dropped, cat["starts"].astype(float))
    from imuforge.train.trainer import one_wearer

    is_real = cat["role"] != "data"
    return _pool_from_windows(windows, is_real, summaries, config, init, one_wearer(windows, is_real),
                              is_val=cat["role"] == "validation")


def _blocks(index: np.ndarray, size: int) -> list[np.ndarray]:
    return [index[i:i + size] for i in range(0, index.size, size)]


def normalisation_stats(store: WindowStore, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over every sample of the windows at ``mask`` (Chan's merge, float64)."""
    n, mean, m2 = 0, np.zeros(store.channels), np.zeros(store.channels)
    for part in _blocks(np.flatnonzero(mask), BLOCK_WINDOWS):
        x = store.read(part[0], part[-1] + 1)[part - part[0]].reshape(-1, store.channels).astype(np.float64)
        k, mu = x.shape[0], x.mean(axis=0)
        delta = mu - mean
        m2 += ((x - mu) ** 2).sum(axis=0) + delta ** 2 * n * k / (n + k)
        mean += delta * k / (n + k)
        n += k
    std = np.sqrt(m2 / max(n, 1))
    std = np.where(std > 1e-6 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    return mean, std


class ShuffleStream:
    """Batches ``(x, y, weight)`` of the windows at ``index``: blocks in a seeded order, a bounded shuffle buffer.

    Epoch ``e`` draws from ``rng([seed, e])``. ``balance="sampling"`` draws each class equally often
    within the buffer; ``transform(X, rows, rng)`` (augmentation, normalisation) is applied per batch.
    """

    def __init__(self, store: WindowStore, index: np.ndarray, y: np.ndarray, weight: np.ndarray, *, batch: int,
                 buffer: int, seed: int, balance: str = "weights", transform=None):
        if balance not in BALANCE_MODES:
            raise ValidationError(f"balance {balance!r} unknown", allowed=", ".join(BALANCE_MODES))
        self.store, self.index, self.y, self.weight = store, np.asarray(index), y, weight
        # a buffer of at least 4 batches, filled from blocks of 1/16 of it: batches mix many recordings
        self.batch, self.buffer, self.seed, self.balance = int(batch), max(int(buffer), 4 * int(batch)), seed, balance
        self.transform = transform
        self.epoch = 0

    def __len__(self) -> int:
        return -(-self.index.size // self.batch)

    def __call__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        block = max(1, min(BLOCK_WINDOWS, self.buffer // 16))
        parts = _blocks(self.index, block)
        buf_x = np.empty((self.buffer + block, self.store.window, self.store.channels), np.float32)
        buf_i = np.empty(self.buffer + block, np.int64)
        count = 0
        for b in rng.permutation(len(parts)):
            part = parts[b]
            buf_x[count:count + part.size] = self.store.read(part[0], part[-1] + 1)[part - part[0]]
            buf_i[count:count + part.size] = part
            count += part.size
            while count >= self.buffer:
                count = yield from self._draw(buf_x, buf_i, count, rng)
        while count:
            count = yield from self._draw(buf_x, buf_i, count, rng)

    def _draw(self, buf_x, buf_i, count: int, rng):
        """Yield one batch drawn from the first ``count`` buffer rows; fill the holes from the tail."""
        k = min(self.batch, count)
        p = None
        if self.balance == "sampling":
            labels = self.y[buf_i[:count]]
            per_class = np.bincount(labels)
            p = 1.0 / per_class[labels]
            p /= p.sum()
        chosen = rng.choice(count, size=k, replace=False, p=p)
        rows = buf_i[chosen]
        x = buf_x[chosen]
        w = self.weight[rows]
        if self.transform is not None:
            x = self.transform(x, rows, rng)
        yield x, self.y[rows], w.astype(np.float32)
        tail = np.arange(count - k, count)
        holes = np.sort(chosen[chosen < count - k])
        fillers = tail[~np.isin(tail, chosen)]
        buf_x[holes] = buf_x[fillers]
        buf_i[holes] = buf_i[fillers]
        return count - k


def _ordered_batches(store: WindowStore, index: np.ndarray, y, weight, batch: int, transform):
    def gen():
        for part in _blocks(index, batch):
            x = store.read(part[0], part[-1] + 1)[part - part[0]]
            yield transform(x, part, None), y[part], weight[part].astype(np.float32)
    return gen


def _dataset(gen, batches: int, length: int, channels: int):
    """A tf.data pipeline over ``gen`` (called anew each epoch) that yields ``batches`` batches."""
    import tensorflow as tf

    sig = (tf.TensorSpec((None, length, channels), tf.float32), tf.TensorSpec((None,), tf.int64),
           tf.TensorSpec((None,), tf.float32))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    return ds.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(2)


def fit(config, model, pool, split, mean, std):
    """The streamed counterpart of ``trainer._fit``: same loss, weights, early stopping and callbacks."""
    import keras

    from imuforge.train.augment import Augmentation
    from imuforge.train.trainer import (_normalise, class_weights, fit_callbacks, fit_closing,
                                       restore_start_unless_beaten, start_point)

    w, y, store = pool.windows, pool.y, pool.windows.X
    n_classes = len(pool.labels)
    real_w = np.where(pool.is_real, config.real_weight, 1.0)
    weight = (class_weights(y[split.train], n_classes)[y] * real_w).astype(np.float32)
    if getattr(config, "balance", "weights") == "sampling":
        weight = real_w.astype(np.float32)
    val_weight = class_weights(y[split.val], n_classes)[y].astype(np.float32)
    aug = Augmentation.from_json(config.augment)
    on = pool.is_real if config.augment_on == "real" else np.ones(len(y), bool)

    def transform(x, rows, rng):
        if aug is not None and rng is not None and on[rows].any():
            x = x.copy()
            x[on[rows]] = aug.apply(x[on[rows]], w.channels, rng, channel_std=np.asarray(std, float))
        return _normalise(x, mean, std)

    train = ShuffleStream(store, np.flatnonzero(split.train), y, weight, batch=config.batch_size,
                          buffer=getattr(config, "shuffle_buffer", 8192), seed=config.seed,
                          balance=getattr(config, "balance", "weights"), transform=transform)
    val_index = np.flatnonzero(split.val)
    val = _ordered_batches(store, val_index, y, val_weight, 256, transform)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], weighted_metrics=[])
    val_data = _dataset(val, -(-val_index.size // 256), w.length, len(w.channels))
    start = start_point(config, model, lambda: model.evaluate(val_data, verbose=0, return_dict=True))
    hist = fit_closing(model, fit_callbacks(config, model, pool, split, mean, std),
                       _dataset(train, len(train), w.length, len(w.channels)), epochs=config.epochs,
                       shuffle=False, validation_data=val_data, verbose=0)
    return restore_start_unless_beaten(model, hist.history, start)


def scratch_folder() -> str | None:
    """Where window stores go: ``IMUFORGE_SCRATCH`` if set, else the system temp folder."""
    return os.environ.get("IMUFORGE_SCRATCH") or None

"""Find, check and load the T2M-GPT checkpoint files in a folder (and write random ones in their layout).

A weights folder holds (names as in the authors' ``VQTrans_pretrained.zip``, or flat):

* the VQ-VAE: ``VQVAE/net_last.pth`` or ``net_last.pth`` — ``{"net": state_dict}``;
* the GPT: ``VQTransformer_corruption05/net_best_fid.pth`` or ``net_best_fid.pth`` — ``{"trans": state_dict}``;
* HumanML3D's feature mean and std, (263,) each: ``meta/mean.npy`` + ``meta/std.npy`` (the T2M
  evaluator's copy that T2M-GPT's demo loads) or ``Mean.npy`` + ``Std.npy`` (the HumanML3D dataset's).

Every key and shape is checked before loading; any difference is one error naming the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from imuforge.errors import ValidationError
from imuforge.motion.t2m.layout import CONFIG_FILE, N_FEATURES, PUBLISHED, T2MConfig, read_config
from imuforge.motion.t2m.models import MotionVQVAE, T2MTransformer

VQ_FILES = ("VQVAE/net_last.pth", "net_last.pth")
GPT_FILES = ("VQTransformer_corruption05/net_best_fid.pth", "net_best_fid.pth")
STAT_FILES = (("meta/mean.npy", "meta/std.npy"), ("Mean.npy", "Std.npy"), ("mean.npy", "std.npy"))
WHERE = "the 'pretrained' folder of the T2M-GPT authors' VQTrans_pretrained.zip (see docs/MOTION.md)"


@dataclass(frozen=True)
class WeightFiles:
    """The four files of one T2M-GPT model."""

    folder: Path
    vq: Path
    gpt: Path
    mean: Path
    std: Path
    config: T2MConfig = PUBLISHED


def _first(folder: Path, names) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def find_weights(folder) -> WeightFiles:
    """The checkpoint files in ``folder``; a missing one is an error naming what was expected."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():  # (it had said "weights folder FILE does not exist")
        raise ValidationError(f"--weights {folder} is a file, not a folder", allowed=f"the folder holding "
                              f"the checkpoints: {WHERE}")
    if not folder.is_dir():
        raise ValidationError(f"T2M-GPT weights folder {folder} does not exist", allowed=WHERE)
    vq, gpt = _first(folder, VQ_FILES), _first(folder, GPT_FILES)
    stats = next(((folder / m, folder / s) for m, s in STAT_FILES if (folder / m).is_file() and (folder / s).is_file()),
                 None)
    # every file missing said at once (an empty folder had named the VQ-VAE only, then the next, and so on)
    missing = [(what, names) for got, names, what in (
        (vq, VQ_FILES, "VQ-VAE checkpoint"), (gpt, GPT_FILES, "GPT checkpoint"),
        (stats, [f"{m} + {s}" for m, s in STAT_FILES], "HumanML3D feature mean/std")) if got is None]
    if missing:
        need = "; ".join(f"{w}: {' or '.join(n)}" for w, n in missing)
        raise ValidationError(f"no {' and no '.join(w for w, _ in missing)} in {folder}",
                              allowed=f"{need}; from {WHERE}")
    return WeightFiles(folder, vq, gpt, *stats, config=read_config(folder))


def torch_file_problem(path: Path, exc: BaseException) -> str:
    """Why ``torch.load(path, weights_only=True)`` failed, in words: torch's advice to load with
    ``weights_only=False`` (run what an untrusted pickle says) is not one to follow, nor to repeat."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as e:
        return f"cannot be read ({e.strerror or type(e).__name__})"
    text = " ".join(str(exc).split())
    if not head:
        return "empty file"
    if m := re.search(r"Unsupported global: GLOBAL ([\w.]+)", text):
        return f"holds a Python object ({m.group(1)}), not only tensors: torch's safe loader refuses it"
    if head.startswith(b"PK"):
        return "a damaged or truncated torch checkpoint (its zip archive cannot be read)"
    if head.startswith(b"\x80") and "EOF" in text:
        return "a truncated torch checkpoint (it ends early)"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy file, not a torch checkpoint file"
    return "not a torch checkpoint file"


def _state_dict(path: Path, key: str) -> dict:
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        # in words (it had quoted internals: "(KeyError: 101)" for a text file, "(EOFError: )" for an
        # empty one)
        raise ValidationError(torch_file_problem(path, exc), source=str(path),
                              allowed=f"the authors' file, a dict with key {key!r}") from None
    if not isinstance(ckpt, dict) or key not in ckpt or not isinstance(ckpt[key], dict):
        found = sorted(ckpt)[:5] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValidationError(f"no {key!r} state dict in the checkpoint (found {found})", source=str(path),
                              allowed=f"a dict with key {key!r}, as the T2M-GPT training scripts save")
    return ckpt[key]


def check_layout(state: dict, model: torch.nn.Module, path: Path, what: str) -> None:
    """Raise one line naming ``path`` unless ``state`` has exactly the model's names and shapes."""
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) if hasattr(v, "shape") else None for k, v in state.items()}
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    wrong = [f"{k} {got[k]} instead of {want[k]}" for k in want if k in got and got[k] != want[k]]
    if not (missing or extra or wrong):
        return
    parts = []
    for label, items in (("missing", missing), ("unexpected", extra), ("wrong shape", wrong)):
        if items:
            more = f" and {len(items) - 2} more" if len(items) > 2 else ""
            parts.append(f"{len(items)} {label} ({', '.join(items[:2])}{more})")
    raise ValidationError(f"not the {what} layout: {'; '.join(parts)}", source=str(path),
                          allowed=f"the published T2M-GPT {what} ({len(want)} tensors), or sizes in {CONFIG_FILE}")


def check_finite_weights(state: dict, path: Path) -> None:
    """Raise one line naming ``path``, the first tensor holding NaN or inf and how many, before any sampling.

    A NaN or inf weight had loaded and sampled: every token came out 0 whatever the text (a NaN in the
    GPT's head), or every sample was rejected after the model ran (a NaN in the codebook)."""
    bad = {k: int((~torch.isfinite(v)).sum()) for k, v in state.items()
           if isinstance(v, torch.Tensor) and v.is_floating_point()}
    bad = {k: n for k, n in bad.items() if n}
    if bad:
        name, n = next(iter(bad.items()))
        more = f" (and {len(bad) - 1} more tensor(s) too)" if len(bad) > 1 else ""
        raise ValidationError(f"{name} holds {n} non-finite value(s){more}", source=str(path),
                              allowed="finite weights")


def _stats(files: WeightFiles) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for p in (files.mean, files.std):
        try:
            a = np.load(p, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise ValidationError(f"not a NumPy array ({exc})", source=str(p)) from None
        if a.shape != (N_FEATURES,) or a.dtype.kind not in "fiu":
            raise ValidationError(f"shape {a.shape}, {a.dtype}", source=str(p),
                                  allowed="(263,) finite HumanML3D feature statistics")
        if n := int((~np.isfinite(a)).sum()):
            raise ValidationError(f"holds {n} non-finite value(s)", source=str(p),
                                  allowed="(263,) finite HumanML3D feature statistics")
        out.append(a.astype(np.float32))
    if np.any(out[1] <= 0):
        raise ValidationError("std has entries ≤ 0", source=str(files.std), allowed="positive standard deviations")
    return out[0], out[1]


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """The file's SHA-256 (hex), read in 1 MiB chunks (a 872 MiB checkpoint is never held whole)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def provenance(files: WeightFiles) -> dict:
    """What identifies the weights in a motion's meta: the folder's resolved path and each file's SHA-256
    (the path had been recorded as typed, ``w`` and ``/abs/w`` differing, and two weight sets at one
    path alike)."""
    paths = [files.vq, files.gpt, files.mean, files.std, files.folder / CONFIG_FILE]
    digests = {p.relative_to(files.folder).as_posix(): sha256(p) for p in paths if p.is_file()}
    return {"weights": str(files.folder.resolve()), "weights_sha256": digests}


@dataclass
class LoadedModel:
    vq: MotionVQVAE
    gpt: T2MTransformer
    mean: np.ndarray
    std: np.ndarray
    files: WeightFiles
    provenance: dict = field(default_factory=dict)


def load_models(folder, device: str | torch.device = "cpu") -> LoadedModel:
    """Both networks and the feature statistics, checked and in eval mode on ``device``."""
    files = find_weights(folder)
    mean, std = _stats(files)
    with torch.device("meta"):  # no memory and no random initialisation: the file's tensors are assigned
        vq = MotionVQVAE(files.config.vq)
        gpt = T2MTransformer(files.config.gpt)
    for model, path, key, what in ((vq, files.vq, "net", "VQ-VAE"), (gpt, files.gpt, "trans", "GPT")):
        state = _state_dict(path, key)
        check_layout(state, model, path, what)
        check_finite_weights(state, path)
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True, assign=True)
        model.eval().to(device)
    return LoadedModel(vq, gpt, mean, std, files, provenance(files))


def write_random_weights(folder, config: T2MConfig = PUBLISHED, *, seed: int = 0) -> WeightFiles:
    """Randomly initialised models saved in the published file layout (for tests and benchmarks).

    The codebook gets unit-scale random vectors; the mean / std are those of a library standing
    motion (std shrunk ×0.1), so decoded motion is a person-shaped skeleton with random deviations.
    With non-published sizes the sizes go to ``imuforge-t2m.json`` beside the files.
    """
    folder = Path(folder)
    torch.manual_seed(seed)
    vq, gpt = MotionVQVAE(config.vq), T2MTransformer(config.gpt)
    with torch.no_grad():
        vq.vqvae.quantizer.codebook.normal_()
        for m in gpt.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
                m.weight.normal_(0.0, 0.02)
    for rel, key, model in ((VQ_FILES[0], "net", vq), (GPT_FILES[0], "trans", gpt)):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        torch.save({key: model.state_dict()}, folder / rel)
    mean, std = _library_stats(seed)
    (folder / "meta").mkdir(parents=True, exist_ok=True)
    np.save(folder / STAT_FILES[0][0], mean)
    np.save(folder / STAT_FILES[0][1], std)
    if config != PUBLISHED:
        (folder / CONFIG_FILE).write_text(json.dumps(config.to_json(), indent=1))
    return find_weights(folder)


def _library_stats(seed: int) -> tuple[np.ndarray, np.ndarray]:
    from imuforge.motion.library import generate
    from imuforge.motion.t2m.features import features_from_motion

    F = features_from_motion(generate("standing", 4.0, fps=20.0, rng=seed, fidget=0.0))
    return F.mean(0).astype(np.float32), np.maximum(0.1 * F.std(0), 1e-3).astype(np.float32)

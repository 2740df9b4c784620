"""CLIP ViT-B/32 text features for T2M-GPT, from local files through Hugging Face ``transformers``.

T2M-GPT conditions on OpenAI CLIP ViT-B/32's projected text feature (512 numbers: the final
layer-normed state at the end-of-text token times the text projection; no normalisation), with
CLIP's BPE tokenizer (lower-cased, 77 tokens, truncated). ``transformers``' ``CLIPTokenizer`` and
``CLIPTextModelWithProjection`` compute exactly that from a local copy of the Hugging Face
repository ``openai/clip-vit-base-patch32`` (MIT licence; files ``config.json``,
``model.safetensors`` or ``pytorch_model.bin``, ``vocab.json``, ``merges.txt``, tokenizer configs).
Nothing is downloaded: the folder must hold the files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

import torch

from imuforge.errors import ValidationError, require_extra

CLIP_CONTEXT = 77
CLIP_FILES = "config.json, model.safetensors (or pytorch_model.bin), vocab.json, merges.txt"
CLIP_TYPES = ("clip", "clip_text_model")
CLIP_WHERE = f"a local copy of the Hugging Face repository openai/clip-vit-base-patch32 ({CLIP_FILES})"


class TextEncoder(Protocol):
    """Texts → (B, dim) float32 features on the model's device."""

    dim: int

    def __call__(self, texts: list[str]) -> torch.Tensor: ...


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"--clip {folder} is a file, not a folder", allowed=CLIP_WHERE)
    if not folder.is_dir():
        raise ValidationError(f"CLIP folder {folder} does not exist", allowed=CLIP_WHERE)
    weights = any((folder / n).is_file() for n in ("model.safetensors", "pytorch_model.bin"))
    tok = (folder / "tokenizer.json").is_file() or all((folder / n).is_file() for n in ("vocab.json", "merges.txt"))
    missing = [n for n, ok in (("config.json", (folder / "config.json").is_file()),
                               ("model.safetensors or pytorch_model.bin", weights),
                               ("vocab.json + merges.txt (or tokenizer.json)", tok)) if not ok]
    if missing:
        raise ValidationError(f"CLIP folder {folder} lacks {', '.join(missing)}", allowed=CLIP_WHERE)


def _cannot(folder: Path, why: str) -> ValidationError:
    return ValidationError(f"cannot load CLIP ({why})", source=str(folder), allowed=CLIP_WHERE)


def _short(exc: BaseException) -> str:
    """An exception's message on one line, bounded, without its library's framing."""
    text = " ".join(str(exc).split()).removeprefix("Error while initializing BPE: ")
    return text[:160] or type(exc).__name__


def _read_config(folder: Path) -> dict:
    """config.json, checked to describe CLIP (a BERT folder's had failed on sizes: "look at the above
    report!", with no report)."""
    import json

    try:
        top = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        why = "not JSON" if isinstance(exc, json.JSONDecodeError) else _short(exc)
        raise _cannot(folder, f"config.json cannot be read ({why})") from None
    if not isinstance(top, dict):
        raise _cannot(folder, "config.json is not a JSON object")
    kind = top.get("model_type")
    if kind not in (None, *CLIP_TYPES):
        raise _cannot(folder, f"config.json describes a {kind!r} model, not CLIP (model_type "
                              f"{' or '.join(map(repr, CLIP_TYPES))})")
    return top


def _tokenizer(tf, folder: Path):
    files = "tokenizer.json" if (folder / "tokenizer.json").is_file() else "vocab.json + merges.txt"
    try:
        tok = tf.CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
        tok(["a person walks"])  # a vocabulary without CLIP's special tokens fails only when used
        return tok
    except Exception as exc:  # noqa: BLE001 - tokenizers raises a bare Exception
        why = "not JSON" if re.search(r"line \d+ column \d+", str(exc)) else _short(exc)
        raise _cannot(folder, f"{files} is not CLIP's BPE vocabulary ({why})") from None


def _weights_problem(path: Path, exc: BaseException) -> str:
    """Why the weights file did not load, in words (never torch's advice to load with weights_only=False)."""
    from imuforge.motion.t2m.checkpoint import torch_file_problem

    text = " ".join(str(exc).split())
    if path.is_file() and path.stat().st_size == 0:
        return f"{path.name} is an empty file"
    if "ignore_mismatched_sizes" in text or "size mismatch" in text:
        return f"{path.name} holds tensors of other shapes than config.json describes"
    if path.suffix == ".bin":
        return f"{path.name}: {torch_file_problem(path, exc)}"
    if "safetensor" in type(exc).__name__.lower() or "safetensor" in text.lower():
        return f"{path.name} is damaged or truncated (not a readable safetensors file)"
    return f"{path.name} did not load: {_short(exc)}"


def _weights_file(folder: Path) -> Path:
    """The weights file transformers loads: model.safetensors, else pytorch_model.bin."""
    return next(folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file())


def _text_model(tf, folder: Path, top: dict):
    """The text tower with its projection, from a text-only or a full (text + vision) CLIP folder."""
    weights = _weights_file(folder)
    try:
        config = tf.CLIPTextConfig.from_pretrained(str(folder), local_files_only=True)
        if top.get("model_type") == "clip":  # the full model: the projection size is a top-level field
            config.projection_dim = int(top.get("projection_dim", config.projection_dim))
    except Exception as exc:  # noqa: BLE001 - a config transformers cannot use, whatever it raises
        raise _cannot(folder, f"config.json is not a CLIP configuration: {_short(exc)}") from None
    log = tf.utils.logging
    verbosity, bars_on = log.get_verbosity(), log.is_progress_bar_enabled()
    log.set_verbosity_error()  # the vision tower's weights are "unexpected" here, by design
    log.disable_progress_bar()  # a sub-second load: imuforge's own bar covers the sampling
    try:
        model, info = tf.CLIPTextModelWithProjection.from_pretrained(
            str(folder), config=config, local_files_only=True, output_loading_info=True)
    except Exception as exc:  # noqa: BLE001 - safetensors, torch and transformers raise many types
        raise _cannot(folder, _weights_problem(weights, exc)) from None
    finally:
        log.set_verbosity(verbosity)
        if bars_on:
            log.enable_progress_bar()
    if missing := sorted(info.get("missing_keys") or ()):  # transformers fills them with random numbers
        more = f" and {len(missing) - 2} more" if len(missing) > 2 else ""
        raise _cannot(folder, f"{weights.name} lacks {len(missing)} of the text model's tensors "
                              f"({', '.join(missing[:2])}{more})")
    return model


class ClipTextEncoder:
    """CLIP text features from ``folder``; ``device`` as torch understands it."""

    def __init__(self, folder: str | os.PathLike, device: str | torch.device = "cpu"):
        folder = Path(folder)
        _check_folder(folder)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        tf = require_extra("transformers", purpose="the T2M-GPT backend's CLIP text encoder")
        # each step says what failed in words (any error of transformers, safetensors or tokenizers had
        # been a traceback, exit 1, but OSError, ValueError, KeyError and RuntimeError)
        top = _read_config(folder)
        self.tokenizer = _tokenizer(tf, folder)
        self.model = _text_model(tf, folder, top)
        self.model.eval().to(device)
        self.device = torch.device(device)
        self.dim = int(self.model.config.projection_dim)
        self.folder = folder
        self.weights = _weights_file(folder)  # (its hash goes into the motions' provenance)

    @torch.no_grad()
    def __call__(self, texts: list[str]) -> torch.Tensor:
        ids = self.tokenizer(list(texts), padding="max_length", max_length=CLIP_CONTEXT, truncation=True,
                             return_tensors="pt").to(self.device)
        return self.model(input_ids=ids["input_ids"]).text_embeds.float()

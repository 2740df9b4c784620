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
from pathlib import Path
from typing import Protocol

import torch

from imuforge.errors import ValidationError, require_extra

CLIP_CONTEXT = 77
CLIP_FILES = "config.json, model.safetensors (or pytorch_model.bin), vocab.json, merges.txt"
CLIP_WHERE = f"a local copy of the Hugging Face repository openai/clip-vit-base-patch32 ({CLIP_FILES})"


class TextEncoder(Protocol):
    """Texts → (B, dim) float32 features on the model's device."""

    dim: int

    def __call__(self, texts: list[str]) -> torch.Tensor: ...


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ValidationError(f"CLIP folder {folder} does not exist", allowed=CLIP_WHERE)
    weights = any((folder / n).is_file() for n in ("model.safetensors", "pytorch_model.bin"))
    tok = (folder / "tokenizer.json").is_file() or all((folder / n).is_file() for n in ("vocab.json", "merges.txt"))
    missing = [n for n, ok in (("config.json", (folder / "config.json").is_file()),
                               ("model.safetensors or pytorch_model.bin", weights),
                               ("vocab.json + merges.txt (or tokenizer.json)", tok)) if not ok]
    if missing:
        raise ValidationError(f"CLIP folder {folder} lacks {', '.join(missing)}", allowed=CLIP_WHERE)


def _text_model(tf, folder: Path):
    """The text tower with its projection, from a text-only or a full (text + vision) CLIP folder."""
    import json

    top = json.loads((folder / "config.json").read_text())
    config = tf.CLIPTextConfig.from_pretrained(str(folder), local_files_only=True)
    if top.get("model_type") == "clip":  # the full model: the projection size is a top-level field
        config.projection_dim = int(top.get("projection_dim", config.projection_dim))
    log = tf.utils.logging
    verbosity, bars_on = log.get_verbosity(), log.is_progress_bar_enabled()
    log.set_verbosity_error()  # the vision tower's weights are "unexpected" here, by design
    log.disable_progress_bar()  # a sub-second load: imuforge's own bar covers the sampling
    try:
        return tf.CLIPTextModelWithProjection.from_pretrained(str(folder), config=config, local_files_only=True)
    finally:
        log.set_verbosity(verbosity)
        if bars_on:
            log.enable_progress_bar()


class ClipTextEncoder:
    """CLIP text features from ``folder``; ``device`` as torch understands it."""

    def __init__(self, folder: str | os.PathLike, device: str | torch.device = "cpu"):
        folder = Path(folder)
        _check_folder(folder)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        tf = require_extra("transformers", purpose="the T2M-GPT backend's CLIP text encoder")
        try:
            self.tokenizer = tf.CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
            self.model = _text_model(tf, folder)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            msg = " ".join(str(exc).split())[:200]
            raise ValidationError(f"cannot load CLIP ({type(exc).__name__}: {msg})", source=str(folder),
                                  allowed=CLIP_WHERE) from None
        self.model.eval().to(device)
        self.device = torch.device(device)
        self.dim = int(self.model.config.projection_dim)
        self.folder = folder

    @torch.no_grad()
    def __call__(self, texts: list[str]) -> torch.Tensor:
        ids = self.tokenizer(list(texts), padding="max_length", max_length=CLIP_CONTEXT, truncation=True,
                             return_tensors="pt").to(self.device)
        return self.model(input_ids=ids["input_ids"]).text_embeds.float()

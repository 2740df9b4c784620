"""Text → motion with T2M-GPT: CLIP feature → sampled code tokens (cached keys / values) → VQ decoder
→ HumanML3D features → joints → :class:`Motion`.

Sampling follows the authors' ``sample(..., if_categorial=True)``: one token at a time from the
softmax of the logits until the end token or the block is full (50 tokens = 200 frames = 9.95 s at
20 fps); :class:`Sampling` adds temperature, top-k, a minimum length and a shorter maximum. Every
sample draws its randomness from its own generator seeded by ``(seed, index)``, so a sample does
not depend on which others share its batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from imuforge.errors import ValidationError
from imuforge.motion.motion import Motion
from imuforge.motion.t2m.checkpoint import LoadedModel, load_models, provenance, sha256
from imuforge.motion.t2m.features import FPS, motion_from_features
from imuforge.motion.t2m.text_encoder import ClipTextEncoder, TextEncoder
from imuforge.progress import progress

if TYPE_CHECKING:
    from imuforge.motion.t2m.quality import PlausibilityLimits, QualityReport


@dataclass(frozen=True)
class Sampling:
    """How tokens are drawn. ``top_k=None`` and ``temperature=1`` are the authors' sampling."""

    temperature: float = 1.0
    top_k: int | None = None
    min_tokens: int = 2          # the end token is masked before this many tokens (≥ 0.4 s)
    max_tokens: int | None = None  # None: the model's block (50 tokens, 9.95 s)

    def __post_init__(self):
        if not (np.isfinite(self.temperature) and self.temperature > 0):
            raise ValidationError(f"temperature must be > 0, got {self.temperature!r}")
        if self.top_k is not None and self.top_k < 1:
            raise ValidationError(f"top_k must be ≥ 1, got {self.top_k!r}")
        if self.min_tokens < 1 or (self.max_tokens is not None and self.max_tokens < self.min_tokens):
            raise ValidationError(f"need 1 ≤ min_tokens ≤ max_tokens, got {self.min_tokens}, {self.max_tokens}")


@dataclass
class Generated:
    """One sampled motion: its tokens and denormalised HumanML3D features (20 fps)."""

    text: str
    seed: int
    index: int
    tokens: np.ndarray
    features: np.ndarray
    meta: dict = field(default_factory=dict)

    def motion(self, fps: float | None = None, label: str | None = None,
               seconds: float | None = None) -> Motion:
        """The Motion at ``fps`` (default 20); ``seconds``: cut to that length (S × fps + 1 frames)."""
        meta = {"generator": "t2m-gpt", "text": self.text, "seed": self.seed, "index": self.index,
                "n_tokens": len(self.tokens), **self.meta}
        return motion_from_features(self.features, fps=fps, label=label, meta=meta, seconds=seconds)


def default_device() -> str:
    """CUDA when torch sees a GPU, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def _choose(logits: torch.Tensor, gens: list[torch.Generator], s: Sampling) -> torch.Tensor:
    """One token per row by the Gumbel-max trick (same law as softmax sampling), noise from each row's generator."""
    logits = logits.float() / s.temperature
    if s.top_k is not None and s.top_k < logits.shape[-1]:
        kth = torch.topk(logits, s.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    u = torch.stack([torch.rand(logits.shape[-1], generator=g, dtype=torch.float64) for g in gens])
    gumbel = -torch.log(-torch.log(u.clamp(1e-300, 1.0 - 1e-16))).to(logits.device, torch.float32)
    return torch.argmax(logits + gumbel, dim=-1)


class T2MGPT:
    """Loaded T2M-GPT (VQ-VAE, GPT, statistics) plus a text encoder."""

    def __init__(self, models: LoadedModel, text_encoder: TextEncoder, device: str | torch.device = "cpu"):
        if text_encoder.dim != models.gpt.config.clip_dim:
            raise ValidationError(f"the text encoder gives {text_encoder.dim} numbers, the GPT expects "
                                  f"{models.gpt.config.clip_dim}", allowed="CLIP ViT-B/32 (512) for the published GPT")
        self.models = models
        self.text_encoder = text_encoder
        self.device = torch.device(device)
        self._mean = torch.from_numpy(models.mean)
        self._std = torch.from_numpy(models.std)
        self.provenance = dict(models.provenance or provenance(models.files))  # hashed once per model
        if (clip := getattr(text_encoder, "weights", None)) is not None:  # CLIP's weights too
            self.provenance.update(clip=str(clip.parent.resolve()), clip_sha256={clip.name: sha256(clip)})

    @classmethod
    def from_folder(cls, weights: str | os.PathLike, clip: str | os.PathLike | None = None,
                    device: str | None = None) -> T2MGPT:
        """Load checkpoints from ``weights`` and CLIP from ``clip`` (default ``weights/clip-vit-base-patch32``)."""
        from pathlib import Path

        device = device or default_device()
        models = load_models(weights, device)
        clip_dir = Path(clip) if clip is not None else Path(weights) / "clip-vit-base-patch32"
        return cls(models, ClipTextEncoder(clip_dir, device), device)

    @property
    def max_tokens(self) -> int:
        return self.models.gpt.config.max_tokens

    def sample_tokens(self, texts: list[str], seeds: list[tuple[int, int]], sampling: Sampling = Sampling(),
                      bar=None) -> list[np.ndarray]:
        """Code tokens per text (one batch), sampled with cached keys / values."""
        gpt = self.models.gpt
        end = gpt.config.end_token
        n_max = min(sampling.max_tokens or self.max_tokens, self.max_tokens)
        gens = [torch.Generator().manual_seed(int(np.random.SeedSequence(list(s)).generate_state(1)[0]))
                for s in seeds]
        B = len(texts)
        cache = gpt.new_cache(B)
        logits = gpt.step(cache, 0, clip=self.text_encoder(texts).to(self.device))
        out = torch.full((B, n_max), end, dtype=torch.long, device=self.device)
        lengths = torch.full((B,), n_max, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        for i in range(n_max):
            if i < sampling.min_tokens:
                logits[:, end] = float("-inf")
            idx = _choose(logits, gens, sampling)
            ended = (idx.cpu() == end) & ~done
            lengths[ended] = i
            done |= ended
            out[:, i] = idx
            if bar is not None:
                bar.update(1)
            if bool(done.all()) or i == n_max - 1:
                if bar is not None:
                    bar.update(n_max - 1 - i)
                break
            logits = gpt.step(cache, i + 1, tokens=idx[:, None])
        return [out[b, :int(lengths[b])].cpu().numpy() for b in range(B)]

    @torch.no_grad()
    def decode(self, tokens: np.ndarray) -> np.ndarray:
        """Denormalised HumanML3D features (4 × len(tokens), 263) of one token sequence."""
        codes = torch.as_tensor(np.asarray(tokens), dtype=torch.long, device=self.device)[None]
        feats = self.models.vq.decode(codes)[0].float().cpu()
        return (feats * self._std + self._mean).double().numpy()

    @torch.no_grad()
    def encode_motion(self, motion: Motion) -> np.ndarray:
        """Code tokens of a Motion (resampled to 20 fps, features normalised by the model's mean / std)."""
        from imuforge.motion.t2m.features import features_from_motion

        feats = (features_from_motion(motion).astype(np.float32) - self.models.mean) / self.models.std
        n = feats.shape[0] - feats.shape[0] % self.models.vq.config.frames_per_token
        if n == 0:
            raise ValidationError(f"a motion of {feats.shape[0]} feature frames is shorter than one token")
        x = torch.from_numpy(feats[:n])[None].to(self.device)
        return self.models.vq.encode(x)[0].cpu().numpy()

    def generate(self, texts: list[str], *, seed: int = 0, start: int = 0, sampling: Sampling = Sampling(),
                 batch_size: int = 8, show_progress: bool = True) -> list[Generated]:
        """One motion per text; sample ``k`` uses the generator of ``(seed, start + k)``."""
        if batch_size < 1:
            raise ValidationError(f"batch_size must be ≥ 1, got {batch_size}")
        n_max = min(sampling.max_tokens or self.max_tokens, self.max_tokens)
        batches = [list(range(i, min(i + batch_size, len(texts)))) for i in range(0, len(texts), batch_size)]
        out: list[Generated] = []
        with progress(total=len(batches) * n_max, desc="t2m-gpt tokens", unit="step",
                      disable=None if show_progress else True) as bar:
            for b in batches:
                toks = self.sample_tokens([texts[k] for k in b], [(seed, start + k) for k in b], sampling, bar)
                for k, t in zip(b, toks):
                    out.append(Generated(texts[k], seed, start + k, t, self.decode(t),
                                         meta={**self.provenance, "fps_model": FPS}))
        return out


# --------------------------------------------------------------------------- generate until N accepted
@dataclass
class Attempt:
    """One generated sample with its quality verdict."""

    generated: Generated
    report: QualityReport
    motion: Motion | None = None


def expected_activity(text: str, matcher: str = "embedding") -> tuple[str | None, str]:
    """The library activity the text maps to (for relevance), or None and why not. A text the library
    refuses for a speed or duration it does not make ("walking at 9 m/s") is matched without them: the
    model does not read them, and the words still name the activity."""
    from imuforge.motion.text import parse_description, without_quantities

    try:
        spec = parse_description(text, matcher=matcher)
    except ValidationError as exc:
        plain = without_quantities(text)
        try:
            if not plain or plain == text:
                raise exc
            spec = parse_description(plain, matcher=matcher)
        except ValidationError:
            return None, f"relevance unchecked: {exc.what}"
    return spec.activity, f"relevance judged against {spec.activity} (score {spec.score:.2f})"


def generate_accepted(model: T2MGPT, texts: list[str], n: int, *, seed: int = 0, fps: float | None = None,
                      expected: str | None = None, sampling: Sampling = Sampling(), batch_size: int = 8,
                      max_attempts: int | None = None, limits: PlausibilityLimits | None = None, gate: bool = True,
                      label: str | None = None,
                      seconds: float | None = None) -> tuple[list[Attempt], list[Attempt]]:
    """Sample until ``n`` motions pass the quality gate (or ``max_attempts``, default 4 n, are spent).

    Sample ``k`` uses ``texts[k % len(texts)]`` and the generator of ``(seed, k)``. Returns the
    accepted attempts (with their Motion, at ``fps`` or 20 fps, ``seconds`` long if given) and the
    rejected ones (with reasons).
    """
    from imuforge.motion.t2m.quality import PlausibilityLimits, QualityReport, judge

    limits = limits or PlausibilityLimits()
    max_attempts = max_attempts or 4 * n
    accepted: list[Attempt] = []
    rejected: list[Attempt] = []
    k = 0
    while len(accepted) < n and k < max_attempts:
        m = min(max(batch_size, n - len(accepted)), max_attempts - k)
        batch = model.generate([texts[(k + i) % len(texts)] for i in range(m)], seed=seed, start=k,
                               sampling=sampling, batch_size=batch_size)
        k += m
        # features → joints → IK and the quality gate: seconds at --n 200 that had passed without a word
        # between the token bar and "wrote …"
        for g in progress(batch, desc="t2m-gpt motions checked", unit="motion"):
            try:
                motion = g.motion(fps=fps, label=label or expected, seconds=seconds)
            except ValidationError as exc:  # e.g. two joints on one spot: no orientations
                rejected.append(Attempt(g, QualityReport(np.nan, np.nan, np.nan, np.nan,
                                                         reasons=[f"invalid joints: {exc.what}"])))
                continue
            report = judge(motion, expected, limits=limits)
            if gate and report.reasons:
                rejected.append(Attempt(g, report))
            elif len(accepted) < n:
                accepted.append(Attempt(g, report, motion))
    return accepted, rejected

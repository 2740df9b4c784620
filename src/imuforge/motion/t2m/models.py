"""T2M-GPT's two networks in torch, written for imuforge with the module names of the published files.

* :class:`MotionVQVAE` — 1-D convolutional encoder / decoder over HumanML3D features (normalised by
  the dataset mean / std) and a codebook of ``nb_code`` vectors; one token per ``2**down_t`` frames.
  Residual stacks: pre-activation blocks ``x + conv1x1(relu(conv3_dilated(relu(x))))`` with
  dilations ``rate**2, rate, 1`` (largest first, in the encoder and the decoder alike); the
  decoder upsamples ×2 by nearest neighbour before each 3-wide convolution.
* :class:`T2MTransformer` — a GPT whose first position is the projected CLIP text feature, then
  motion tokens; fixed sin/cos positions are added; ``num_layers`` causal blocks in the *base*
  and as many in the *head*, final layer norm, logits over the codes plus an end token.
  :meth:`T2MTransformer.step` runs one position at a time with cached attention keys / values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from imuforge.motion.t2m.layout import GPTConfig, VQConfig

_VQ_DEFAULT, _GPT_DEFAULT = VQConfig(), GPTConfig()


# --------------------------------------------------------------------------- VQ-VAE
class _ResBlock(nn.Module):
    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.conv1 = nn.Conv1d(width, width, 3, 1, dilation, dilation)
        self.conv2 = nn.Conv1d(width, width, 1, 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class _ResStack(nn.Module):
    def __init__(self, width: int, depth: int, rate: int):
        super().__init__()
        self.model = nn.Sequential(*[_ResBlock(width, rate ** d) for d in reversed(range(depth))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _Encoder(nn.Module):
    def __init__(self, c: VQConfig):
        super().__init__()
        down = [nn.Sequential(nn.Conv1d(c.width, c.width, 2 * c.stride_t, c.stride_t, c.stride_t // 2),
                              _ResStack(c.width, c.depth, c.dilation_growth_rate)) for _ in range(c.down_t)]
        self.model = nn.Sequential(nn.Conv1d(c.n_features, c.width, 3, 1, 1), nn.ReLU(), *down,
                                   nn.Conv1d(c.width, c.code_dim, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _Decoder(nn.Module):
    def __init__(self, c: VQConfig):
        super().__init__()
        up = [nn.Sequential(_ResStack(c.width, c.depth, c.dilation_growth_rate),
                            nn.Upsample(scale_factor=c.stride_t, mode="nearest"),
                            nn.Conv1d(c.width, c.width, 3, 1, 1)) for _ in range(c.down_t)]
        self.model = nn.Sequential(nn.Conv1d(c.code_dim, c.width, 3, 1, 1), nn.ReLU(), *up,
                                   nn.Conv1d(c.width, c.width, 3, 1, 1), nn.ReLU(),
                                   nn.Conv1d(c.width, c.n_features, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _Quantizer(nn.Module):
    def __init__(self, c: VQConfig):
        super().__init__()
        self.register_buffer("codebook", torch.zeros(c.nb_code, c.code_dim))

    def quantize(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest code index of each row of ``x`` (N, code_dim)."""
        cb = self.codebook
        d = (x * x).sum(-1, keepdim=True) - 2 * x @ cb.t() + (cb * cb).sum(-1)[None]
        return d.argmin(-1)

    def dequantize(self, idx: torch.Tensor) -> torch.Tensor:
        return F.embedding(idx, self.codebook)


class _VQ(nn.Module):
    def __init__(self, c: VQConfig):
        super().__init__()
        self.encoder = _Encoder(c)
        self.decoder = _Decoder(c)
        self.quantizer = _Quantizer(c)


class MotionVQVAE(nn.Module):
    """Normalised features (B, T, 263) ⇄ code indices (B, T / 2**down_t)."""

    def __init__(self, config: VQConfig = _VQ_DEFAULT):
        super().__init__()
        self.config = config
        self.vqvae = _VQ(config)

    @torch.no_grad()
    def encode(self, feats: torch.Tensor) -> torch.Tensor:
        z = self.vqvae.encoder(feats.permute(0, 2, 1).float())            # (B, C, T')
        B, C, L = z.shape
        return self.vqvae.quantizer.quantize(z.permute(0, 2, 1).reshape(-1, C)).view(B, L)

    @torch.no_grad()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        z = self.vqvae.quantizer.dequantize(codes).permute(0, 2, 1)       # (B, C, L)
        return self.vqvae.decoder(z).permute(0, 2, 1)                      # (B, L·2**down_t, 263)


# --------------------------------------------------------------------------- GPT
def sincos_table(n: int, dim: int) -> torch.Tensor:
    """The fixed positional table, (n, 1, dim): sin on even, cos on odd channels, base 10000."""
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(n, dim)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe[:, None]


@dataclass
class _LayerCache:
    k: torch.Tensor  # (B, heads, block_size, head_dim)
    v: torch.Tensor


class _Attention(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        d = c.embed_dim
        self.key, self.query, self.value, self.proj = (nn.Linear(d, d) for _ in range(4))
        self.register_buffer("mask", torch.tril(torch.ones(c.block_size, c.block_size))[None, None])
        self.n_head = c.n_head

    def _heads(self, lin: nn.Linear, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        return lin(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)

    def forward(self, x: torch.Tensor, cache: _LayerCache | None = None, pos: int = 0) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self._heads(self.query, x), self._heads(self.key, x), self._heads(self.value, x)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            cache.k[:, :, pos:pos + T] = k
            cache.v[:, :, pos:pos + T] = v
            mask = self.mask[:, :, pos:pos + T, :pos + T].bool()
            y = F.scaled_dot_product_attention(q, cache.k[:, :, :pos + T], cache.v[:, :, :pos + T], attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class _Block(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(c.embed_dim)
        self.ln2 = nn.LayerNorm(c.embed_dim)
        self.attn = _Attention(c)
        self.mlp = nn.Sequential(nn.Linear(c.embed_dim, c.fc_rate * c.embed_dim), nn.GELU(),
                                 nn.Linear(c.fc_rate * c.embed_dim, c.embed_dim), nn.Dropout(0.0))

    def forward(self, x, cache=None, pos=0):
        x = x + self.attn(self.ln1(x), cache, pos)
        return x + self.mlp(self.ln2(x))


class _PosEmbed(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.embed = nn.Parameter(sincos_table(c.block_size, c.embed_dim), requires_grad=False)


class _Base(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.tok_emb = nn.Embedding(c.num_vq + 2, c.embed_dim)
        self.cond_emb = nn.Linear(c.clip_dim, c.embed_dim)
        self.pos_embedding = nn.Embedding(c.block_size, c.embed_dim)
        self.blocks = nn.ModuleList(_Block(c) for _ in range(c.num_layers))
        self.pos_embed = _PosEmbed(c)


class _Head(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.blocks = nn.ModuleList(_Block(c) for _ in range(c.num_layers))
        self.ln_f = nn.LayerNorm(c.embed_dim)
        self.head = nn.Linear(c.embed_dim, c.num_vq + 1, bias=False)


class T2MTransformer(nn.Module):
    """Text feature (B, clip_dim) + motion tokens → next-token logits (codes and the end token)."""

    def __init__(self, config: GPTConfig = _GPT_DEFAULT):
        super().__init__()
        self.config = config
        self.trans_base = _Base(config)
        self.trans_head = _Head(config)

    def _blocks(self):
        return [*self.trans_base.blocks, *self.trans_head.blocks]

    def _embed(self, tokens: torch.Tensor | None, clip: torch.Tensor | None, pos: int) -> torch.Tensor:
        parts = [] if clip is None else [self.trans_base.cond_emb(clip)[:, None]]
        if tokens is not None and tokens.shape[1]:
            parts.append(self.trans_base.tok_emb(tokens))
        x = torch.cat(parts, dim=1)
        if pos + x.shape[1] > self.config.block_size:
            raise ValueError(f"sequence of {pos + x.shape[1]} exceeds the block size {self.config.block_size}")
        return x + self.trans_base.pos_embed.embed[pos:pos + x.shape[1], 0][None]

    @torch.no_grad()
    def forward(self, tokens: torch.Tensor, clip: torch.Tensor) -> torch.Tensor:
        """Full causal pass (no cache): logits (B, 1 + T, num_vq + 1)."""
        x = self._embed(tokens, clip, 0)
        for blk in self._blocks():
            x = blk(x)
        return self.trans_head.head(self.trans_head.ln_f(x))

    def new_cache(self, batch: int) -> list[_LayerCache]:
        c = self.config
        p = self.trans_head.head.weight
        shape = (batch, c.n_head, c.block_size, c.embed_dim // c.n_head)
        return [_LayerCache(torch.zeros(shape, dtype=p.dtype, device=p.device),
                            torch.zeros(shape, dtype=p.dtype, device=p.device)) for _ in self._blocks()]

    @torch.no_grad()
    def step(self, cache: list[_LayerCache], pos: int, *, clip: torch.Tensor | None = None,
             tokens: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, num_vq + 1) of the position after ``pos``, feeding the condition (pos 0) or tokens."""
        x = self._embed(tokens, clip, pos)
        for blk, lc in zip(self._blocks(), cache):
            x = blk(x, lc, pos)
        return self.trans_head.head(self.trans_head.ln_f(x[:, -1]))

"""T2M-GPT model sizes and the state-dict layout of the authors' published checkpoints, as facts.

Published configuration (the training commands in the T2M-GPT README, Zhang et al. 2023):
VQ-VAE ``--nb-code 512 --down-t 2 --depth 3 --dilation-growth-rate 3 --vq-act relu --quantizer
ema_reset`` with width / code dim / output width 512; GPT ``--num-layers 9 --embed-dim-gpt 1024
--nb-code 512 --n-head-gpt 16 --block-size 51 --ff-rate 4`` and CLIP ViT-B/32 text features (512).
"--num-layers 9" builds 9 blocks in the transformer *base* and 9 more in its *head* (18 in all).

Files (the authors' ``VQTrans_pretrained.zip``, unpacked): ``VQVAE/net_last.pth`` holds
``{"net": state_dict}`` of ``HumanVQVAE``; ``VQTransformer_corruption05/net_best_fid.pth`` holds
``{"trans": state_dict}`` of ``Text2Motion_Transformer``. :data:`PUBLISHED_VQ_KEYS` and
:data:`PUBLISHED_GPT_KEYS` list every name and shape of those state dicts for the published sizes,
written from the authors' module definitions (models/vqvae.py, encdec.py, resnet.py,
quantize_cnn.py, t2m_trans.py, pos_encoding.py); ``{a,b}`` patterns expand to every listed value.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from imuforge.errors import ValidationError

N_FEATURES = 263


@dataclass(frozen=True)
class VQConfig:
    """Sizes of the motion VQ-VAE (defaults: published)."""

    nb_code: int = 512
    code_dim: int = 512
    width: int = 512
    down_t: int = 2
    stride_t: int = 2
    depth: int = 3
    dilation_growth_rate: int = 3
    n_features: int = N_FEATURES

    @property
    def frames_per_token(self) -> int:
        return self.stride_t ** self.down_t


@dataclass(frozen=True)
class GPTConfig:
    """Sizes of the text-conditioned transformer (defaults: published)."""

    num_vq: int = 512
    embed_dim: int = 1024
    clip_dim: int = 512
    block_size: int = 51
    num_layers: int = 9
    n_head: int = 16
    fc_rate: int = 4

    @property
    def end_token(self) -> int:
        return self.num_vq

    @property
    def max_tokens(self) -> int:
        """Motion tokens one sample can hold (the condition takes the first position)."""
        return self.block_size - 1


@dataclass(frozen=True)
class T2MConfig:
    vq: VQConfig = VQConfig()
    gpt: GPTConfig = GPTConfig()

    def to_json(self) -> dict:
        return {"vq": asdict(self.vq), "gpt": asdict(self.gpt)}

    @classmethod
    def from_json(cls, d: dict, source: str | None = None) -> T2MConfig:
        try:
            vq = VQConfig(**{k: int(v) for k, v in d.get("vq", {}).items()})
            gpt = GPTConfig(**{k: int(v) for k, v in d.get("gpt", {}).items()})
        except (TypeError, ValueError, AttributeError) as exc:
            names = ", ".join(f.name for f in fields(VQConfig)) + "; " + ", ".join(f.name for f in fields(GPTConfig))
            raise ValidationError(f"bad model sizes ({exc})", source=source, allowed=names) from None
        if vq.nb_code != gpt.num_vq:
            raise ValidationError(f"vq.nb_code {vq.nb_code} differs from gpt.num_vq {gpt.num_vq}", source=source)
        return cls(vq, gpt)


PUBLISHED = T2MConfig()
#: optional file beside the checkpoints with non-published sizes (written for small test models)
CONFIG_FILE = "imuforge-t2m.json"


def read_config(folder: Path) -> T2MConfig:
    path = folder / CONFIG_FILE
    if not path.exists():
        return PUBLISHED
    try:
        return T2MConfig.from_json(json.loads(path.read_text()), source=str(path))
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not JSON ({exc})", source=str(path)) from None


# --------------------------------------------------------------------------- published layout (facts)
_RES = ("model.{0,1,2}.conv1.weight", (512, 512, 3)), ("model.{0,1,2}.conv1.bias", (512,)), \
       ("model.{0,1,2}.conv2.weight", (512, 512, 1)), ("model.{0,1,2}.conv2.bias", (512,))

PUBLISHED_VQ_KEYS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("vqvae.encoder.model.0.weight", (512, 263, 3)), ("vqvae.encoder.model.0.bias", (512,)),
    ("vqvae.encoder.model.{2,3}.0.weight", (512, 512, 4)), ("vqvae.encoder.model.{2,3}.0.bias", (512,)),
    *((f"vqvae.encoder.model.{{2,3}}.1.{k}", s) for k, s in _RES),
    ("vqvae.encoder.model.4.weight", (512, 512, 3)), ("vqvae.encoder.model.4.bias", (512,)),
    ("vqvae.decoder.model.0.weight", (512, 512, 3)), ("vqvae.decoder.model.0.bias", (512,)),
    *((f"vqvae.decoder.model.{{2,3}}.0.{k}", s) for k, s in _RES),
    ("vqvae.decoder.model.{2,3}.2.weight", (512, 512, 3)), ("vqvae.decoder.model.{2,3}.2.bias", (512,)),
    ("vqvae.decoder.model.4.weight", (512, 512, 3)), ("vqvae.decoder.model.4.bias", (512,)),
    ("vqvae.decoder.model.6.weight", (263, 512, 3)), ("vqvae.decoder.model.6.bias", (263,)),
    ("vqvae.quantizer.codebook", (512, 512)),
)

_L9 = "{0,1,2,3,4,5,6,7,8}"
_BLOCK = (("ln1.weight", (1024,)), ("ln1.bias", (1024,)), ("ln2.weight", (1024,)), ("ln2.bias", (1024,)),
          *((f"attn.{p}.{w}", (1024, 1024) if w == "weight" else (1024,))
            for p in ("key", "query", "value", "proj") for w in ("weight", "bias")),
          ("attn.mask", (1, 1, 51, 51)),
          ("mlp.0.weight", (4096, 1024)), ("mlp.0.bias", (4096,)), ("mlp.2.weight", (1024, 4096)),
          ("mlp.2.bias", (1024,)))

PUBLISHED_GPT_KEYS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("trans_base.tok_emb.weight", (514, 1024)),          # 512 codes + end + pad
    ("trans_base.cond_emb.weight", (1024, 512)), ("trans_base.cond_emb.bias", (1024,)),
    ("trans_base.pos_embedding.weight", (51, 1024)),     # learned table, unused by the forward pass
    *((f"trans_base.blocks.{_L9}.{k}", s) for k, s in _BLOCK),
    ("trans_base.pos_embed.embed", (51, 1, 1024)),       # fixed sin/cos table (a non-trained Parameter)
    *((f"trans_head.blocks.{_L9}.{k}", s) for k, s in _BLOCK),
    ("trans_head.ln_f.weight", (1024,)), ("trans_head.ln_f.bias", (1024,)),
    ("trans_head.head.weight", (513, 1024)),             # 512 codes + end, no bias
)


def expand(keys) -> dict[str, tuple[int, ...]]:
    """``{"a.{0,1}.w": shape}`` patterns → every concrete name with its shape, in order."""
    out: dict[str, tuple[int, ...]] = {}
    for pattern, shape in keys:
        parts = re.split(r"\{([^}]*)\}", pattern)
        choices = [p.split(",") for p in parts[1::2]]
        for combo in itertools.product(*choices):
            name = "".join(a + b for a, b in itertools.zip_longest(parts[0::2], combo, fillvalue=""))
            out[name] = tuple(shape)
    return out

"""T2M-GPT backend at the published model sizes (random weights: the same compute): speed and memory.

Run: .venv/bin/python benchmarks/bench_t2m.py [--threads N] [--quick]
Writes benchmarks/results/t2m.md and t2m.targets.json.

Measured, on the CPU (and on CUDA when torch sees a GPU):
* loading the published-layout files (written here with random weights; zero missing / unexpected keys);
* the CLIP ViT-B/32 text tower (published sizes, random weights) on one description;
* sampling 50 tokens (= 200 frames = 10 s of motion, the model's longest) with cached attention
  keys / values, against the same model recomputing the whole prefix at every step (the authors'
  ``sample`` loop), at batch 1 and 8;
* the VQ-VAE decoder, features → joints → Motion (IK) at 20 fps;
* parameter and key/value-cache bytes, and the process's peak resident memory;
* the HumanML3D feature round trip on library motions (target ≤ 1e-5 relative).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _targets import RESULTS, Target, combine, command_line, status, write_targets
from _timing import best_time

from imuforge.motion.library import ACTIVITIES, generate
from imuforge.motion.t2m.checkpoint import load_models, write_random_weights
from imuforge.motion.t2m.features import FPS, canonical_positions, features_from_motion, joints_from_features
from imuforge.motion.t2m.generate import T2MGPT, Sampling
from imuforge.motion.t2m.layout import PUBLISHED

N_TOKENS = PUBLISHED.gpt.max_tokens
SECONDS = N_TOKENS * PUBLISHED.vq.frames_per_token / FPS


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RandomClip:
    """CLIP ViT-B/32's text tower at its published sizes, random weights, random token ids (77)."""

    def __init__(self, device):
        from transformers import CLIPTextConfig, CLIPTextModelWithProjection

        torch.manual_seed(0)
        self.model = CLIPTextModelWithProjection(CLIPTextConfig()).eval().to(device)  # 512 wide, 12 layers, 49408 BPE
        self.device, self.dim = device, 512

    @torch.no_grad()
    def __call__(self, texts):
        g = torch.Generator().manual_seed(len(texts))
        ids = torch.randint(0, 49406, (len(texts), 77), generator=g)
        ids[:, 0], ids[:, 12:] = 49406, 49407
        return self.model(input_ids=ids.to(self.device)).text_embeds.float()




def uncached_sample(gpt, clip, n):
    """The authors' loop: the whole prefix through the model at every step (no cache)."""
    tokens = torch.zeros((clip.shape[0], 0), dtype=torch.long, device=clip.device)
    for _ in range(n):
        logits = gpt(tokens, clip)[:, -1, :-1]
        tokens = torch.cat([tokens, logits.argmax(-1, keepdim=True)], 1)
    return tokens


def measure(device: str, quick: bool, lines: list[str]) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_random_weights(tmp, PUBLISHED, seed=0)
        t_write = time.perf_counter() - t0
        sizes = {p.name: p.stat().st_size for p in Path(tmp).rglob("*.pth")}
        t0 = time.perf_counter()
        models = load_models(tmp, device)
        out["load_s"] = time.perf_counter() - t0
    lines.append(f"random published-size files written in {t_write:.1f} s ({', '.join(f'{k} {v / 2**20:.0f} MiB' for k, v in sizes.items())}); "
                 f"loaded on {device} with zero missing / unexpected keys in {out['load_s']:.1f} s")
    clip = RandomClip(device)
    model = T2MGPT(models, clip, device)
    out["gpt_params"] = sum(p.numel() for p in models.gpt.parameters())
    out["vq_params"] = sum(p.numel() for p in models.vq.parameters())
    out["clip_params"] = sum(p.numel() for p in clip.model.parameters())
    c = PUBLISHED.gpt
    out["kv_mb_per_sample"] = 2 * 2 * c.num_layers * c.block_size * c.embed_dim * 4 / 2**20
    out["clip_s"] = best_time(lambda: clip(["a person walks briskly"]))
    feats = clip(["a person walks briskly"] * 8)
    fixed = Sampling(min_tokens=N_TOKENS, max_tokens=N_TOKENS)
    for batch in (1,) if quick else (1, 8):
        texts = ["a person walks briskly"] * batch
        seeds = [(0, i) for i in range(batch)]
        cached, uncached = [], []
        for _ in range(1 if quick or batch > 1 else 2):  # interleaved: the shared machine's load hits both alike
            cached.append(best_time(lambda texts=texts, seeds=seeds: model.sample_tokens(texts, seeds, fixed), 1))
            uncached.append(best_time(lambda b=batch: uncached_sample(models.gpt, feats[:b], N_TOKENS), 1))
        out[f"cached_b{batch}_s"], out[f"uncached_b{batch}_s"] = min(cached), min(uncached)
        t = out[f"uncached_b{batch}_s"]
        lines.append(f"batch {batch}: {N_TOKENS} tokens with cached keys/values {out[f'cached_b{batch}_s']:.2f} s "
                     f"({batch * N_TOKENS / out[f'cached_b{batch}_s']:.0f} tokens/s), recomputing the prefix "
                     f"{t:.2f} s → {t / out[f'cached_b{batch}_s']:.1f}× faster with the cache")
    toks = model.sample_tokens(["x"], [(0, 0)], fixed)[0]
    out["decode_s"] = best_time(lambda: model.decode(toks))
    g = model.generate(["a person walks"], seed=0, sampling=fixed, show_progress=False)[0]
    out["to_motion_s"] = best_time(lambda: g.motion())
    t0 = time.perf_counter()
    model.generate(["a person walks briskly"], seed=1, sampling=fixed, show_progress=False)[0].motion()
    out["end_to_end_s"] = time.perf_counter() - t0 + out["clip_s"]
    out["peak_rss_mb"] = peak_rss_mb()
    lines.append(f"CLIP text tower {out['clip_s'] * 1e3:.0f} ms; VQ decode of 200 frames {out['decode_s'] * 1e3:.0f} ms; "
                 f"features → joints → IK → Motion {out['to_motion_s'] * 1e3:.0f} ms")
    lines.append(f"one 10 s motion, text to Motion, batch 1: {out['end_to_end_s']:.2f} s = "
                 f"{SECONDS / out['end_to_end_s']:.1f}× real time; peak resident memory {out['peak_rss_mb']:.0f} MiB")
    return out


def round_trip() -> float:
    worst = 0.0
    for name, act in ACTIVITIES.items():
        m = generate(name, None if act.kind == "transition" else 10, fps=FPS, rng=1)
        J = joints_from_features(features_from_motion(m))
        C = canonical_positions(m.positions)[:-1]
        worst = max(worst, float(np.abs(J - C).max() / np.abs(C).max()))
    return worst


def rows(cpu: dict, cuda: dict | None, rt: float, threads: int) -> list[Target]:
    speed = SECONDS / cpu["end_to_end_s"]
    cache_gain = cpu["uncached_b1_s"] / cpu["cached_b1_s"]
    parts = {"CPU faster than real time": status(speed, at_least=1.0, unit="×"),
             "cache faster than recompute": status(cache_gain, at_least=1.0, unit="×")}
    parts["CUDA"] = status(None if cuda is None else SECONDS / cuda["end_to_end_s"], at_least=1.0, unit="×",
                           note="no GPU on this machine" if cuda is None else "")
    measured = (f"CPU ({threads} thread{'s' * (threads > 1)}): 10 s motion in {cpu['end_to_end_s']:.1f} s "
                f"({speed:.1f}× real time), cache {cache_gain:.1f}× vs recompute at batch 1"
                + (f", {cpu['uncached_b8_s'] / cpu['cached_b8_s']:.1f}× at batch 8" if "cached_b8_s" in cpu else "")
                + f"; peak RSS {cpu['peak_rss_mb']:.0f} MiB (GPT {cpu['gpt_params'] / 1e6:.0f} M params)"
                + ("" if cuda is None else f"; CUDA {cuda['end_to_end_s']:.2f} s"))
    return [
        Target(issue="13 t2m", target="T2M-GPT at published sizes: speed and memory, cached keys/values; CPU and CUDA",
               measured=measured, peer="the same model recomputing the prefix each step (authors' loop)",
               status=combine(parts), values={**{f"cpu_{k}": v for k, v in cpu.items()},
                                              **({f"cuda_{k}": v for k, v in cuda.items()} if cuda else {})}),
        Target(issue="13 t2m", target="official-layout checkpoints load with zero missing/unexpected keys",
               measured=f"random published-size files ({cpu['gpt_params'] / 1e6:.0f} M + {cpu['vq_params'] / 1e6:.1f} M "
                        f"params) loaded strictly in {cpu['load_s']:.1f} s", peer="—",
               status=status(0, at_most=0), values={"load_s": cpu["load_s"]}),
        Target(issue="13 t2m", target="feature round trip ≤ 1e-5 relative", measured=f"{rt:.1e} worst over the 19 "
               "library activities (10 s, 20 fps)", peer="—", status=status(rt, at_most=1e-5), values={"max_rel": rt}),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: the box is shared)")
    ap.add_argument("--quick", action="store_true", help="batch 1 only")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lines = [f"torch {torch.__version__}, {args.threads} CPU thread(s), load average {os.getloadavg()[0]:.1f}"]
    cpu = measure("cpu", args.quick, lines)
    cuda = None
    if torch.cuda.is_available():
        lines.append(f"CUDA: {torch.cuda.get_device_name(0)}")
        cuda = measure("cuda", args.quick, lines)
    rt = round_trip()
    lines.append(f"feature round trip, worst relative error over the library: {rt:.1e}")
    print("\n".join(lines))
    cmd = command_line()
    write_targets("t2m", rows(cpu, cuda, rt, args.threads), command=cmd)
    md = ["# T2M-GPT backend — benchmark results", "",
          ("Published model sizes (VQ-VAE 512 codes × 512, down ×4; GPT 1024 wide, 9 + 9 blocks, 16 heads, block 51; "
           "CLIP ViT-B/32 text tower) with random weights: the same compute as the real checkpoints."), "",
          f"Command: `{cmd}`", "", "```", *lines, "```", ""]
    (RESULTS / "t2m.md").write_text("\n".join(md))
    print(f"wrote {RESULTS / 't2m.md'}")


if __name__ == "__main__":
    sys.exit(main())

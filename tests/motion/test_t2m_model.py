"""T2M-GPT modules: the published state-dict layout, loading random official-layout files, cached
sampling, deterministic generation and decoding, and one-line errors for missing / wrong files."""

import numpy as np
import pytest
import torch

from imuforge.errors import ValidationError
from imuforge.motion import Motion
from imuforge.motion.t2m.checkpoint import GPT_FILES, STAT_FILES, VQ_FILES, load_models, write_random_weights
from imuforge.motion.t2m.generate import T2MGPT, Sampling
from imuforge.motion.t2m.layout import (
    PUBLISHED_GPT_KEYS,
    PUBLISHED_VQ_KEYS,
    GPTConfig,
    T2MConfig,
    VQConfig,
    expand,
)
from imuforge.motion.t2m.models import MotionVQVAE, T2MTransformer, sincos_table

SMALL = T2MConfig(VQConfig(nb_code=32, code_dim=16, width=16), GPTConfig(num_vq=32, embed_dim=32, clip_dim=8,
                                                                       block_size=11, num_layers=2, n_head=4))


class FakeText:
    """A deterministic stand-in for CLIP: 8 numbers from the text."""

    dim = 8

    def __call__(self, texts):
        return torch.stack([torch.sin(torch.arange(8.0) * (1 + len(t)) + sum(map(ord, t)) % 7) for t in texts])


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny matrices on a shared 2-core machine: one torch thread avoids spin-waiting on the other."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("t2m-small")
    write_random_weights(folder, SMALL, seed=3)
    return folder


@pytest.fixture(scope="module")
def model(small):
    return T2MGPT(load_models(small), FakeText(), "cpu")


def _layout(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def test_modules_at_published_size_have_the_published_layout():
    with torch.device("meta"):  # no memory for 228 M parameters
        vq, gpt = MotionVQVAE(), T2MTransformer()
    assert _layout(vq) == expand(PUBLISHED_VQ_KEYS)
    assert _layout(gpt) == expand(PUBLISHED_GPT_KEYS)
    assert len(expand(PUBLISHED_VQ_KEYS)) == 67 and len(expand(PUBLISHED_GPT_KEYS)) == 314
    assert sum(p.numel() for p in gpt.parameters()) == 228_415_488


def test_published_layout_facts():
    vq, gpt = expand(PUBLISHED_VQ_KEYS), expand(PUBLISHED_GPT_KEYS)
    assert vq["vqvae.quantizer.codebook"] == (512, 512)                       # 512-entry codebook
    assert vq["vqvae.encoder.model.3.1.model.2.conv1.weight"] == (512, 512, 3)
    assert "vqvae.encoder.model.5.weight" not in vq                           # down_t = 2: two down blocks
    assert gpt["trans_head.blocks.8.attn.mask"] == (1, 1, 51, 51)
    assert gpt["trans_base.tok_emb.weight"] == (514, 1024) and gpt["trans_head.head.weight"] == (513, 1024)


def test_random_official_layout_files_load_with_no_missing_or_unexpected_keys(small):
    loaded = load_models(small)
    for model, rel, key in ((loaded.vq, VQ_FILES[0], "net"), (loaded.gpt, GPT_FILES[0], "trans")):
        state = torch.load(small / rel, weights_only=True)[key]
        fresh = type(model)(model.config)
        result = fresh.load_state_dict(state, strict=False)
        assert result.missing_keys == [] and result.unexpected_keys == []
        assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert torch.allclose(loaded.gpt.trans_base.pos_embed.embed, sincos_table(11, 32))


def test_cached_steps_equal_the_full_causal_pass(model):
    gpt = model.models.gpt
    clip = FakeText()(["a person waves", "someone jumps"])
    tokens = torch.tensor([[3, 7, 1, 30, 2, 9], [0, 0, 31, 5, 5, 4]])
    full = gpt(tokens, clip)
    cache = gpt.new_cache(2)
    steps = [gpt.step(cache, 0, clip=clip)]
    steps += [gpt.step(cache, i + 1, tokens=tokens[:, i:i + 1]) for i in range(tokens.shape[1])]
    assert torch.allclose(full, torch.stack(steps, 1), atol=1e-5)


def test_top1_sampling_is_the_greedy_chain_of_the_uncached_model(model):
    gpt = model.models.gpt
    toks = model.sample_tokens(["a person waves"], [(0, 0)], Sampling(top_k=1, min_tokens=1))[0]
    clip = FakeText()(["a person waves"])
    seq = torch.zeros((1, 0), dtype=torch.long)
    greedy = []
    for _ in range(gpt.config.max_tokens):
        nxt = int(gpt(seq, clip)[0, -1].argmax())
        if nxt == gpt.config.end_token:
            break
        greedy.append(nxt)
        seq = torch.cat([seq, torch.tensor([[nxt]])], 1)
    assert toks.tolist() == greedy


def test_generation_is_deterministic_and_independent_of_the_batch(model):
    texts = ["a person walks", "someone runs fast", "a man waves"]
    a = model.generate(texts, seed=5, batch_size=3, show_progress=False)
    b = model.generate(texts, seed=5, batch_size=1, show_progress=False)
    c = model.generate(texts, seed=6, batch_size=3, show_progress=False)
    for x, y in zip(a, b):
        assert np.array_equal(x.tokens, y.tokens) and np.array_equal(x.features, y.features)
    assert any(not np.array_equal(x.tokens, z.tokens) for x, z in zip(a, c))
    g = a[0]
    assert g.features.shape == (4 * len(g.tokens), 263)
    assert 2 <= len(g.tokens) <= 10 and np.all(g.tokens < 32)
    m = g.motion(fps=50.0, label="walking")
    assert isinstance(m, Motion) and m.fps == 50.0 and m.meta["generator"] == "t2m-gpt"
    m2 = b[0].motion(fps=50.0, label="walking")
    assert np.array_equal(m.positions, m2.positions) and np.array_equal(m.orientations, m2.orientations)


def test_sampling_length_limits_and_temperature(model):
    short = model.generate(["a person walks"] * 4, seed=1, sampling=Sampling(min_tokens=3, max_tokens=3),
                           show_progress=False)
    assert all(len(g.tokens) == 3 for g in short)
    cold = model.generate(["a person walks"] * 3, seed=1, sampling=Sampling(temperature=1e-4, min_tokens=4),
                          show_progress=False)
    assert all(np.array_equal(cold[0].tokens, g.tokens) for g in cold)  # ≈ greedy: the seed no longer matters
    with pytest.raises(ValidationError, match="temperature"):
        Sampling(temperature=0)


def test_vq_encode_decode_round_trip_of_code_vectors(model):
    vq = model.models.vq
    codes = torch.tensor([[1, 5, 5, 9, 30]])
    feats = vq.decode(codes)
    assert feats.shape == (1, 20, 263)
    again = vq.encode(feats)
    assert again.shape == (1, 5) and again.dtype == torch.long


# --------------------------------------------------------------------------- errors
def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_missing_files_are_named(small, tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        load_models(tmp_path / "nope")
    d = _copy(small, tmp_path / "w")
    (d / GPT_FILES[0]).unlink()
    with pytest.raises(ValidationError, match="no GPT checkpoint.*net_best_fid.pth"):
        load_models(d)
    d = _copy(small, tmp_path / "w2")
    (d / STAT_FILES[0][1]).unlink()
    with pytest.raises(ValidationError, match="mean/std.*meta/mean.npy \\+ meta/std.npy"):
        load_models(d)
    (tmp_path / "empty").mkdir()  # every missing file at once (it named the first only; session 62)
    with pytest.raises(ValidationError, match="no VQ-VAE checkpoint and no GPT checkpoint and no HumanML3D"):
        load_models(tmp_path / "empty")


def test_wrong_files_are_refused_in_one_line_naming_the_file(small, tmp_path):
    d = _copy(small, tmp_path / "w")
    (d / VQ_FILES[0]).write_bytes(b"not a checkpoint")
    with pytest.raises(ValidationError, match="net_last.pth: not a torch checkpoint file") as e:
        load_models(d)
    assert "\n" not in str(e.value)
    d = _copy(small, tmp_path / "w2")
    torch.save({"net": {}}, d / GPT_FILES[0])
    with pytest.raises(ValidationError, match="net_best_fid.pth: no 'trans' state dict"):
        load_models(d)
    d = _copy(small, tmp_path / "w3")
    other = T2MTransformer(GPTConfig(num_vq=32, embed_dim=48, clip_dim=8, block_size=11, num_layers=3, n_head=4))
    torch.save({"trans": other.state_dict()}, d / GPT_FILES[0])
    with pytest.raises(ValidationError, match=r"not the GPT layout: \d+ unexpected .*wrong shape") as e:
        load_models(d)
    assert "net_best_fid.pth" in str(e.value) and "\n" not in str(e.value)
    d = _copy(small, tmp_path / "w4")
    np.save(d / STAT_FILES[0][0], np.zeros(251))
    with pytest.raises(ValidationError, match="mean.npy: shape \\(251,\\)"):
        load_models(d)


def test_published_sizes_expected_without_a_config_file(small, tmp_path):
    d = _copy(small, tmp_path / "w")
    (d / "imuforge-t2m.json").unlink()
    with pytest.raises(ValidationError, match="net_last.pth: not the VQ-VAE layout.*wrong shape"):
        load_models(d)


def test_encode_motion_gives_one_token_per_four_frames(model):
    from imuforge.motion.library import generate

    m = generate("walking", 2.05, fps=20.0, rng=1)     # 42 frames → 41 feature frames → 10 tokens
    toks = model.encode_motion(m)
    assert toks.shape == (10,) and toks.dtype.kind == "i" and np.all((toks >= 0) & (toks < 32))
    assert np.array_equal(toks, model.encode_motion(m))


class _NotATensor:
    pass


@pytest.mark.parametrize("damage, words", [
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: p.write_text("epoch 12, loss 0.31\n"), "not a torch checkpoint file"),
    (lambda p: p.write_bytes(p.read_bytes()[:5000]), "a damaged or truncated torch checkpoint"),
    (lambda p: torch.save({"net": _NotATensor()}, p), "holds a Python object ("),
    (lambda p: p.write_bytes(b"\x93NUMPY\x01\x00" + bytes(100)), "a NumPy .npy file"),
])
def test_unreadable_checkpoints_are_said_in_words(small, tmp_path, damage, words):
    """A text file had been "(KeyError: 101)", an empty one "(EOFError: )", and torch's advice to load
    with weights_only=False was quoted."""
    d = _copy(small, tmp_path / "w")
    damage(d / VQ_FILES[0])
    with pytest.raises(ValidationError) as e:
        load_models(d)
    msg = str(e.value)
    assert f"net_last.pth: {words}" in msg and "\n" not in msg
    assert "Error" not in msg and "weights_only" not in msg


def test_every_size_of_imuforge_t2m_json_is_documented():
    """A refusal pointed at "sizes in imuforge-t2m.json", which docs/MOTION.md did not describe."""
    from dataclasses import fields

    from pathlib import Path

    import imuforge
    from imuforge.motion.t2m.layout import CONFIG_FILE, VQConfig

    text = (Path(imuforge.__file__).parent / "docs" / "MOTION.md").read_text(encoding="utf-8")
    section = text[text.index("## T2M-GPT backend"):]
    section = section[:section.index("\n## ")]
    assert f"`{CONFIG_FILE}`" in section
    for part, cls in (("vq", VQConfig), ("gpt", GPTConfig)):
        for f in fields(cls):
            assert f"`{part}.{f.name}`" in section, f"{part}.{f.name}"

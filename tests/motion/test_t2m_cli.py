"""``imuforge motion TEXT --backend t2m-gpt --weights DIR --clip DIR`` end to end on small random models,
with a tiny CLIP (text + vision, as the Hugging Face openai/clip-vit-base-patch32 folder is laid out)."""

import json

import numpy as np
import pytest
import torch

from imuforge.cli import main
from imuforge.errors import ValidationError
from imuforge.motion import read_motion
from imuforge.motion.t2m.checkpoint import GPT_FILES, write_random_weights
from imuforge.motion.t2m.layout import GPTConfig, T2MConfig, VQConfig
from imuforge.motion.t2m.text_encoder import ClipTextEncoder

transformers = pytest.importorskip("transformers")

SMALL = T2MConfig(VQConfig(nb_code=32, code_dim=16, width=16), GPTConfig(num_vq=32, embed_dim=32, clip_dim=8,
                                                                       block_size=11, num_layers=2, n_head=4))


def write_tiny_clip(folder, projection_dim=8):
    """A randomly initialised full CLIP model and a character-level BPE vocabulary, saved like the HF repo."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789.,!?'-")
    vocab = {c: i for i, c in enumerate(letters)}
    vocab.update({c + "</w>": len(letters) + i for i, c in enumerate(letters)})
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tok = transformers.CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    eot = vocab["<|endoftext|>"]
    text = {"vocab_size": len(vocab), "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
            "num_attention_heads": 2, "max_position_embeddings": 77, "bos_token_id": vocab["<|startoftext|>"],
            "eos_token_id": eot, "pad_token_id": eot}
    vision = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
              "image_size": 32, "patch_size": 16}
    torch.manual_seed(0)
    model = transformers.CLIPModel(transformers.CLIPConfig(text_config=text, vision_config=vision,
                                                           projection_dim=projection_dim)).eval()
    model.save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    return model, tok


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("t2m-cli")
    write_random_weights(root / "weights", SMALL, seed=4)
    full, tok = write_tiny_clip(root / "clip")
    yield root / "weights", root / "clip", full, tok
    torch.set_num_threads(n)


def test_clip_text_features_equal_the_full_models(folders):
    _, clip, full, tok = folders
    enc = ClipTextEncoder(clip)
    texts = ["a person walks briskly", "someone waves"]
    ids = tok(texts, padding="max_length", max_length=77, truncation=True, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        want = full.get_text_features(input_ids=ids)
    want = getattr(want, "pooler_output", want)
    assert enc.dim == 8 and torch.allclose(enc(texts), want, atol=1e-6)


def test_cli_generates_n_accepted_motions(folders, tmp_path, capsys):
    weights, clip, _, _ = folders
    out = tmp_path / "out"
    argv = ["motion", "a person stands still", "--backend", "t2m-gpt", "--weights", str(weights), "--clip", str(clip),
            "--matcher", "keywords", "--n", "2", "--seed", "3", "--fps", "50", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "T2M-GPT (cpu)" in text and "relevance judged against standing" in text
    files = sorted(out.glob("*.motion.npz"))
    assert len(files) == 2
    m = read_motion(files[0])
    assert m.fps == 50 and m.labels[0].label == "standing" and m.meta["generator"] == "t2m-gpt"
    spec = json.loads((out / "motions.json").read_text())[0]["meta"]
    assert spec["backend"] == "t2m-gpt" and spec["quality"]["accepted"] and spec["quality"]["relevance"] == "ok"
    # the same command again gives the same motions
    assert main(argv[:-1] + [str(tmp_path / "again")]) == 0
    assert np.array_equal(read_motion(tmp_path / "again" / files[0].name).positions, m.positions)


def test_cli_diversify_feeds_varied_descriptions_to_the_model(folders, tmp_path, capsys):
    weights, clip, _, _ = folders
    out = tmp_path / "div"
    rc = main(["motion", "a person stands still", "--backend", "t2m-gpt", "--weights", str(weights), "--clip",
               str(clip), "--matcher", "keywords", "--diversify", "--n", "3", "--seed", "2", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    texts = [e["meta"]["text"] for e in json.loads((out / "motions.json").read_text())]
    assert len(texts) == 3 and len(set(texts)) > 1 and "a person stands still" not in texts
    rc = main(["motion", "folding the laundry", "--backend", "t2m-gpt", "--weights", str(weights), "--clip",
               str(clip), "--matcher", "keywords", "--diversify", "--out", str(tmp_path / "x")])
    assert rc == 2 and "--diversify needs a description that maps to a library activity" in capsys.readouterr().err


def test_cli_text_outside_the_library_is_generated_without_relevance(folders, tmp_path, capsys):
    weights, clip, _, _ = folders
    rc = main(["motion", "folding the laundry", "--backend", "t2m-gpt", "--weights", str(weights), "--clip",
               str(clip), "--matcher", "keywords", "--seconds", "1", "--fps", "20", "--out", str(tmp_path / "o")])
    assert rc == 0
    captured = capsys.readouterr()
    assert "relevance unchecked" in captured.out and "the motions are not labelled" in captured.err
    m = read_motion(next((tmp_path / "o").glob("*.motion.npz")))
    assert m.n_frames == 21 and m.meta["spec"]["quality"]["relevance"] == "unchecked" and not m.labels
    # --label names an activity the library lacks (it was refused, and the motions unlabelled; session 62)
    rc = main(["motion", "folding the laundry", "--backend", "t2m-gpt", "--weights", str(weights), "--clip",
               str(clip), "--matcher", "keywords", "--seconds", "1", "--fps", "20",
               "--label", "folding_laundry", "--custom-label", "--out", str(tmp_path / "p")])
    assert rc == 0
    m = read_motion(next((tmp_path / "p").glob("t2m_folding_laundry_000.motion.npz")))
    assert [s.label for s in m.labels] == ["folding_laundry"]


@pytest.mark.parametrize("extra, message", [
    ([], "needs --weights DIR"),
    (["--weights", "{weights}", "--seconds", "30"], "--seconds 30 is longer than T2M-GPT makes"),
    (["--weights", "{weights}", "--clip", "{tmp}/noclip"], "CLIP folder .*noclip does not exist"),
    (["--weights", "{tmp}/empty"], "T2M-GPT weights folder .*empty does not exist"),
    # a file had been said not to exist: "weights folder w/meta/mean.npy does not exist"
    (["--weights", "{weights}/meta/mean.npy"], "--weights .*mean.npy is a file, not a folder"),
    (["--weights", "{weights}", "--clip", "{weights}/meta/std.npy"],
     "--clip .*std.npy is a file, not a folder"),
])
def test_cli_errors_are_one_line_exit_2(folders, tmp_path, capsys, extra, message):
    import re

    weights, clip, _, _ = folders
    extra = [e.format(weights=weights, tmp=tmp_path) for e in extra]
    if "--clip" not in extra:
        extra += ["--clip", str(clip)]
    rc = main(["motion", "a person walks", "--backend", "t2m-gpt", "--matcher", "keywords", *extra,
               "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and re.search(message, err), err
    assert not (tmp_path / "o").exists()


def test_cli_wrong_checkpoint_names_the_file(folders, tmp_path, capsys):
    import shutil

    weights, clip, _, _ = folders
    bad = tmp_path / "bad"
    shutil.copytree(weights, bad)
    torch.save({"trans": {"head.weight": torch.zeros(3)}}, bad / GPT_FILES[0])
    rc = main(["motion", "a person walks", "--backend", "t2m-gpt", "--weights", str(bad), "--clip", str(clip),
               "--matcher", "keywords", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err
    assert "net_best_fid.pth: not the GPT layout" in err and "missing" in err and "unexpected (head.weight)" in err


def test_the_gate_summary_names_each_reasons_kind():
    """The summary of a failed gate cut every reason to its first two words ("rejected for: looks like")."""
    from imuforge.motion.t2m.run import _kind

    assert [_kind(r) for r in ("foot sliding 0.31 m > 0.1 m", "left_knee bent 170° > 165°",
                               "jerk p99 1.2e+03 m/s³ > 900 m/s³", "looks like walking, running, not waving",
                               "pelvis specific force 9.1 g > 8 g (peak, trunk)")] == [
        "foot sliding", "left_knee bent", "jerk p99", "looks like another activity than the description's",
        "pelvis specific force"]
    # an invalid-joints reason had been cut mid-phrase: "invalid joints: features holds"
    assert [_kind(r) for r in (
        "invalid joints: features holds 10520 non-finite value(s) (NaN or inf); first at index (0, 0)",
        "invalid joints: joint 'left_knee' coincides with its parent at frame 3 (zero-length bone)",
        "invalid joints: need at least 2 feature frames, got 1")] == [
        "invalid joints (non-finite values)", "invalid joints (a zero-length bone)", "invalid joints"]


def _run(weights, clip, tmp_path, *extra, text="a person stands still"):
    return main(["motion", text, "--backend", "t2m-gpt", "--weights", str(weights), "--clip", str(clip),
                 "--matcher", "keywords", *extra, "--out", str(tmp_path / "o")])


def _one_line_refusal(capsys, tmp_path, rc) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert rc == 2 and "\n" not in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()
    return err


@pytest.mark.parametrize("rel, key, tensor, value", [
    (GPT_FILES[0], "trans", "trans_head.head.weight", float("nan")),
    (GPT_FILES[0], "trans", "trans_base.cond_emb.weight", float("inf")),
    ("VQVAE/net_last.pth", "net", "vqvae.quantizer.codebook", float("nan")),
])
def test_cli_non_finite_weights_refused_before_sampling(folders, tmp_path, capsys, rel, key, tensor, value):
    """NaN / inf weights had loaded: all tokens 0 whatever the text (exit 0, labelled, quality-passed), or
    every sample rejected after the model ran."""
    import shutil

    weights, clip, _, _ = folders
    bad = tmp_path / "bad"
    shutil.copytree(weights, bad)
    state = torch.load(bad / rel, weights_only=True)[key]
    state[tensor][:2] = value
    torch.save({key: state}, bad / rel)
    rc = _run(bad, clip, tmp_path)
    out = capsys.readouterr()
    err = out.err.strip()
    assert rc == 2 and "\n" not in err and "T2M-GPT (cpu)" not in out.out, out
    n = state[tensor][:2].numel()
    assert f"{rel}: {tensor} holds {n} non-finite value(s) (allowed: finite weights)" in err
    assert not (tmp_path / "o").exists()


def test_cli_non_finite_feature_statistics_are_counted(folders, tmp_path, capsys):
    import shutil

    weights, clip, _, _ = folders
    bad = tmp_path / "bad"
    shutil.copytree(weights, bad)
    std = np.load(bad / "meta/std.npy")
    std[[3, 7]] = np.nan
    np.save(bad / "meta/std.npy", std)
    err = _one_line_refusal(capsys, tmp_path, _run(bad, clip, tmp_path))
    assert "meta/std.npy: holds 2 non-finite value(s)" in err


def _truncate(p):
    p.write_bytes(p.read_bytes()[:3000])


def _garbage_bin(p):
    (p.parent / "model.safetensors").unlink()
    (p.parent / "pytorch_model.bin").write_bytes(b"garbage garbage\n")


def _garbage_vocab(p):
    (p.parent / "tokenizer.json").unlink()
    (p.parent / "vocab.json").write_text("garbage")


def _bert_config(p):
    c = json.loads((p.parent / "config.json").read_text())
    (p.parent / "config.json").write_text(json.dumps({**c, "model_type": "bert"}))


def _no_final_norm(p):
    from safetensors.torch import load_file, save_file

    state = {k: v for k, v in load_file(p).items() if "final_layer_norm" not in k}
    save_file(state, p, metadata={"format": "pt"})


@pytest.mark.parametrize("damage, words", [
    (_truncate, "model.safetensors is damaged or truncated"),
    (_garbage_bin, "pytorch_model.bin: not a torch checkpoint file"),
    (_garbage_vocab, "vocab.json + merges.txt is not CLIP's BPE vocabulary (not JSON)"),
    (_bert_config, "config.json describes a 'bert' model, not CLIP"),
    (_no_final_norm, "model.safetensors lacks 2 of the text model's tensors (text_model.final_layer_norm"),
])
def test_cli_damaged_clip_folder_is_one_line(folders, tmp_path, capsys, damage, words):
    """A damaged CLIP file had been a traceback and exit 1 (torch's weights_only=False advice in it) or
    "look at the above report!" without a report; missing tensors had been filled with random numbers."""
    import shutil

    weights, clip, _, _ = folders
    bad = tmp_path / "clip"
    shutil.copytree(clip, bad)
    damage(bad / "model.safetensors")
    err = _one_line_refusal(capsys, tmp_path, _run(weights, bad, tmp_path))
    assert f"{bad}: cannot load CLIP ({words}" in err, err
    assert "weights_only" not in err and "report" not in err


@pytest.mark.parametrize("text, words", [
    ("a person stands still for 45 seconds", "lasts 45 s, longer than T2M-GPT makes in one sample "
                                            "(allowed: up to 1.95 s"),
    ("a person stands still for 3 weeks", "lasts 'for 3 weeks': a duration not read"),
])
def test_cli_a_duration_in_the_text_is_read_or_refused(folders, tmp_path, capsys, text, words):
    """The text's duration had been dropped without a word (a 1.96 s motion for "… for 45 seconds", and
    "for 3 weeks" taken, which the library backend refuses)."""
    weights, clip, _, _ = folders
    err = _one_line_refusal(capsys, tmp_path, _run(weights, clip, tmp_path, text=text))
    assert words in err, err


def test_cli_a_duration_the_model_makes_is_asked_of_it(folders, tmp_path, capsys):
    weights, clip, _, _ = folders
    assert _run(weights, clip, tmp_path, "--seconds", "1", text="a person stands still for 1.5 seconds") == 0
    err = capsys.readouterr().err
    assert "T2M-GPT does not read a duration in the text: its 1.5 s is asked of the model" in err
    assert "--seconds 1 is not used" in err
    m = read_motion(next((tmp_path / "o").glob("*.motion.npz")))
    assert m.meta["n_tokens"] >= 1.5 * 20 / 4


def test_cli_a_speed_in_the_text_is_said_unfollowed_and_the_activity_still_found(folders, tmp_path, capsys):
    """"walking at 9 m/s" (a speed the library does not make) had been 'relevance unchecked', written
    unlabelled with "the description maps to no library activity"."""
    from imuforge.motion.t2m.generate import expected_activity

    assert expected_activity("walking at 9 m/s", "keywords")[0] == "walking"
    assert expected_activity("a man running at 40 km/h", "keywords")[0] == "running"
    weights, clip, _, _ = folders
    _run(weights, clip, tmp_path, "--seconds", "1", text="walking at 9 m/s")  # (random weights: not walking)
    captured = capsys.readouterr()
    assert "relevance judged against walking" in captured.out
    assert "note: T2M-GPT does not follow a speed in the text (9 m/s)" in captured.err
    assert "maps to no library activity" not in captured.err


@pytest.mark.parametrize("fps, seconds, frames", [(5, "1", 6), (20, "1", 21), (50, "1.5", 76),
                                                  (100, "1.37", 138), (5, None, None)])
def test_cli_motions_last_seconds_and_hold_six_frames(folders, tmp_path, capsys, fps, seconds, frames):
    """--fps 5 --seconds 1 had written 5 frames (the simulator needs 6: it failed after the model ran), and
    --seconds 2 a 1.95 s motion: S s are S × fps + 1 frames, as the library makes them."""
    from imuforge.motion.motion import MIN_FRAMES

    weights, clip, _, _ = folders
    extra = ["--fps", str(fps)] + (["--seconds", seconds] if seconds else [])
    assert _run(weights, clip, tmp_path, *extra, "--n", "2") == 0, capsys.readouterr().err
    for f in (tmp_path / "o").glob("*.motion.npz"):
        m = read_motion(f)
        assert m.n_frames >= MIN_FRAMES and m.fps == fps
        if seconds:
            assert m.n_frames == frames and m.duration_s == pytest.approx(float(seconds))


def test_too_few_frames_are_refused_before_sampling():
    from imuforge.motion.t2m.run import _sampling

    assert _sampling(1.0, 4, 10, 20.0).max_tokens == 6          # 21 frames at 20 fps: 6 tokens of 4
    assert _sampling(None, 4, 10, 5.0).min_tokens == 6          # 1 s at 5 fps holds 6 frames
    with pytest.raises(ValidationError, match=r"longest motion \(0.35 s.*is 2 frames at --fps 5 .*fps ≥ 14"):
        _sampling(None, 4, 2, 5.0)                               # 2 tokens: 8 frames at 20 fps, 0.35 s
    with pytest.raises(ValidationError, match=r"--seconds 0.5 at --fps 5 is 3 frames.*--seconds × --fps ≥ 5"):
        _sampling(0.5, 4, 10, 5.0)
    with pytest.raises(ValidationError, match=r"--seconds 2 is longer .*up to 1.95 s \(10 tokens"):
        _sampling(2.0, 4, 10, 20.0)


def test_provenance_records_the_resolved_weights_and_their_hashes(folders, tmp_path, monkeypatch, capsys):
    """--weights w and --weights /abs/w had written different .motion.npz bytes (the path as typed), and
    nothing told two weight sets at one path apart."""
    import hashlib
    import shutil

    weights, clip, _, _ = folders
    monkeypatch.chdir(weights.parent)
    argv = ["--backend", "t2m-gpt", "--clip", str(clip), "--matcher", "keywords", "--seconds", "1",
            "--seed", "1"]
    assert main(["motion", "a person stands still", "--weights", weights.name, *argv, "--out", "rel"]) == 0
    assert main(["motion", "a person stands still", "--weights", str(weights), *argv, "--out", "abs"]) == 0
    rel, absolute = (next((weights.parent / d).glob("*.motion.npz")) for d in ("rel", "abs"))
    assert rel.read_bytes() == absolute.read_bytes()
    meta = read_motion(rel).meta
    gpt = weights / GPT_FILES[0]
    assert meta["weights"] == str(weights.resolve()) and meta["clip"] == str(clip.resolve())
    assert meta["weights_sha256"][GPT_FILES[0]] == hashlib.sha256(gpt.read_bytes()).hexdigest()
    assert set(meta["weights_sha256"]) == {GPT_FILES[0], "VQVAE/net_last.pth", "meta/mean.npy",
                                           "meta/std.npy", "imuforge-t2m.json"}
    spec = json.loads((weights.parent / "rel" / "motions.json").read_text())[0]["meta"]
    assert spec["weights_sha256"] == meta["weights_sha256"] and spec["clip_sha256"] == meta["clip_sha256"]
    # another weight set at the same path: another hash
    other = tmp_path / "w"
    shutil.copytree(weights, other)
    state = torch.load(other / GPT_FILES[0], weights_only=True)["trans"]
    state["trans_head.head.weight"][0, 0] += 1e-3
    torch.save({"trans": state}, other / GPT_FILES[0])
    assert main(["motion", "a person stands still", "--weights", str(other), *argv, "--out",
                 str(tmp_path / "o")]) == 0
    digests = read_motion(next((tmp_path / "o").glob("*.motion.npz"))).meta["weights_sha256"]
    assert digests[GPT_FILES[0]] != meta["weights_sha256"][GPT_FILES[0]]


def test_converting_and_checking_the_samples_shows_progress(folders, tmp_path, monkeypatch, capsys):
    """Nothing had been shown between the token bar and "wrote …" (≈ 3 s at --n 200 with the tiny
    model). The real bar, drawn at once (its usual 1 s delay and 10 s log interval set to 0)."""
    import functools

    from imuforge.motion.t2m import generate
    from imuforge.progress import progress

    monkeypatch.setenv("IMUFORGE_PROGRESS", "1")
    monkeypatch.setattr(generate, "progress", functools.partial(progress, delay=0.0, mininterval=0.0))
    weights, clip, _, _ = folders
    assert _run(weights, clip, tmp_path, "--seconds", "1", "--n", "3", "--seed", "3") == 0
    err = capsys.readouterr().err
    assert "t2m-gpt motions checked" in err and "/8 [" in err, err


def test_help_says_the_model_picks_the_length(capsys):
    """--seconds' help said 'default 30', which the t2m-gpt backend does not follow."""
    with pytest.raises(SystemExit):
        main(["motion", "--help"])
    assert "t2m-gpt the model picks each length unless given" in " ".join(capsys.readouterr().out.split())

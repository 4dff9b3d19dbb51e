"""Outputs keep their promises (issue 7 points 3 and 8).

* A folder output replaces its target whole: stale shards, a stale single
  file and stray files of the old folder do not survive (transformers would
  load the stale model.safetensors otherwise).
* SIGKILL at every step of the commit (TP_TEST_PAUSE_AT stops the
  conversion there) and at random moments: a file target is the old file or
  the complete new one; a folder target is the complete old folder (it
  still loads in transformers) or the complete new one. The one exception
  is the portable swap (TP_TEST_PORTABLE=1, where the platform cannot
  exchange two names), killed between its two renames: the old folder then
  waits under .NAME.old.XXXXXX and the next run puts it back.
* Nothing of a killed run outlives the next run on the same target, which
  names what it removed; with unnamed temporaries (Linux O_TMPFILE) a
  killed file conversion leaves nothing at all, even right after the kill.
"""
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tphelpers import (start_paused, temp_names, tensorport_bin, tree_digest,
                       write_f32_model)

MiB = 1 << 20


def env_for(portable: bool):
    e = dict(os.environ)
    if portable:
        e["TP_TEST_PORTABLE"] = "1"
    return e


def run(args, portable=False, check=True):
    r = subprocess.run([tensorport_bin(), *map(str, args)], stderr=subprocess.PIPE,
                       text=True, env=env_for(portable), timeout=300)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def kill(p):
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    assert p.returncode == -signal.SIGKILL


def assert_names_reported(names, folder: Path, stderr: str):
    """Every temporary a dead run left is named by the run that removed it
    (or put it back)."""
    for n in names:
        assert str(folder / n) in stderr, (n, stderr)
        assert "interrupted run" in stderr, stderr


# ---- transformers folders ----------------------------------------------------------------

@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two tiny Llama models (different weights) saved by transformers."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    cfg = transformers.LlamaConfig(vocab_size=128, hidden_size=32, intermediate_size=64,
                                   num_hidden_layers=2, num_attention_heads=2,
                                   num_key_value_heads=1, max_position_embeddings=32,
                                   tie_word_embeddings=False)
    root = tmp_path_factory.mktemp("models")
    out = {}
    for name, seed in (("a", 1), ("b", 2)):
        torch.manual_seed(seed)
        m = transformers.LlamaForCausalLM(cfg)
        d = root / name
        m.save_pretrained(str(d))
        out[name] = (d, {k: v.clone() for k, v in m.state_dict().items()})
    sharded = root / "a_sharded"
    torch.manual_seed(1)
    transformers.LlamaForCausalLM(cfg).save_pretrained(str(sharded), max_shard_size="40KB")
    out["a_sharded"] = (sharded, out["a"][1])
    return transformers, torch, out


def loads_as(transformers, torch, folder: Path, weights: dict):
    m = transformers.LlamaForCausalLM.from_pretrained(str(folder))
    got = m.state_dict()
    assert set(got) == set(weights)
    for k, v in weights.items():
        assert torch.equal(got[k], v), k


def test_force_replaces_stale_single_file(models, tmp_path):
    transformers, torch, ms = models
    target = tmp_path / "m"
    shutil.copytree(ms["a"][0], target)
    (target / "stray.txt").write_text("left over")
    (target / "pytorch_model.bin").write_bytes(b"stale weights")
    run(["convert", ms["b"][0], f"{target}/", "--force", "--split-max-size", "40KB",
         "--no-progress"])
    names = sorted(os.listdir(target))
    assert "model.safetensors" not in names and "stray.txt" not in names
    assert "pytorch_model.bin" not in names
    assert "model.safetensors.index.json" in names
    assert sum(n.startswith("model-") for n in names) > 1
    # the conversion has its effect: transformers loads the new weights
    loads_as(transformers, torch, target, ms["b"][1])
    assert temp_names(tmp_path) == []


def test_force_replaces_stale_shards(models, tmp_path):
    transformers, torch, ms = models
    target = tmp_path / "m"
    shutil.copytree(ms["a_sharded"][0], target)
    assert (target / "model.safetensors.index.json").exists()
    run(["convert", ms["b"][0], f"{target}/", "--force", "--no-progress"])
    assert sorted(os.listdir(target)) == sorted(
        ["config.json", "generation_config.json", "model.safetensors"])
    loads_as(transformers, torch, target, ms["b"][1])


def reference_output(src: Path, tmp_path: Path, args) -> dict:
    ref = tmp_path / "reference"
    run(["convert", src, f"{ref}/", *args, "--no-progress"])
    digest = tree_digest(ref)
    shutil.rmtree(ref)
    return digest


FOLDER_STEPS = ["created", "folder-synced", "aside", "swapped", "done"]


@pytest.mark.parametrize("portable", [False, True], ids=["exchange", "portable"])
@pytest.mark.parametrize("step", FOLDER_STEPS)
def test_folder_kill_at_step(models, tmp_path, step, portable):
    transformers, torch, ms = models
    work = tmp_path / "work"
    work.mkdir()
    target = work / "m"
    shutil.copytree(ms["a"][0], target)
    (target / "stray.txt").write_text("old side file")
    old = tree_digest(target)
    args = ["--force", "--split-max-size", "40KB"]
    new = reference_output(ms["b"][0], tmp_path, args)
    cmd = [tensorport_bin(), "convert", str(ms["b"][0]), f"{target}/", *args, "--no-progress"]
    p = start_paused(cmd, step, env=env_for(portable), stderr=subprocess.DEVNULL)
    if p.returncode is not None:
        # the exchange has no "aside" step: the run went through
        assert step == "aside" and not portable
        assert p.returncode == 0
        assert tree_digest(target) == new
        return
    kill(p)
    left = temp_names(work)
    if step in ("created", "folder-synced"):
        assert tree_digest(target) == old
        loads_as(transformers, torch, target, ms["a"][1])
    elif step == "aside":
        # between the two renames of the portable swap: the old folder is
        # whole under its aside name; the next run puts it back
        assert not target.exists()
        aside = [n for n in left if n.startswith(".m.old.")]
        assert len(aside) == 1 and tree_digest(work / aside[0]) == old
        r = run(["convert", ms["b"][0], f"{target}/", "--no-progress"], portable, check=False)
        assert r.returncode == 5, r.stderr
        assert f"restored {target} from {work / aside[0]}" in r.stderr, r.stderr
        assert tree_digest(target) == old
        loads_as(transformers, torch, target, ms["a"][1])
        assert_names_reported(left, work, r.stderr)
        left = temp_names(work)
        assert left == []
    else:
        assert tree_digest(target) == new
        loads_as(transformers, torch, target, ms["b"][1])
    # the next run cleans up after the dead one and does the job
    r = run(["convert", ms["b"][0], f"{target}/", *args, "--no-progress"], portable)
    assert_names_reported(left, work, r.stderr)
    assert temp_names(work) == []
    assert tree_digest(target) == new


# ---- single files ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_model(tmp_path_factory):
    src = tmp_path_factory.mktemp("in") / "big.safetensors"
    write_f32_model(src, 64 * MiB, 4 * MiB)
    return src


FILE_STEPS = ["created", "synced", "linked", "renamed"]


@pytest.mark.parametrize("force", [False, True], ids=["new", "force"])
@pytest.mark.parametrize("portable", [False, True], ids=["unnamed", "named"])
@pytest.mark.parametrize("step", FILE_STEPS)
def test_file_kill_at_step(big_model, tmp_path, step, portable, force):
    out = tmp_path / "o.gguf"
    args = ["convert", big_model, out, "--type", "f16", "--no-progress", "--keep-names"]
    run(args)
    new = tree_digest(tmp_path)["o.gguf"]
    if force:
        out.write_bytes(b"old output")
        args.append("--force")
    else:
        out.unlink()
    p = start_paused([tensorport_bin(), *map(str, args)], step, env=env_for(portable),
                     stderr=subprocess.DEVNULL)
    if p.returncode is not None:
        # "linked" exists only for an unnamed file placed over an old one
        assert step == "linked" and (portable or not force), p.returncode
        assert p.returncode == 0
        return
    kill(p)
    left = temp_names(tmp_path)
    if not portable and step != "linked":
        assert left == [], "an unnamed temporary must leave nothing behind"
    if step == "renamed":
        assert tree_digest(tmp_path).get("o.gguf") == new
    elif force:
        assert out.read_bytes() == b"old output"
    else:
        assert not out.exists()
    if portable and step in ("created", "synced") or step == "linked":
        assert len(left) == 1 and left[0].startswith(".o.gguf.tmp."), left
    r = run(args + ["--force"])
    assert_names_reported(left, tmp_path, r.stderr)
    assert temp_names(tmp_path) == []
    assert tree_digest(tmp_path)["o.gguf"] == new


def timed_run(args, portable):
    t0 = time.monotonic()
    run(args, portable)
    return time.monotonic() - t0


@pytest.mark.parametrize("force", [False, True], ids=["new", "force"])
@pytest.mark.parametrize("portable", [False, True], ids=["unnamed", "named"])
def test_file_random_kills(big_model, tmp_path, portable, force):
    """Kills at random moments, the final sync and rename included (the
    window runs past the end of a normal run): after each one the target is
    the old file or the complete new one, and the next run removes whatever
    the dead one left, naming it."""
    rng = random.Random(7 + 2 * portable + force)
    out = tmp_path / "o.safetensors"
    args = ["convert", big_model, out, "--type", "bf16", "--threads", "1", "--verify",
            "--no-progress", "--force"]
    duration = timed_run(args, portable)
    new = out.read_bytes()
    killed = 0
    for _ in range(12):
        if force:
            out.write_bytes(b"old output")
        else:
            out.unlink(missing_ok=True)
        p = subprocess.Popen([tensorport_bin(), *map(str, args if force else args[:-1])],
                             stderr=subprocess.DEVNULL, env=env_for(portable))
        time.sleep(rng.uniform(0, duration * 1.1))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        killed += p.returncode == -signal.SIGKILL
        left = temp_names(tmp_path)
        if not portable and not force:
            assert left == [], "an unnamed temporary outlived its process"
        if out.exists():
            assert out.read_bytes() in ((new, b"old output") if force else (new,))
        else:
            assert not force
        # the next run on the same target removes what the dead one left
        r = run(args, portable)
        assert_names_reported(left, tmp_path, r.stderr)
        assert temp_names(tmp_path) == []
        assert out.read_bytes() == new
    assert killed >= 6, "too few runs were killed to mean anything"


@pytest.mark.parametrize("portable", [False, True], ids=["exchange", "portable"])
def test_folder_random_kills(big_model, tmp_path, portable):
    rng = random.Random(11 + portable)
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(big_model, src / "model.safetensors")
    (src / "config.json").write_text('{"model_type": "llama", "torch_dtype": "float32"}\n')
    (src / "1_Pooling").mkdir()
    (src / "1_Pooling" / "config.json").write_text("{}\n")
    work = tmp_path / "work"
    work.mkdir()
    target = work / "m"
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"old weights")
    (target / "old.txt").write_text("old side file")
    old = tree_digest(target)
    old_copy = tmp_path / "old_copy"
    shutil.copytree(target, old_copy)
    args = ["convert", src, f"{target}/", "--type", "bf16", "--threads", "1", "--verify",
            "--split-max-size", "24M", "--force", "--no-progress"]
    duration = timed_run(args, portable)
    new = tree_digest(target)
    killed = 0
    for _ in range(10):
        shutil.rmtree(target)
        shutil.copytree(old_copy, target)
        p = subprocess.Popen([tensorport_bin(), *map(str, args)], stderr=subprocess.DEVNULL,
                             env=env_for(portable))
        time.sleep(rng.uniform(0, duration * 1.1))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        killed += p.returncode == -signal.SIGKILL
        left = temp_names(work)
        if target.exists():
            assert tree_digest(target) in (old, new)
        else:
            assert portable, "the exchange never leaves the target missing"
            aside = [n for n in left if ".old." in n]
            assert len(aside) == 1 and tree_digest(work / aside[0]) == old
        r = run(args, portable)
        assert_names_reported(left, work, r.stderr)
        assert temp_names(work) == []
        assert tree_digest(target) == new
    assert killed >= 5, "too few runs were killed to mean anything"

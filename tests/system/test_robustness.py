"""What happens to a conversion when the world misbehaves (security.md §6
rows 3-7): signals, a full disk, a failing fsync, link or rename, an input
that shrinks under us, an output that is the input. Every case must end
with a clear exit status, a message, and no output or temporary file left
behind. A conversion is stopped at a known step with TP_TEST_PAUSE_AT (the
library raises SIGSTOP there); TP_TEST_PORTABLE=1 takes the named-temporary
path used where O_TMPFILE does not exist. Kills (SIGKILL) are in
test_kills.py."""
import os
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tphelpers import start_paused, tensorport_bin, write_f32_model

MiB = 1 << 20


def write_model(path: Path, total_bytes: int, tensor_bytes: int = 16 * MiB):
    write_f32_model(path, total_bytes, tensor_bytes)


def leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir() if ".tmp." in p.name)


@pytest.fixture
def big_model(tmp_path):
    src = tmp_path / "in" / "big.safetensors"
    src.parent.mkdir()
    write_model(src, 768 * MiB)
    return src


def portable_env(portable: bool):
    return dict(os.environ, TP_TEST_PORTABLE="1") if portable else dict(os.environ)


@pytest.mark.parametrize("portable", [False, True], ids=["default", "portable"])
@pytest.mark.parametrize("sig,code,name", [(signal.SIGINT, 130, "SIGINT"),
                                           (signal.SIGTERM, 143, "SIGTERM")])
def test_signal_removes_partial_output(tmp_path, big_model, sig, code, name, portable):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.safetensors"
    p = start_paused([tensorport_bin(), "convert", str(big_model), str(out), "--type",
                      "bf16", "--threads", "1", "--verify", "--quiet"], "created",
                     env=portable_env(portable), stderr=subprocess.PIPE, text=True,
                     start_new_session=True)
    assert p.returncode is None, "the conversion ended before creating its output"
    # a named temporary is visible; an unnamed one (O_TMPFILE) is not
    assert bool(leftovers(out_dir)) == portable
    p.send_signal(sig)
    p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    # said even with --quiet: what happened and what was removed
    assert f"tensorport: interrupted ({name}); removed the partial output; {out} was not " \
           "created" in err, err
    assert not out.exists()
    assert leftovers(out_dir) == []


@pytest.mark.parametrize("folder", [False, True], ids=["file", "folder"])
def test_signal_during_final_sync(tmp_path, big_model, folder):
    """A signal that arrives while the output is being synced still stops
    the conversion before anything is put in place."""
    out = tmp_path / ("hf" if folder else "o.safetensors")
    p = start_paused([tensorport_bin(), "convert", str(big_model),
                      f"{out}/" if folder else str(out), "--no-progress"],
                     "folder-synced" if folder else "synced",
                     stderr=subprocess.PIPE, text=True)
    assert p.returncode is None
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "interrupted (SIGINT); removed the partial output" in err
    assert not out.exists()
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def test_signal_keeps_existing_output(tmp_path, big_model):
    out = tmp_path / "o.safetensors"
    out.write_bytes(b"precious")
    p = start_paused([tensorport_bin(), "convert", str(big_model), str(out), "--force",
                      "--threads", "1", "--no-progress"], "created",
                     stderr=subprocess.PIPE, text=True)
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert f"interrupted (SIGINT); removed the partial output; {out} is unchanged" in err
    assert out.read_bytes() == b"precious"
    assert leftovers(tmp_path) == []


def test_meta_edit_interrupted(tmp_path, big_model):
    """meta rewrites the file beside itself; SIGTERM leaves it as it was."""
    before = big_model.read_bytes()[:4096]
    size = big_model.stat().st_size
    p = start_paused([tensorport_bin(), "meta", str(big_model), "--set", "k=str:v",
                      "--no-progress"], "created", stderr=subprocess.PIPE, text=True)
    p.send_signal(signal.SIGTERM)
    p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, err
    assert f"interrupted (SIGTERM); removed the partial output; {big_model} is unchanged" in err
    assert big_model.stat().st_size == size and big_model.read_bytes()[:4096] == before
    assert leftovers(big_model.parent) == []


def test_file_size_limit_is_an_io_error(tmp_path):
    """RLIMIT_FSIZE makes the reservation or a write fail (EFBIG), the way a
    full disk would; the temporary file must go."""
    src = tmp_path / "m.safetensors"
    write_model(src, 64 * MiB)
    out = tmp_path / "o.safetensors"

    def limit():
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * MiB, 8 * MiB))

    r = subprocess.run([tensorport_bin(), "convert", str(src), str(out), "--quiet"],
                       stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    assert r.returncode == 3, r.stderr
    assert "tensorport: error:" in r.stderr and "o.safetensors" in r.stderr
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_full_filesystem_is_an_io_error(tmp_path):
    """A real ENOSPC on a small tmpfs (needs the right to mount)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                      stderr=subprocess.DEVNULL).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        src = tmp_path / "m.safetensors"
        write_model(src, 16 * MiB, 4 * MiB)
        out = mnt / "o.safetensors"
        r = subprocess.run([tensorport_bin(), "convert", str(src), str(out), "--quiet"],
                           stderr=subprocess.PIPE, text=True)
        assert r.returncode == 3, r.stderr
        assert "space" in r.stderr.lower(), r.stderr
        assert os.listdir(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)])


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
@pytest.mark.parametrize("call,portable,force", [
    ("fsync", False, False), ("pwrite64", False, False),
    ("linkat", False, False),   # the unnamed file linked in at its final name
    ("linkat", False, True),    # ... or beside it, before the rename over the old one
    ("rename", False, True),
    ("fsync", True, False), ("rename", True, False)])
def test_failing_syscall_is_fatal_and_clean(tmp_path, call, portable, force):
    src = tmp_path / "m.safetensors"
    write_model(src, 8 * MiB, 1 * MiB)
    out = tmp_path / "o.safetensors"
    if force:
        out.write_bytes(b"precious")
    r = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null",
                        f"-einject={call}:error=EIO:when=1",
                        tensorport_bin(), "convert", str(src), str(out), "--quiet"]
                       + (["--force"] if force else []),
                       stderr=subprocess.PIPE, text=True,
                       # LeakSanitizer cannot run under ptrace (sanitizer builds)
                       env=dict(portable_env(portable), ASAN_OPTIONS="detect_leaks=0"))
    assert r.returncode == 3, r.stderr
    assert "input/output error" in r.stderr.lower(), r.stderr
    assert out.read_bytes() == b"precious" if force else not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
@pytest.mark.parametrize("when", [1, 2])
def test_failing_folder_swap_keeps_the_old_folder(tmp_path, when):
    """The portable swap of a folder: moving the old one aside (1) or the
    new one in (2) fails; the old folder stays whole at its name."""
    src = tmp_path / "m.safetensors"
    write_model(src, 8 * MiB, 1 * MiB)
    out = tmp_path / "hf"
    out.mkdir()
    (out / "model.safetensors").write_bytes(b"old")
    (out / "keep.txt").write_bytes(b"old side file")
    r = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null",
                        f"-einject=rename:error=EIO:when={when}",
                        tensorport_bin(), "convert", str(src), f"{out}/", "--force",
                        "--quiet"], stderr=subprocess.PIPE, text=True,
                       env=dict(portable_env(True), ASAN_OPTIONS="detect_leaks=0"))
    assert r.returncode == 3, r.stderr
    assert "input/output error" in r.stderr.lower(), r.stderr
    assert sorted(os.listdir(out)) == ["keep.txt", "model.safetensors"]
    assert (out / "model.safetensors").read_bytes() == b"old"
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def test_input_truncated_during_conversion(tmp_path, big_model):
    """The input shrinks after it was opened and checked: the conversion
    stops itself once its output file exists (TP_TEST_PAUSE_AT), the input
    is truncated, and it goes on; it must notice and leave nothing."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.safetensors"
    p = start_paused([tensorport_bin(), "convert", str(big_model), str(out), "--type",
                      "bf16", "--threads", "1", "--quiet"], "created",
                     stderr=subprocess.PIPE, text=True)
    assert p.returncode is None, "the conversion ended before creating its output"
    os.truncate(big_model, 100 * MiB)
    p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (2, 3), err
    assert "changed" in err or "past the end" in err or "ends at" in err, err
    assert not out.exists()
    assert leftovers(out_dir) == []


def test_output_over_its_own_input(tmp_path):
    """Converting a file onto itself (--force) must read the whole input
    before the rename and never produce zeros (safetensors#762)."""
    import safetensors.numpy
    path = tmp_path / "m.safetensors"
    data = {"a": np.arange(4096, dtype=np.float32).reshape(64, 64),
            "b": np.linspace(-1, 1, 1000, dtype=np.float32)}
    safetensors.numpy.save_file(data, str(path), metadata={"format": "pt"})
    r = subprocess.run([tensorport_bin(), "convert", str(path), str(path), "--type", "f16",
                        "--force", "--quiet"], stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    back = safetensors.numpy.load_file(str(path))
    for k, v in data.items():
        np.testing.assert_array_equal(back[k], v.astype(np.float16))


def test_existing_output_is_kept_without_force(tmp_path):
    src = tmp_path / "m.safetensors"
    write_model(src, 1 * MiB, 1 * MiB)
    out = tmp_path / "o.safetensors"
    out.write_bytes(b"precious")
    r = subprocess.run([tensorport_bin(), "convert", str(src), str(out)],
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode == 5, r.stderr
    assert out.read_bytes() == b"precious"
    assert leftovers(tmp_path) == []

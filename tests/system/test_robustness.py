"""What happens to a conversion when the world misbehaves (security.md §6
rows 3-7): signals, a full disk, a failing fsync, an input that shrinks
under us, an output that is the input. Every case must end with a clear
exit status, a message, and no output or temporary file left behind."""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tphelpers import tensorport_bin, write_f32_model

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


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_removes_partial_output(tmp_path, big_model, sig, code):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.safetensors"
    # --threads 1 and --verify keep it busy long enough to be interrupted
    p = subprocess.Popen([tensorport_bin(), "convert", str(big_model), str(out), "--type",
                          "bf16", "--threads", "1", "--verify", "--quiet"],
                         stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 20
    while time.time() < deadline and not leftovers(out_dir):
        time.sleep(0.01)
    assert leftovers(out_dir), "conversion never created its temporary file"
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    assert not out.exists()
    assert leftovers(out_dir) == []


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
@pytest.mark.parametrize("call", ["fsync", "rename", "pwrite64"])
def test_failing_syscall_is_fatal_and_clean(tmp_path, call):
    src = tmp_path / "m.safetensors"
    write_model(src, 8 * MiB, 1 * MiB)
    out = tmp_path / "o.safetensors"
    r = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null",
                        f"-einject={call}:error=EIO:when=1",
                        tensorport_bin(), "convert", str(src), str(out), "--quiet"],
                       stderr=subprocess.PIPE, text=True,
                       # LeakSanitizer cannot run under ptrace (sanitizer builds)
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    assert r.returncode == 3, r.stderr
    assert "input/output error" in r.stderr.lower(), r.stderr
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_input_truncated_during_conversion(tmp_path, big_model):
    """The input shrinks after it was opened and checked: the conversion is
    stopped (SIGSTOP) as soon as its temporary file appears, the input is
    truncated, and it goes on; it must notice and leave nothing."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.safetensors"
    p = subprocess.Popen([tensorport_bin(), "convert", str(big_model), str(out), "--type",
                          "bf16", "--threads", "1", "--quiet"],
                         stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and not leftovers(out_dir) and p.poll() is None:
        time.sleep(0.001)
    try:
        p.send_signal(signal.SIGSTOP)
    except ProcessLookupError:
        pass
    if p.poll() is not None:
        _, err = p.communicate(timeout=60)
        pytest.skip(f"conversion ended (exit {p.returncode}) before it could be paused")
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

"""Shared helpers for the pytest tiers (import tphelpers): where the binaries
are, and large synthetic models."""
import json
import os
import shutil
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tensorport_bin() -> str:
    p = os.environ.get("TENSORPORT") or str(ROOT / "build" / "tensorport")
    if not (os.path.isfile(p) and os.access(p, os.X_OK)):
        pytest.fail(f"tensorport binary not found at {p} (set TENSORPORT)")
    return p


def testtool_bin() -> str:
    p = os.environ.get("TP_TESTTOOL") or str(ROOT / "build" / "tp-testtool")
    if not (os.path.isfile(p) and os.access(p, os.X_OK)):
        pytest.fail(f"tp-testtool not found at {p} (set TP_TESTTOOL)")
    return p


def llama_cpp_dir():
    """Root of the llama.cpp tree built by scripts/setup.sh, or None."""
    p = os.environ.get("LLAMA_CPP_DIR") or str(ROOT / "build" / "llama.cpp")
    return Path(p) if (Path(p) / "build" / "bin").is_dir() else None


def write_f32_model(path: Path, total_bytes: int, tensor_bytes: int, cols: int = 1024,
                    name: str = "t.{:04d}", seed: int = 3) -> None:
    """Writes a SafeTensors file of equal F32 [rows, cols] tensors totalling
    total_bytes (at least one tensor), one block at a time so the test itself
    stays small in memory."""
    import numpy as np
    n = max(1, total_bytes // tensor_bytes)
    rows = tensor_bytes // 4 // cols
    header, off = {}, 0
    for i in range(n):
        header[name.format(i)] = {"dtype": "F32", "shape": [rows, cols],
                                  "data_offsets": [off, off + tensor_bytes]}
        off += tensor_bytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    block = np.random.default_rng(seed).standard_normal(tensor_bytes // 4,
                                                        dtype=np.float32).tobytes()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _ in range(n):
            f.write(block)


# ---- stopping a conversion at a known step ------------------------------------------

def start_paused(args, step: str, env=None, **popen_kw):
    """Starts tensorport with TP_TEST_PAUSE_AT=step (the library stops
    itself with SIGSTOP when it reaches that step) and waits until it has.
    Returns the Popen, stopped; or with returncode set if it ended first
    (the step was not on its way)."""
    import subprocess
    e = dict(os.environ if env is None else env, TP_TEST_PAUSE_AT=step)
    p = subprocess.Popen(args, env=e, **popen_kw)
    wait_stopped(p)
    return p


def wait_stopped(p, timeout: float = 60.0) -> bool:
    """Waits until p is stopped (True) or has exited (False, returncode set)."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        pid, status = os.waitpid(p.pid, os.WUNTRACED | os.WNOHANG)
        if pid == p.pid:
            if os.WIFSTOPPED(status):
                return True
            p.returncode = os.waitstatus_to_exitcode(status)
            return False
        time.sleep(0.002)
    raise AssertionError(f"process {p.pid} neither stopped nor exited in {timeout} s")


def temp_names(folder: Path):
    """Names of our temporaries in folder: .NAME.tmp.XXXXXX, .NAME.old.XXXXXX."""
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.name.startswith(".") and (".tmp." in p.name or ".old." in p.name))


def tree_digest(folder: Path) -> dict:
    """{relative path: sha256} of every file under folder (links not followed)."""
    import hashlib
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not p.is_symlink():
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            out[p.relative_to(folder).as_posix()] = h.hexdigest()
    return out

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

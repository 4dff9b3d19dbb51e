"""Shared helpers for the pytest tiers (import tphelpers): where the binaries are."""
import os
import shutil
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

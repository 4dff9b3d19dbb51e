"""pytest configuration for every Python test tier: makes tests/ importable
(tphelpers) and offers the binaries as fixtures."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tphelpers  # noqa: E402


@pytest.fixture
def tensorport() -> str:
    return tphelpers.tensorport_bin()


@pytest.fixture
def testtool() -> str:
    return tphelpers.testtool_bin()


@pytest.fixture
def llama_dir():
    d = tphelpers.llama_cpp_dir()
    if d is None:
        pytest.skip("llama.cpp reference tools not built (scripts/setup.sh llama)")
    return d

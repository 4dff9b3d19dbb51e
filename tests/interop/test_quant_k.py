"""test_quant_k.py - the K-quants (Q2_K..Q6_K, Q8_K) against llama.cpp.

tensorport's quantizers must give the bytes of llama.cpp's
quantize_row_q*_K_ref (no importance matrix) on every input, through the
SIMD path and through the scalar reference path alike, and its decoders
must give llama.cpp's floats bit for bit. The tensorport side runs through
the test tool (`tp-testtool convert SRC DST [--ref]`, raw elements on stdin,
converted elements on stdout). The references are:

* llama.cpp's C code, libggml-base.so of a llama.cpp tree (LLAMA_CPP_DIR,
  default <repo>/build/llama.cpp; tests that need it are skipped without
  it): quantize_row_q*_K_ref and dequantize_row_q*_K through ctypes;
* gguf-py (the pip `gguf` package): gguf.quants.dequantize, for Q2_K..Q6_K.

Environment: TP_TESTTOOL (default <repo>/build/tp-testtool), LLAMA_CPP_DIR.
"""
from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

import tphelpers

gguf = pytest.importorskip("gguf")
from gguf import quants  # noqa: E402
from gguf.constants import GGMLQuantizationType  # noqa: E402

QK = 256
# name -> bytes per super-block
TYPES = {"Q2_K": 84, "Q3_K": 110, "Q4_K": 144, "Q5_K": 176, "Q6_K": 210,
         "Q8_K": 292}
GGUF_PY = ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]  # Q8_K is not a file type

BLOCKS_PER_DIST = 192
F32 = np.float32


# ---- inputs -------------------------------------------------------------------

def distributions(seed: int) -> list[tuple[str, np.ndarray]]:
    """(name, values) pairs, BLOCKS_PER_DIST super-blocks each: the shapes
    of real weights plus the corners of the reference algorithm (flat
    sub-blocks, groups below GROUP_MAX_EPS = 1e-15, outliers, ties)."""
    rng = np.random.default_rng(seed)
    n = BLOCKS_PER_DIST * QK

    def g(scale=1.0):
        return (rng.standard_normal(n) * scale).astype(F32)

    out = [
        ("gaussian", g()),
        ("gaussian_1e-3", g(1e-3)),
        ("uniform", rng.uniform(-1, 1, n).astype(F32)),
        ("positive", rng.uniform(0.1, 2, n).astype(F32)),
        ("negative", -rng.uniform(0.1, 2, n).astype(F32)),
        ("student_t2", (rng.standard_t(2, n) * 0.05).astype(F32)),
        ("cauchy", np.clip(rng.standard_cauchy(n) * 0.01, -1e4, 1e4).astype(F32)),
        ("zeros", np.zeros(n, F32)),
        ("tiny_1e-15", g(1e-15)),
        ("tiny_mixed", np.where(rng.random(n) < 0.5, g(3e-16), g(2e-14)).astype(F32)),
        ("large_1e6", g(1e6)),
        ("huge_1e30", g(1e30)),
    ]
    # one outlier per super-block, zeros or small noise elsewhere
    x = np.zeros(n, F32)
    x[np.arange(BLOCKS_PER_DIST) * QK + rng.integers(0, QK, BLOCKS_PER_DIST)] = \
        rng.standard_normal(BLOCKS_PER_DIST).astype(F32) * F32(10)
    out.append(("single_outlier", x))
    x = g(0.01)
    idx = rng.integers(0, n, n // 50)
    x[idx] = g(30.0)[: idx.size]
    out.append(("outliers", x))
    # identical values per super-block, per 32 and per 16 values
    for run in (QK, 32, 16):
        c = rng.standard_normal(n // run).astype(F32)
        out.append((f"equal_{run}", np.repeat(c, run)))
    # per-16 runs of a constant with a random sign change: flat sub-blocks
    # next to nearly flat ones
    c = np.repeat(rng.standard_normal(n // 16).astype(F32), 16)
    out.append(("equal_16_signs", np.where(rng.random(n) < 0.1, -c, c).astype(F32)))
    # a coarse grid: exact ties for nearest_int
    out.append(("grid", (rng.integers(-16, 17, n) * 0.125).astype(F32)))
    # sub-block magnitudes spread over 8 decades
    s = np.repeat(F32(10.0) ** rng.integers(-6, 3, n // 16).astype(F32), 16)
    out.append(("scaled", (g() * s).astype(F32)))
    return out


def all_inputs(seed: int) -> tuple[np.ndarray, list[str]]:
    dists = distributions(seed)
    return np.concatenate([v for _, v in dists]), [name for name, _ in dists]


# ---- the implementations ------------------------------------------------------

def tp_convert(src: str, dst: str, data: bytes, ref: bool = False) -> bytes:
    cmd = [tphelpers.testtool_bin(), "convert", src, dst] + (["--ref"] if ref else [])
    r = subprocess.run(cmd, input=data, capture_output=True, check=False)
    assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr.decode()}"
    return r.stdout


def tp_quantize(name: str, x: np.ndarray, ref: bool = False) -> np.ndarray:
    out = tp_convert("F32", name, np.ascontiguousarray(x, F32).tobytes(), ref)
    return np.frombuffer(out, dtype=np.uint8)


def tp_dequantize(name: str, raw: np.ndarray, ref: bool = False) -> np.ndarray:
    return np.frombuffer(tp_convert(name, "F32", raw.tobytes(), ref), dtype=F32)


@pytest.fixture(scope="module")
def ggml():
    d = tphelpers.llama_cpp_dir()
    if d is None:
        pytest.skip("no llama.cpp tree (set LLAMA_CPP_DIR)")
    lib = d / "build" / "bin" / "libggml-base.so"
    if not lib.exists():
        pytest.fail(f"{lib} does not exist")
    return ctypes.CDLL(str(lib))


def ggml_quantize(lib, name: str, x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, F32)
    # zero-filled: quantize_row_q8_K_ref leaves bsums of an all-zero block
    # unwritten, tensorport writes zeros there
    out = np.zeros(x.size // QK * TYPES[name], dtype=np.uint8)
    fn = getattr(lib, f"quantize_row_{name[:-1].lower()}K_ref")
    fn.restype = None
    fn(ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(out.ctypes.data),
       ctypes.c_int64(x.size))
    return out


def ggml_dequantize(lib, name: str, raw: np.ndarray) -> np.ndarray:
    raw = np.ascontiguousarray(raw)
    n = raw.size // TYPES[name] * QK
    out = np.empty(n, dtype=F32)
    fn = getattr(lib, f"dequantize_row_{name[:-1].lower()}K")
    fn.restype = None
    fn(ctypes.c_void_p(raw.ctypes.data), ctypes.c_void_p(out.ctypes.data),
       ctypes.c_int64(n))
    return out


def first_difference(name: str, got: np.ndarray, want: np.ndarray,
                     dists: list[str]) -> str:
    size = TYPES[name]
    i = int(np.flatnonzero(got != want)[0])
    blk = i // size
    return (f"{int(np.count_nonzero(got != want))} bytes differ; first in "
            f"super-block {blk} ({dists[blk // BLOCKS_PER_DIST]} data), "
            f"byte {i % size}: {got[i]:#04x} vs llama.cpp {want[i]:#04x}")


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=F32).view(np.uint32)


# ---- quantization -------------------------------------------------------------

@pytest.mark.parametrize("path", ["simd", "ref"])
@pytest.mark.parametrize("name", list(TYPES))
def test_quantize_matches_llama_cpp(ggml, name, path):
    x, dists = all_inputs(seed=sum(map(ord, name)))
    want = ggml_quantize(ggml, name, x)
    got = tp_quantize(name, x, ref=(path == "ref"))
    assert got.size == want.size
    if not np.array_equal(got, want):
        pytest.fail(f"{name} ({path}): " + first_difference(name, got, want, dists))


@pytest.mark.parametrize("name", list(TYPES))
def test_quantize_specials_match_llama_cpp(ggml, name):
    """NaN, infinities and values near FLT_MAX: meaningless output, but the
    same operations must give the same bytes."""
    rng = np.random.default_rng(99)
    blocks = []
    for v in (np.nan, np.inf, -np.inf, 3.0e38, -3.0e38, 1e-40, 2.0 ** -149):
        for where in (0, 17, 255):
            b = rng.standard_normal(QK).astype(F32)
            b[where] = F32(v)
            blocks.append(b)
        blocks.append(np.full(QK, F32(v), dtype=F32))
    x = np.concatenate(blocks)
    with np.errstate(all="ignore"):
        want = ggml_quantize(ggml, name, x)
    for ref in (False, True):
        got = tp_quantize(name, x, ref=ref)
        assert np.array_equal(got, want), \
            first_difference(name, got, want, ["specials"] * len(blocks))


# ---- dequantization -----------------------------------------------------------

def random_blocks(name: str, seed: int, nblocks: int = 1024) -> np.ndarray:
    """Random bytes with finite f16 (or f32 for Q8_K) scales."""
    rng = np.random.default_rng(seed)
    size = TYPES[name]
    raw = rng.integers(0, 256, size=(nblocks, size), dtype=np.uint8)
    offsets = {"Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2],
               "Q6_K": [208]}.get(name, [])
    for off in offsets:
        h = rng.uniform(-2.0, 2.0, size=nblocks).astype(np.float16)
        raw[:, off:off + 2] = h.view(np.uint8).reshape(nblocks, 2)
    if name == "Q8_K":
        d = rng.uniform(-0.1, 0.1, size=nblocks).astype(F32)
        raw[:, 0:4] = d.view(np.uint8).reshape(nblocks, 4)
    return raw.reshape(-1)


@pytest.mark.parametrize("name", GGUF_PY)
def test_dequantize_matches_gguf_py(name):
    """gguf-py decodes our own quantized bytes, and random blocks, to the
    floats tensorport's decoders give."""
    x, _ = all_inputs(seed=7)
    ours = tp_quantize(name, x)
    for raw in (ours, random_blocks(name, 11)):
        got = tp_dequantize(name, raw)
        with np.errstate(all="ignore"):
            want = quants.dequantize(raw, GGMLQuantizationType[name]).astype(F32).reshape(-1)
        assert got.shape == want.shape
        finite = np.isfinite(want)
        assert np.array_equal(np.isfinite(got), finite)
        # gguf-py evaluates d*sc*q in its own order; agreement to one
        # rounding of the product, and exact where the products are exact
        np.testing.assert_allclose(got[finite], want[finite], rtol=2e-7, atol=0)
        # and the decode is close to the input it came from
    rel = np.sqrt(np.mean((tp_dequantize(name, ours)[: 1024 * QK] - x[: 1024 * QK]) ** 2)
                  / np.mean(x[: 1024 * QK] ** 2))
    assert rel < {"Q2_K": 0.35, "Q3_K": 0.2, "Q4_K": 0.09, "Q5_K": 0.045,
                  "Q6_K": 0.025}[name]


@pytest.mark.parametrize("name", list(TYPES))
def test_dequantize_matches_llama_cpp(ggml, name):
    x, _ = all_inputs(seed=3)
    for raw in (tp_quantize(name, x), random_blocks(name, 5)):
        want = bits(ggml_dequantize(ggml, name, raw))
        for ref in (False, True):
            got = bits(tp_dequantize(name, raw, ref=ref))
            assert np.array_equal(got, want), \
                f"{name}: {int(np.count_nonzero(got != want))} floats differ"

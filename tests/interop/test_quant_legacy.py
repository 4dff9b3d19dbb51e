"""test_quant_legacy.py - the legacy 32-element ggml types against gguf-py
and llama.cpp.

Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (and the intermediate Q8_1) must give the
bytes of llama.cpp's quantize_row_q*_ref on every input, through the SIMD
path and the scalar reference path alike, and the decoders must give the
same floats bit for bit. tensorport runs through the test tool
(`tp-testtool convert SRC DST [--ref]`: raw little-endian elements on stdin,
converted elements on stdout). The references are:

* gguf-py (the pip `gguf` package): gguf.quants.quantize / dequantize, on
  several MB of finite data per type;
* llama.cpp's C code, when LLAMA_CPP_DIR names a tree with
  build/bin/libggml-base.so (default <repo>/build/llama.cpp; skipped
  without one): quantize_row_q*_ref and dequantize_row_q* through ctypes,
  on the same data plus NaN, infinities, binary32 subnormals and values
  near FLT_MAX.

Environment: TP_TESTTOOL (default <repo>/build/tp-testtool), LLAMA_CPP_DIR.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tphelpers

gguf = pytest.importorskip("gguf")
from gguf import quants  # noqa: E402
from gguf.constants import GGMLQuantizationType  # noqa: E402

QK = 32
# name -> bytes per block
TYPES = {"Q4_0": 18, "Q4_1": 20, "Q5_0": 22, "Q5_1": 24, "Q8_0": 34, "Q8_1": 36}
GGUF_PY = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"]  # Q8_1 is not a file type
# byte offsets of the f16 scale fields (d, and m or s)
SCALES = {"Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2],
          "Q8_0": [0], "Q8_1": [0, 2]}

BLOCKS_PER_DIST = 4096  # 512 KiB of f32 per distribution
F32 = np.float32


# ---- the test tool ------------------------------------------------------------

def find_testtool() -> str:
    p = os.environ.get("TP_TESTTOOL") or str(tphelpers.ROOT / "build" / "tp-testtool")
    if not (os.path.isfile(p) and os.access(p, os.X_OK)):
        pytest.skip(f"tp-testtool not found at {p}: build the project or set TP_TESTTOOL")
    return p


@pytest.fixture(autouse=True)
def _testtool_present():
    """Skip before building any input when the tool is missing."""
    find_testtool()


def tp_convert(src: str, dst: str, data: bytes, ref: bool = False) -> bytes:
    cmd = [find_testtool(), "convert", src, dst] + (["--ref"] if ref else [])
    r = subprocess.run(cmd, input=data, capture_output=True, check=False)
    assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr.decode()}"
    return r.stdout


def tp_quantize(name: str, x: np.ndarray, ref: bool = False) -> np.ndarray:
    out = tp_convert("F32", name, np.ascontiguousarray(x, F32).tobytes(), ref)
    return np.frombuffer(out, dtype=np.uint8)


def tp_dequantize(name: str, raw: np.ndarray, ref: bool = False) -> np.ndarray:
    return np.frombuffer(tp_convert(name, "F32", raw.tobytes(), ref), dtype=F32)


# ---- inputs -------------------------------------------------------------------

def distributions(seed: int) -> list[tuple[str, np.ndarray]]:
    """(name, values) pairs of BLOCKS_PER_DIST blocks each, all finite and
    with finite binary16 scales: the shapes of real weights plus the corners
    of the reference algorithms (ties of each rounding rule, signed zeros,
    flat blocks, scales that are binary16 subnormals)."""
    rng = np.random.default_rng(seed)
    n = BLOCKS_PER_DIST * QK
    nb = BLOCKS_PER_DIST

    def g(scale=1.0):
        return (rng.standard_normal(n) * scale).astype(F32)

    def signed_zeros(size):
        return np.where(rng.random(size) < 0.5, F32(-0.0), F32(0.0)).astype(F32)

    out = [
        ("gaussian", g(0.02)),
        ("gaussian_1", g()),
        ("uniform", rng.uniform(-1, 1, n).astype(F32)),
        ("positive", rng.uniform(0.1, 2, n).astype(F32)),
        ("negative", -rng.uniform(0.1, 2, n).astype(F32)),
        ("student_t2", (rng.standard_t(2, n) * 0.05).astype(F32)),
        ("large_1e3", g(1e3)),
        # binary16-subnormal scales: d is rounded hard, id comes from the
        # unrounded d
        ("tiny_1e-6", g(1e-6)),
        ("tiny_1e-9", g(1e-9)),
        ("zeros", np.zeros(n, F32)),
        ("signed_zeros", signed_zeros(n)),
    ]
    # the same value across each block (and across pairs of blocks)
    out.append(("equal_32", np.repeat(rng.standard_normal(nb).astype(F32), QK)))
    out.append(("equal_64", np.repeat(rng.standard_normal(nb // 2).astype(F32), 2 * QK)))
    # one value per block, zeros of both signs elsewhere
    x = signed_zeros(n)
    x[np.arange(nb) * QK + rng.integers(0, QK, nb)] = g()[:nb]
    out.append(("single_value", x))
    # ReLU-like: non-negative with zeros (Q4_1/Q5_1 minimum is a zero), and
    # the mirror image (maximum is a zero)
    z = signed_zeros(n)
    out.append(("relu", np.where(rng.random(n) < 0.5, np.abs(g()), z).astype(F32)))
    out.append(("neg_relu", np.where(rng.random(n) < 0.5, -np.abs(g()), z).astype(F32)))
    # a quarter grid: exact ties for the truncating rules
    out.append(("grid", (rng.integers(-40, 41, n) * 0.25).astype(F32)))
    # Q8_0 ties: |max| = 127 so d = 1 and id = 1, every other value a half
    x = (rng.integers(-127, 127, n) + 0.5).astype(F32)
    x[np.arange(nb) * QK + rng.integers(0, QK, nb)] = \
        np.where(rng.random(nb) < 0.5, F32(127), F32(-127))
    out.append(("halves_127", x))
    # Q4_0 ties: smax = -8 so d = 1, values k + 0.5 make x*id + 8.5 integral
    x = (rng.integers(-8, 8, n) + 0.5).astype(F32)
    x[np.arange(nb) * QK + rng.integers(0, QK, nb)] = F32(-8)
    out.append(("halves_8", x))
    # Q5_0 ties the same way with smax = 16
    x = (rng.integers(-16, 16, n) + 0.5).astype(F32)
    x[np.arange(nb) * QK + rng.integers(0, QK, nb)] = F32(16)
    out.append(("halves_16", x))
    # equal magnitudes of opposite signs: the first one sets the scale's sign
    x = g(0.1)
    pos = np.arange(nb) * QK
    x[pos] = F32(1.0)
    x[pos + 1 + rng.integers(0, QK - 1, nb)] = F32(-1.0)
    out.append(("equal_magnitudes", x))
    # block magnitudes spread over 12 decades
    s = np.repeat(F32(10.0) ** rng.integers(-8, 4, nb).astype(F32), QK)
    out.append(("scaled", (g() * s).astype(F32)))
    return out


def all_inputs(seed: int) -> tuple[np.ndarray, list[str]]:
    dists = distributions(seed)
    return np.concatenate([v for _, v in dists]), [name for name, _ in dists]


def specials(seed: int) -> np.ndarray:
    """Blocks with NaN, infinities, binary32 subnormals (1/d overflows) and
    values near FLT_MAX (d overflows binary16). Meaningless output, but the
    same operations must give the same bytes as llama.cpp."""
    rng = np.random.default_rng(seed)
    blocks = []
    for v in (np.nan, np.inf, -np.inf, 3.0e38, -3.0e38, 1e-40, -(2.0 ** -149),
              1e-38, 65504.0 * 127):
        for where in (0, 1, 17, 31):
            b = rng.standard_normal(QK).astype(F32)
            b[where] = F32(v)
            blocks.append(b)
        blocks.append(np.full(QK, F32(v), dtype=F32))
        b = np.zeros(QK, F32)
        b[int(rng.integers(0, QK))] = F32(v)
        blocks.append(b)
    with np.errstate(all="ignore"):
        blocks.append((rng.standard_normal(QK) * 1e-40).astype(F32))
        blocks.append((rng.standard_normal(QK) * 3e38).astype(F32))
    blocks.append(np.array([np.inf, -np.inf] * (QK // 2), F32))
    blocks.append(rng.integers(0, 2 ** 32, QK, dtype=np.uint64).astype(np.uint32).view(F32))
    return np.concatenate(blocks)


def random_blocks(name: str, seed: int, nblocks: int = 8192,
                  finite: bool = True) -> np.ndarray:
    """Random block bytes; with finite=True the f16 fields are finite
    (gguf-py's arithmetic on NaN is not llama.cpp's)."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(nblocks, TYPES[name]), dtype=np.uint8)
    if finite:
        for off in SCALES[name]:
            h = rng.uniform(-2.0, 2.0, size=nblocks).astype(np.float16)
            raw[:, off:off + 2] = h.view(np.uint8).reshape(nblocks, 2)
    return raw.reshape(-1)


# ---- the references -----------------------------------------------------------

def gguf_quantize(name: str, x: np.ndarray) -> np.ndarray:
    return quants.quantize(x.reshape(-1, QK), GGMLQuantizationType[name]).reshape(-1)


def gguf_dequantize(name: str, raw: np.ndarray) -> np.ndarray:
    out = quants.dequantize(raw.reshape(-1, TYPES[name]), GGMLQuantizationType[name])
    return np.ascontiguousarray(out, dtype=F32).reshape(-1)


@pytest.fixture(scope="module")
def ggml():
    d = tphelpers.llama_cpp_dir()
    if d is None:
        pytest.skip("no llama.cpp tree (set LLAMA_CPP_DIR to a tree with build/bin)")
    lib = Path(d) / "build" / "bin" / "libggml-base.so"
    if not lib.exists():
        pytest.fail(f"{lib} does not exist")
    return ctypes.CDLL(str(lib))


def ggml_quantize(lib, name: str, x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, F32)
    out = np.zeros(x.size // QK * TYPES[name], dtype=np.uint8)
    fn = getattr(lib, f"quantize_row_{name.lower()}_ref")
    fn.restype = None
    fn(ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(out.ctypes.data),
       ctypes.c_int64(x.size))
    return out


def ggml_dequantize(lib, name: str, raw: np.ndarray) -> np.ndarray:
    raw = np.ascontiguousarray(raw)
    n = raw.size // TYPES[name] * QK
    out = np.empty(n, dtype=F32)
    fn = getattr(lib, f"dequantize_row_{name.lower()}")
    fn.restype = None
    fn(ctypes.c_void_p(raw.ctypes.data), ctypes.c_void_p(out.ctypes.data),
       ctypes.c_int64(n))
    return out


# ---- comparison helpers -------------------------------------------------------

def first_difference(name: str, got: np.ndarray, want: np.ndarray,
                     dists: list[str], who: str) -> str:
    size = TYPES[name]
    diff = np.flatnonzero(got != want)
    i = int(diff[0])
    blk = i // size
    return (f"{diff.size} bytes differ from {who}; first in block {blk} "
            f"({dists[min(blk // BLOCKS_PER_DIST, len(dists) - 1)]} data), "
            f"byte {i % size}: {got[i]:#04x} vs {want[i]:#04x}")


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=F32).view(np.uint32)


def assert_same_floats(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, what
    if not np.array_equal(bits(got), bits(want)):
        bad = np.flatnonzero(bits(got) != bits(want))
        i = int(bad[0])
        pytest.fail(f"{what}: {bad.size} floats differ; first at {i}: "
                    f"{bits(got)[i]:#010x} vs {bits(want)[i]:#010x}")


# ---- against gguf-py ----------------------------------------------------------

def zero_sign_only(name: str, got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Blocks that differ only in the sign of a zero scale field: the one
    place where gguf-py departs from llama.cpp. Its argmax takes element 0
    as the signed maximum of an all-zero block (llama.cpp keeps its initial
    +0, so d = -0 for Q4_0/Q5_0), and numpy's min/max may return either
    zero (llama.cpp keeps the first). Returns a mask over the blocks; the
    llama.cpp tests check these blocks exactly."""
    size = TYPES[name]
    g = got.reshape(-1, size)
    w = want.reshape(-1, size)
    ok = np.ones(g.shape[0], dtype=bool)
    fields = set()
    for off in SCALES[name]:
        gh = g[:, off].astype(np.uint16) | (g[:, off + 1].astype(np.uint16) << 8)
        wh = w[:, off].astype(np.uint16) | (w[:, off + 1].astype(np.uint16) << 8)
        ok &= (gh == wh) | (((gh & 0x7FFF) == 0) & ((wh & 0x7FFF) == 0))
        fields.update((off, off + 1))
    rest = [i for i in range(size) if i not in fields]
    ok &= np.all(g[:, rest] == w[:, rest], axis=1)
    return ok


@pytest.mark.parametrize("path", ["simd", "ref"])
@pytest.mark.parametrize("name", GGUF_PY)
def test_quantize_matches_gguf_py(name, path):
    x, dists = all_inputs(seed=sum(map(ord, name)))
    assert x.nbytes >= 8 << 20
    with np.errstate(all="ignore"):  # 1/d of zero blocks
        want = gguf_quantize(name, x)
    got = tp_quantize(name, x, ref=(path == "ref"))
    assert got.size == want.size
    if np.array_equal(got, want):
        return
    if not np.all(zero_sign_only(name, got, want)):
        pytest.fail(f"{name} ({path}): " + first_difference(name, got, want, dists, "gguf-py"))
    # the sign-of-zero departures only occur in blocks that contain zeros
    size = TYPES[name]
    blocks = np.flatnonzero(np.any(got.reshape(-1, size) != want.reshape(-1, size), axis=1))
    assert np.all(np.any(x.reshape(-1, QK)[blocks] == 0, axis=1))


@pytest.mark.parametrize("name", GGUF_PY)
def test_dequantize_matches_gguf_py(name):
    """Our decode of our bytes and of random blocks equals gguf-py's, bit for
    bit: both compute q*d (+ m) in binary32 with one rounding each."""
    x, _ = all_inputs(seed=7)
    ours = tp_quantize(name, x)
    for raw in (ours, random_blocks(name, 11)):
        with np.errstate(all="ignore"):
            want = gguf_dequantize(name, raw)
        assert_same_floats(tp_dequantize(name, raw), want, f"{name} decode vs gguf-py")
        assert_same_floats(tp_dequantize(name, raw, ref=True), want,
                           f"{name} reference decode vs gguf-py")


@pytest.mark.parametrize("name", GGUF_PY)
def test_roundtrip_error(name):
    """The decode is close to the input it came from (relative RMS error on
    Gaussian data, see ggml-types.md section 9)."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(1 << 18) * 0.02).astype(F32)
    y = tp_dequantize(name, tp_quantize(name, x))
    rel = float(np.sqrt(np.mean((y - x) ** 2) / np.mean(x ** 2)))
    assert rel < {"Q4_0": 0.11, "Q4_1": 0.10, "Q5_0": 0.055, "Q5_1": 0.05,
                  "Q8_0": 0.008}[name]


# ---- against llama.cpp's C code -----------------------------------------------

@pytest.mark.parametrize("path", ["simd", "ref"])
@pytest.mark.parametrize("name", list(TYPES))
def test_quantize_matches_llama_cpp(ggml, name, path):
    x, dists = all_inputs(seed=sum(map(ord, name)) + 1)
    want = ggml_quantize(ggml, name, x)
    got = tp_quantize(name, x, ref=(path == "ref"))
    assert got.size == want.size
    if not np.array_equal(got, want):
        pytest.fail(f"{name} ({path}): " + first_difference(name, got, want, dists, "llama.cpp"))


@pytest.mark.parametrize("name", list(TYPES))
def test_quantize_specials_match_llama_cpp(ggml, name):
    x = specials(seed=99)
    with np.errstate(all="ignore"):
        want = ggml_quantize(ggml, name, x)
    for ref in (False, True):
        got = tp_quantize(name, x, ref=ref)
        if not np.array_equal(got, want):
            pytest.fail(f"{name} (ref={ref}): " +
                        first_difference(name, got, want, ["specials"], "llama.cpp"))


@pytest.mark.parametrize("name", GGUF_PY)
def test_dequantize_matches_llama_cpp(ggml, name):
    """Bit for bit, NaN payloads included, on our own bytes and on entirely
    random blocks (NaN and infinite scales too)."""
    x, _ = all_inputs(seed=3)
    for raw in (tp_quantize(name, x), random_blocks(name, 5, finite=False)):
        want = ggml_dequantize(ggml, name, raw)
        for ref in (False, True):
            assert_same_floats(tp_dequantize(name, raw, ref=ref), want,
                               f"{name} decode (ref={ref}) vs llama.cpp")

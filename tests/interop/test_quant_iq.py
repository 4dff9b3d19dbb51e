"""test_quant_iq.py - IQ, TQ, FP4, Q1_0 and Q2_0 codecs against llama.cpp.

tensorport's decoders must give llama.cpp's floats bit for bit and its
quantizers llama.cpp's bytes. The tensorport side runs through the test tool
(`tp-testtool convert SRC DST`, raw elements on stdin, converted elements on
stdout). The references are:

* gguf-py (the pip `gguf` package): gguf.quants.dequantize / quantize, for
  the types it implements;
* llama.cpp's own C code, when LLAMA_CPP_DIR names a llama.cpp tree with
  build/bin/libggml-base.so: dequantize_row_<type> and
  quantize_row_<type>_ref called through ctypes.

Environment: TP_TESTTOOL (default <repo>/build/tp-testtool), LLAMA_CPP_DIR.
Also checks that src/quant/iq_tables.c is what scripts/gen_iq_tables.py
generates from the installed gguf package.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf import quants  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name -> (elements per block, bytes per block, offsets of f16 fields)
TYPES = {
    "IQ2_XXS": (256, 66, [0]),
    "IQ2_XS": (256, 74, [0]),
    "IQ2_S": (256, 82, [0]),
    "IQ3_XXS": (256, 98, [0]),
    "IQ3_S": (256, 110, [0]),
    "IQ1_S": (256, 50, [0]),
    "IQ1_M": (256, 56, []),  # its f16 scale is spread over the scales bytes
    "IQ4_NL": (32, 18, [0]),
    "IQ4_XS": (256, 136, [0]),
    "TQ1_0": (256, 54, [52]),
    "TQ2_0": (256, 66, [64]),
    "MXFP4": (32, 17, []),
    "NVFP4": (64, 36, []),
    "Q1_0": (128, 18, [0]),
    "Q2_0": (64, 18, [0]),
}
# the three the issue requires, plus the other types with a _ref quantizer
QUANTIZERS = ["TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "Q2_0"]

N_BLOCKS = 2048


# ---- the three implementations ------------------------------------------------

def find_testtool() -> str:
    env = os.environ.get("TP_TESTTOOL")
    if env:
        if not os.access(env, os.X_OK):
            pytest.fail(f"TP_TESTTOOL={env} is not an executable")
        return env
    path = os.path.join(REPO, "build", "tp-testtool")
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} not built (set TP_TESTTOOL)")
    return path


def tp_convert(src: str, dst: str, data: bytes) -> bytes:
    """Converts through tp_convert_elements and, as a cross-check, through
    the reference-only path (--ref); both must give the same bytes."""
    outs = []
    for extra in ([], ["--ref"]):
        r = subprocess.run([find_testtool(), "convert", src, dst, *extra], input=data,
                           capture_output=True, check=False)
        assert r.returncode == 0, \
            f"tp-testtool convert {src} {dst} {' '.join(extra)}: {r.stderr.decode()}"
        outs.append(r.stdout)
    assert outs[0] == outs[1], f"{src} -> {dst}: dispatch and --ref paths differ"
    return outs[0]


def tp_dequantize(name: str, raw: np.ndarray) -> np.ndarray:
    return np.frombuffer(tp_convert(name, "F32", raw.tobytes()), dtype=np.float32)


def tp_quantize(name: str, x: np.ndarray) -> np.ndarray:
    return np.frombuffer(tp_convert("F32", name, x.astype(np.float32).tobytes()),
                         dtype=np.uint8)


def gguf_type(name: str):
    """The gguf-py type, or None when this gguf version does not know it."""
    try:
        return GGMLQuantizationType[name]
    except KeyError:
        return None


def gguf_dequantize(name: str, raw: np.ndarray) -> np.ndarray | None:
    t = gguf_type(name)
    if t is None or t not in quants._type_traits:
        return None
    with np.errstate(all="ignore"):
        return quants.dequantize(raw.reshape(-1), t).astype(np.float32).reshape(-1)


def gguf_quantize(name: str, x: np.ndarray) -> np.ndarray | None:
    t = gguf_type(name)
    if t is None or t not in quants._type_traits:
        return None
    blk = TYPES[name][0]
    try:
        with np.errstate(all="ignore"):
            return quants.quantize(x.reshape(-1, blk), t).reshape(-1)
    except NotImplementedError:
        return None


_ggml = None


def ggml():
    """libggml-base.so of LLAMA_CPP_DIR, or None when it is not set."""
    global _ggml
    d = os.environ.get("LLAMA_CPP_DIR")
    if not d:
        return None
    if _ggml is None:
        lib = os.path.join(d, "build", "bin", "libggml-base.so")
        if not os.path.exists(lib):
            pytest.fail(f"LLAMA_CPP_DIR={d} has no build/bin/libggml-base.so")
        _ggml = ctypes.CDLL(lib)
    return _ggml


def ggml_dequantize(name: str, raw: np.ndarray) -> np.ndarray | None:
    lib = ggml()
    if lib is None:
        return None
    blk, size, _ = TYPES[name]
    n = raw.size // size * blk
    out = np.empty(n, dtype=np.float32)
    raw = np.ascontiguousarray(raw)
    fn = getattr(lib, "dequantize_row_" + name.lower())
    fn.restype = None
    fn(ctypes.c_void_p(raw.ctypes.data), ctypes.c_void_p(out.ctypes.data), ctypes.c_int64(n))
    return out


def ggml_quantize(name: str, x: np.ndarray) -> np.ndarray | None:
    lib = ggml()
    if lib is None:
        return None
    blk, size, _ = TYPES[name]
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.zeros(x.size // blk * size, dtype=np.uint8)
    fn = getattr(lib, "quantize_row_" + name.lower() + "_ref")
    fn.restype = None
    fn(ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(out.ctypes.data), ctypes.c_int64(x.size))
    return out


# ---- inputs -----------------------------------------------------------------

def random_blocks(name: str, seed: int, finite_scales: bool = True) -> np.ndarray:
    """N_BLOCKS random blocks. With finite_scales, every f16 scale is a small
    finite value (so the references do not disagree on NaN arithmetic) and
    the FP4 scale bytes stay in a range that cannot overflow."""
    blk, size, f16s = TYPES[name]
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(N_BLOCKS, size), dtype=np.uint8)
    if not finite_scales:
        return raw.reshape(-1)
    for off in f16s:
        h = rng.uniform(-4.0, 4.0, size=N_BLOCKS).astype(np.float16)
        raw[:, off:off + 2] = h.view(np.uint8).reshape(N_BLOCKS, 2)
    if name == "IQ1_M":
        # the f16 scale lives in the top nibbles of the four u16 scale words
        h = rng.uniform(-4.0, 4.0, size=N_BLOCKS).astype(np.float16).view(np.uint16)
        sc = raw[:, 48:56].copy().view("<u2").reshape(N_BLOCKS, 4)
        for k in range(4):
            sc[:, k] = (sc[:, k] & 0x0FFF) | (((h >> (4 * k)) & 0xF) << 12)
        raw[:, 48:56] = sc.view(np.uint8).reshape(N_BLOCKS, 8)
    if name == "MXFP4":
        raw[:, 0] = rng.integers(100, 150, size=N_BLOCKS, dtype=np.uint8)
    return raw.reshape(-1)


def quantizer_input(name: str, seed: int, specials: bool) -> np.ndarray:
    """Gaussian blocks at scales from 1e-6 to 1e4, followed by blocks that
    hit the rounding corners: all zero, exact ties, powers of two, values
    just below powers of two, subnormal and huge maxima. With specials, also
    NaN and infinities (compared with llama.cpp's C code only: gguf-py's
    NumPy max treats NaN differently)."""
    blk = TYPES[name][0]
    rng = np.random.default_rng(seed)
    f32 = np.float32
    blocks = []
    for _ in range(N_BLOCKS // 2):
        scale = f32(10.0) ** rng.uniform(-6, 4)
        blocks.append((rng.standard_normal(blk) * scale).astype(f32))
    corner = [0.0, -0.0, 1.0, 0.5, 4.0, 8.0, 6.0, 448.0, 2.0 ** -126, 2.0 ** -127,
              2.0 ** -140, 1e-40, 1e-8, 3.0e38, 2.0 ** 100]
    corner += [float(np.nextafter(f32(2.0) ** k, f32(0))) for k in range(-130, 128, 3)]
    if specials:
        corner += [float("nan"), float("inf"), float("-inf")]
    for c in corner:
        c = f32(c)
        blocks.append(np.full(blk, c, dtype=f32))
        b = np.zeros(blk, dtype=f32); b[rng.integers(blk)] = c; blocks.append(b)
        b = (rng.standard_normal(blk) * f32(1e-3)).astype(f32); b[-1] = c; blocks.append(b)
        if np.isfinite(c) and c != 0:
            # exact multiples of amax / 4, / 2: ties for every rounding rule
            b = (rng.integers(-4, 5, blk).astype(f32) * f32(0.25) * c).astype(f32)
            b[0] = c
            blocks.append(b)
    return np.concatenate(blocks).astype(f32)


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def assert_same_floats(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, f"{what}: {got.shape} vs {want.shape}"
    bad = np.nonzero(bits(got) != bits(want))[0]
    if bad.size:
        i = int(bad[0])
        pytest.fail(f"{what}: {bad.size} of {got.size} floats differ; first at "
                    f"element {i}: {got[i]!r} (0x{bits(got)[i]:08x}) vs "
                    f"{want[i]!r} (0x{bits(want)[i]:08x})")


def assert_same_bytes(got: np.ndarray, want: np.ndarray, size: int, what: str) -> None:
    assert got.shape == want.shape, f"{what}: {got.shape} vs {want.shape}"
    bad = np.nonzero(got != want)[0]
    if bad.size:
        i = int(bad[0])
        pytest.fail(f"{what}: {bad.size} of {got.size} bytes differ; first at "
                    f"byte {i} (block {i // size}, offset {i % size}): "
                    f"{got[i]} vs {want[i]}")


# ---- tests ------------------------------------------------------------------

def test_iq_tables_match_generator(tmp_path):
    """The committed tables are what the generator produces from the
    installed gguf package, so a grid cannot drift or be edited by hand."""
    out = tmp_path / "iq_tables.c"
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "gen_iq_tables.py"),
                        "-o", str(out)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(REPO, "src", "quant", "iq_tables.c"), encoding="utf-8") as f:
        committed = f.read()
    assert committed == out.read_text(encoding="utf-8"), \
        "src/quant/iq_tables.c is stale: run scripts/gen_iq_tables.py"


@pytest.mark.parametrize("name", list(TYPES))
def test_dequantize_matches_references(name):
    raw = random_blocks(name, seed=1000 + list(TYPES).index(name))
    got = tp_dequantize(name, raw)
    refs = 0
    want = gguf_dequantize(name, raw)
    if want is not None:
        assert_same_floats(got, want, f"{name} vs gguf.quants.dequantize")
        refs += 1
    want = ggml_dequantize(name, raw)
    if want is not None:
        assert_same_floats(got, want, f"{name} vs dequantize_row_{name.lower()}")
        refs += 1
    if refs == 0:
        pytest.skip(f"no reference for {name} (gguf lacks it, LLAMA_CPP_DIR unset)")


@pytest.mark.parametrize("name", list(TYPES))
def test_dequantize_any_bytes_matches_ggml(name):
    """Unconstrained bytes (NaN and infinite scales, E8M0 255, UE4M3 0x7F):
    still llama.cpp's floats, NaN payloads included."""
    raw = random_blocks(name, seed=2000 + list(TYPES).index(name), finite_scales=False)
    want = ggml_dequantize(name, raw)
    if want is None:
        pytest.skip("LLAMA_CPP_DIR not set")
    assert_same_floats(tp_dequantize(name, raw), want,
                       f"{name} (any bytes) vs dequantize_row_{name.lower()}")


@pytest.mark.parametrize("name", QUANTIZERS)
def test_quantize_matches_references(name):
    size = TYPES[name][1]
    x = quantizer_input(name, seed=3000 + QUANTIZERS.index(name), specials=False)
    got = tp_quantize(name, x)
    refs = 0
    want = gguf_quantize(name, x)
    if want is not None:
        assert_same_bytes(got, want, size, f"{name} vs gguf.quants.quantize")
        refs += 1
    want = ggml_quantize(name, x)
    if want is not None:
        assert_same_bytes(got, want, size, f"{name} vs quantize_row_{name.lower()}_ref")
        refs += 1
    if refs == 0:
        pytest.skip(f"no reference for {name} (gguf lacks it, LLAMA_CPP_DIR unset)")


@pytest.mark.parametrize("name", QUANTIZERS)
def test_quantize_nan_inf_matches_ggml(name):
    size = TYPES[name][1]
    x = quantizer_input(name, seed=4000 + QUANTIZERS.index(name), specials=True)
    want = ggml_quantize(name, x)
    if want is None:
        pytest.skip("LLAMA_CPP_DIR not set")
    assert_same_bytes(tp_quantize(name, x), want, size,
                      f"{name} (NaN/inf) vs quantize_row_{name.lower()}_ref")


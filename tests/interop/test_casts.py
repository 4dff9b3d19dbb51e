"""Element-type casts of tp_convert_elements against numpy, ml_dtypes and torch.

Drives `tp-testtool convert SRC DST` (raw little-endian elements on stdin and
stdout) and compares the output bits with the reference library of each
pair (docs/formats/dtypes.md):

* numpy for f16, f32, f64 and integers,
* ml_dtypes for the f8, f6, f4 and e8m0 types,
* torch for bf16.

Where the reference produces a NaN, the expected bits are the documented NaN
of the pair (the references disagree among themselves on NaN payloads).
Where a reference rounds twice (f64 -> bf16 in torch, f64 -> f8 in ml_dtypes,
int64 -> bf16 in torch, ...), the expected value comes from an exact model of
the documented semantics, written here independently of the C code with
Python fractions; the model is itself checked against the libraries on every
input where they round once.

The tool is taken from $TP_TESTTOOL, else build/tp-testtool, else the most
recently built build*/tp-testtool.
"""

import glob
import os
import subprocess
import warnings
from fractions import Fraction

import ml_dtypes as md
import numpy as np
import pytest

torch = pytest.importorskip("torch")

warnings.simplefilter("ignore", RuntimeWarning)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _find_tool():
    env = os.environ.get("TP_TESTTOOL")
    if env:
        if not os.path.exists(env):
            raise RuntimeError(f"TP_TESTTOOL={env} does not exist")
        return env
    main = os.path.join(ROOT, "build", "tp-testtool")
    if os.path.exists(main):
        return main
    # other build trees: the most recently built one
    cands = glob.glob(os.path.join(ROOT, "build*", "tp-testtool"))
    return max(cands, key=os.path.getmtime) if cands else None


TOOL = _find_tool()
pytestmark = [
    pytest.mark.skipif(TOOL is None, reason="tp-testtool not built"),
    # numpy warns about the overflows and NaNs the tests make on purpose
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]


def run_tool(src, dst, data, *flags):
    p = subprocess.run(
        [TOOL, "convert", src, dst, *flags],
        input=bytes(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if p.returncode != 0:
        raise AssertionError(f"tp-testtool {src} {dst}: {p.stderr.decode()}")
    return p.stdout


# ---------------------------------------------------------------------------
# Type descriptions
# ---------------------------------------------------------------------------

IEEE, FN, FNUZ, SAT, E8M0 = "ieee", "fn", "fnuz", "sat", "e8m0"

# name: (fraction bits, sign bit, exponent of smallest normal, largest finite
#        magnitude code, kind, infinity magnitude code)
FMT = {
    "F64": (52, 63, -1022, 0x7FEFFFFFFFFFFFFF, IEEE, 0x7FF0000000000000),
    "F32": (23, 31, -126, 0x7F7FFFFF, IEEE, 0x7F800000),
    "F16": (10, 15, -14, 0x7BFF, IEEE, 0x7C00),
    "BF16": (7, 15, -126, 0x7F7F, IEEE, 0x7F80),
    "F8_E4M3": (3, 7, -6, 0x7E, FN, None),
    "F8_E5M2": (2, 7, -14, 0x7B, IEEE, 0x7C),
    "F8_E8M0": (0, None, -127, 0xFE, E8M0, None),
    "F8_E4M3FNUZ": (3, 7, -7, 0x7F, FNUZ, None),
    "F8_E5M2FNUZ": (2, 7, -15, 0x7F, FNUZ, None),
    "F4": (1, 3, 0, 0x7, SAT, None),
    "F6_E2M3": (3, 5, 0, 0x1F, SAT, None),
    "F6_E3M2": (2, 5, -2, 0x1F, SAT, None),
}
FLOATS = list(FMT)
SMALL = [t for t in FLOATS if t not in ("F64", "F32", "F16", "BF16")]

# numpy dtype holding one element's value, and the unsigned dtype of its code
NPVAL = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "BF16": md.bfloat16,
    "F8_E4M3": md.float8_e4m3fn,
    "F8_E5M2": md.float8_e5m2,
    "F8_E8M0": md.float8_e8m0fnu,
    "F8_E4M3FNUZ": md.float8_e4m3fnuz,
    "F8_E5M2FNUZ": md.float8_e5m2fnuz,
    "F4": md.float4_e2m1fn,
    "F6_E2M3": md.float6_e2m3fn,
    "F6_E3M2": md.float6_e3m2fn,
}
INTS = {
    "I8": np.int8,
    "I16": np.int16,
    "I32": np.int32,
    "I64": np.int64,
    "U8": np.uint8,
    "U16": np.uint16,
    "U32": np.uint32,
    "U64": np.uint64,
}
CODE = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def code_dtype(t):
    if t in ("F64",):
        return np.uint64
    if t in ("F32",):
        return np.uint32
    if t in ("F16", "BF16"):
        return np.uint16
    return np.uint8


# ---------------------------------------------------------------------------
# Packing of sub-byte types (docs/formats/dtypes.md)
# ---------------------------------------------------------------------------


def pack(t, codes):
    """Element codes (one per array entry) -> bytes in the type's layout."""
    codes = np.asarray(codes).astype(np.uint64)
    if t == "F4":
        c = codes.astype(np.uint8) & 0xF
        return (c[0::2] | (c[1::2] << 4)).astype(np.uint8).tobytes()
    if t in ("F6_E2M3", "F6_E3M2"):
        c = (codes & 0x3F).reshape(-1, 4)
        w = c[:, 0] | (c[:, 1] << 6) | (c[:, 2] << 12) | (c[:, 3] << 18)
        b = np.stack([w & 0xFF, (w >> 8) & 0xFF, (w >> 16) & 0xFF], axis=1)
        return b.astype(np.uint8).tobytes()
    dt = code_dtype(t) if t in FMT else INTS.get(t, np.uint8)
    return np.asarray(codes).astype(dt).astype(dt).tobytes()


def unpack(t, data):
    """Bytes in the type's layout -> array of unsigned element codes."""
    b = np.frombuffer(data, dtype=np.uint8)
    if t == "F4":
        out = np.empty(b.size * 2, dtype=np.uint8)
        out[0::2] = b & 0xF
        out[1::2] = b >> 4
        return out
    if t in ("F6_E2M3", "F6_E3M2"):
        w = b.reshape(-1, 3).astype(np.uint32)
        w = w[:, 0] | (w[:, 1] << 8) | (w[:, 2] << 16)
        out = np.stack([(w >> s) & 0x3F for s in (0, 6, 12, 18)], axis=1)
        return out.reshape(-1).astype(np.uint8)
    if t in FMT:
        return np.frombuffer(data, dtype=code_dtype(t))
    if t == "BOOL":
        return b
    return np.frombuffer(data, dtype=INTS[t]).view(CODE[np.dtype(INTS[t]).itemsize * 8])


def convert(src, dst, codes, *flags):
    """Converts codes through the tool; pads to a multiple of 4 elements so
    that any pair of sub-byte types accepts the count."""
    codes = np.asarray(codes, dtype=np.uint64)
    n = len(codes)
    padded = np.concatenate([codes, np.zeros((-n) % 4, dtype=np.uint64)])
    return unpack(dst, run_tool(src, dst, pack(src, padded), *flags))[:n]


def as_values(t, codes):
    """Codes -> numpy array of the type's value dtype."""
    codes = np.asarray(codes)
    if t in FMT:
        return codes.astype(code_dtype(t)).view(NPVAL[t])
    return codes.astype(CODE[np.dtype(INTS[t]).itemsize * 8]).view(INTS[t])


# ---------------------------------------------------------------------------
# Exact model of the documented semantics
# ---------------------------------------------------------------------------


def decode(t, c):
    """Code -> ('nan', sign, frac64) | ('inf', sign) | ('val', sign, Fraction)."""
    c = int(c)
    if t in INTS:
        bits = np.dtype(INTS[t]).itemsize * 8
        if np.issubdtype(INTS[t], np.signedinteger) and c >> (bits - 1):
            c -= 1 << bits
        return ("val", c < 0, Fraction(abs(c)))
    if t == "BOOL":
        return ("val", False, Fraction(1 if c else 0))
    m, sb, emin, maxc, kind, infc = FMT[t]
    if kind == E8M0:
        if c == 0xFF:
            return ("nan", False, 1 << 63)
        return ("val", False, Fraction(2) ** (c - 127))
    sign = bool((c >> sb) & 1)
    mag = c & ((1 << sb) - 1)
    if kind == FNUZ and c == 0x80:
        return ("nan", True, 1 << 63)
    if kind == FN and mag == 0x7F:
        return ("nan", sign, 1 << 63)
    e = mag >> m
    f = mag & ((1 << m) - 1)
    if kind == IEEE and e == (1 << (sb - m)) - 1:
        if f == 0:
            return ("inf", sign)
        frac = (1 << 63) if t in SMALL else f << (64 - m)
        return ("nan", sign, frac)
    if e == 0:
        return ("val", sign, Fraction(f) * Fraction(2) ** (emin - m))
    return ("val", sign, Fraction((1 << m) | f) * Fraction(2) ** (e + emin - 1 - m))


def nan_code(dst, src, sign, frac):
    s = int(sign)
    if dst == "F64":
        q = 0 if src == "F16" else 1 << 51
        return (s << 63) | 0x7FF0000000000000 | q | (frac >> 12)
    if dst == "F32":
        q = 0 if src in ("F16", "BF16") else 0x400000
        return (s << 31) | 0x7F800000 | q | (frac >> 41)
    if dst == "F16":
        if src == "BF16":
            return (s << 15) | 0x7E00
        p = frac >> 54
        return (s << 15) | 0x7C00 | (p if p else 1)
    if dst == "BF16":
        return 0x7FC0
    if dst == "F8_E4M3":
        return (s << 7) | 0x7F
    if dst == "F8_E5M2":
        return (s << 7) | 0x7E
    if dst == "F8_E8M0":
        return 0xFF
    if dst in ("F8_E4M3FNUZ", "F8_E5M2FNUZ"):
        return 0x80
    if dst == "F4":
        return 0 if s else 0x8
    if dst in ("F6_E2M3", "F6_E3M2"):
        return 0 if s else 0x20
    raise ValueError(dst)


def floor_log2(x):
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    elif Fraction(2) ** (e + 1) <= x:
        e += 1
    return e


def overflow_code(dst, sign):
    m, sb, emin, maxc, kind, infc = FMT[dst]
    s = int(sign) << sb if sb is not None else 0
    return {IEEE: lambda: s | (infc or 0), FN: lambda: s | 0x7F, FNUZ: lambda: 0x80,
            SAT: lambda: s | maxc, E8M0: lambda: 0xFF}[kind]()


def encode(dst, src, d):
    """Exact model: decoded value -> code of dst."""
    if dst in INTS:
        bits = np.dtype(INTS[dst]).itemsize * 8
        signed = np.issubdtype(INTS[dst], np.signedinteger)
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if d[0] == "nan":
            v = 0
        elif d[0] == "inf":
            v = lo if d[1] else hi
        else:
            mag = int(d[2])  # truncation toward zero
            v = max(lo, min(hi, -mag if d[1] else mag))
        return v & ((1 << bits) - 1)
    if dst == "BOOL":
        return 0 if d[0] == "val" and d[2] == 0 else 1
    if d[0] == "nan":
        return nan_code(dst, src, d[1], d[2])
    m, sb, emin, maxc, kind, infc = FMT[dst]
    if d[0] == "inf":
        return overflow_code(dst, d[1])
    sign, x = d[1], d[2]
    if kind == E8M0:
        # the nearest power of two by value, ties up; nothing below 2^-127
        if sign or x == 0:
            return 0xFF
        if x < Fraction(2) ** -127:
            return 0
        e = floor_log2(x)
        code = e + 127 + (1 if x >= Fraction(3, 2) * Fraction(2) ** e else 0)
        return 0xFF if code >= 0xFF else code
    s = int(sign) << sb
    if x == 0:
        return 0 if kind == FNUZ else s
    e = max(floor_log2(x), emin)
    q = round(x / Fraction(2) ** (e - m))  # ties to even
    code = q if e == emin and q < (1 << m) else ((e - emin + 1) << m) + q - (1 << m)
    if code > maxc:
        return overflow_code(dst, sign)
    if code == 0 and kind == FNUZ:
        return 0
    return s | code


def model(src, dst, codes):
    out = [encode(dst, src, decode(src, c)) for c in np.asarray(codes).tolist()]
    return np.array(out, dtype=np.uint64)


def isnan_code(t, codes):
    vals = as_values(t, codes)
    if t in FMT:
        return np.isnan(vals.astype(np.float64))
    return np.zeros(len(codes), dtype=bool)


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------


def big_int(t):
    return t in INTS and np.dtype(INTS[t]).itemsize >= 4


def lib_convert(src, dst, codes):
    """Result of the reference library of the pair (codes in, codes out), or
    None when no library converts the pair with a single rounding."""
    codes = np.asarray(codes)
    if dst not in FMT or src == "F64" and (dst in SMALL or dst == "BF16") or \
            big_int(src) and (dst in SMALL or dst == "BF16"):
        return None
    v = as_values(src, codes)
    if src in SMALL or dst in SMALL:
        # ml_dtypes; through f32, which holds every source value here exactly
        return v.astype(np.float32).astype(NPVAL[dst]).view(code_dtype(dst))
    if src == "BF16" or dst == "BF16":
        tmap = {"F32": torch.float32, "F16": torch.float16, "F64": torch.float64,
                "BF16": torch.bfloat16}
        if src == "BF16":
            t = torch.from_numpy(codes.astype(np.uint16).view(np.int16)).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.ascontiguousarray(v))
        r = t.to(tmap[dst])
        if dst == "BF16":
            return r.view(torch.int16).numpy().view(np.uint16)
        return r.numpy().view(code_dtype(dst))
    return v.astype(NPVAL[dst]).view(code_dtype(dst))  # numpy


def expected(src, dst, codes):
    """Library bits with the documented NaN where the library gives a NaN."""
    ref = lib_convert(src, dst, codes)
    if ref is None:
        return model(src, dst, codes), "model"
    ref = ref.astype(np.uint64)
    nan = isnan_code(dst, ref) if dst in FMT else np.zeros(len(ref), bool)
    if nan.any():
        idx = np.nonzero(nan)[0]
        ref[idx] = model(src, dst, np.asarray(codes)[idx])
    return ref, "library"


def check(src, dst, codes, flags=()):
    codes = np.asarray(codes)
    got = convert(src, dst, codes, *flags).astype(np.uint64)
    want, how = expected(src, dst, codes)
    assert got.shape == want.shape
    bad = np.nonzero(got != want)[0]
    if bad.size:
        i = bad[:8]
        raise AssertionError(
            f"{src}->{dst} ({how}): {bad.size} mismatches, e.g. "
            + ", ".join(f"{int(codes[k]):#x}->{int(got[k]):#x} want {int(want[k]):#x}" for k in i)
        )


# ---------------------------------------------------------------------------
# Input sets
# ---------------------------------------------------------------------------


def all_codes(t):
    bits = {"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6}.get(t, np.dtype(code_dtype(t)).itemsize * 8)
    return np.arange(1 << bits, dtype=np.uint64)


def code_value(t, codes):
    return as_values(t, np.asarray(codes, dtype=np.uint64)).astype(np.float64)


def sample_codes(t, limit):
    """Non-negative finite codes of t: all of them, or the edges of every
    binade plus a random subset when there are more than limit."""
    m, sb, emin, maxc, kind, infc = FMT[t]
    if maxc + 1 <= limit:
        c = np.arange(maxc + 1, dtype=np.uint64)
    else:
        edges = []
        for e in range(0, (maxc >> m) + 1):
            base = e << m
            edges += [base, base + 1, base + 2, base + (1 << m) - 2, base + (1 << m) - 1]
        edges += list(range(0, 64)) + [maxc - k for k in range(8)]
        rnd = RNG.integers(0, maxc + 1, size=limit, dtype=np.uint64)
        c = np.unique(np.concatenate([np.array(edges, dtype=np.uint64), rnd]))
        c = c[c <= maxc]
    if kind == FN:
        c = c[c <= maxc]
    return c


def boundary_values(t, wide, limit=1 << 20):
    """Values of the float type `wide` (np.float32 or np.float64) around the
    rounding boundaries of t: each value, the midpoint to the next value (for
    the largest finite value: the overflow threshold), the neighbours of
    those in `wide`, and the negatives of all."""
    c = sample_codes(t, limit)
    v = code_value(t, c)
    nxt = code_value(t, np.minimum(c + 1, FMT[t][3]))
    top = c == FMT[t][3]
    if t == "F8_E8M0":
        nxt[top] = v[top] * 2
    else:
        below = code_value(t, c[top] - 1)
        nxt[top] = v[top] + (v[top] - below)
    mids = v + (nxt - v) / 2
    pts = np.concatenate([v, mids, [mids.max() * 2, v[v > 0].min() / 2, v[v > 0].min() / 4]])
    w = pts[np.isfinite(pts)].astype(wide)
    w = w[np.isfinite(w)]
    out = [w, np.nextafter(w, wide(np.inf)), np.nextafter(w, wide(-np.inf))]
    if wide is np.float64:
        # just off a tie by less than half an f32 unit: round-once cases
        out.append(w * (1 + 2.0 ** -40))
        out.append(w * (1 - 2.0 ** -40))
    w = np.concatenate(out)
    w = np.concatenate([w, -w])
    return w[np.isfinite(w)]


def finite_values(t):
    v = code_value(t, sample_codes(t, 4096))
    return np.unique(v[np.isfinite(v)])


def nan_inf_values_f32():
    return np.array(
        [0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF812345,
         0x7FA00000, 0x7F802000, 0x7FFFFFFF, 0x7F801FFF, 0x00000001, 0x80000001,
         0x00800000, 0x007FFFFF, 0x80000000, 0x00000000, 0x7F7FFFFF, 0xFF7FFFFF],
        dtype=np.uint32)


def nan_inf_values_f64():
    return np.array(
        [0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
         0x7FF0000000000001, 0x7FF4000000000000, 0xFFF8000000000001, 0x7FF0000020000000,
         0x7FFFFFFFFFFFFFFF, 0x0000000000000001, 0x8000000000000001, 0x8000000000000000,
         0x0, 0x7FEFFFFFFFFFFFFF, 0x000FFFFFFFFFFFFF, 0x0010000000000000],
        dtype=np.uint64)


RNG = np.random.default_rng(20240611)

# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("src,dst", [(s, d) for s in ("F16", "BF16") for d in FLOATS if d != s])
def test_all_16bit_patterns(src, dst):
    check(src, dst, all_codes(src))


@pytest.mark.parametrize("src,dst", [(s, d) for s in SMALL for d in FLOATS if d != s])
def test_all_small_codes(src, dst):
    check(src, dst, all_codes(src))


@pytest.mark.parametrize("dst", [t for t in FLOATS if t != "F32"])
def test_f32_boundaries(dst):
    vals = boundary_values(dst, np.float32, 40000) if dst != "F64" else np.zeros(0, np.float32)
    rnd = RNG.integers(0, 1 << 32, size=50000, dtype=np.uint64).astype(np.uint32)
    codes = np.concatenate([vals.view(np.uint32), nan_inf_values_f32(), rnd])
    check("F32", dst, codes.astype(np.uint64))


@pytest.mark.parametrize("dst", [t for t in FLOATS if t != "F64"])
def test_f64_boundaries(dst):
    # the model is slow: sample the codes of the wide types
    vals = boundary_values(dst, np.float64, 1500 if dst in ("BF16",) else 40000)
    rnd = RNG.integers(0, 1 << 64, size=3000, dtype=np.uint64)
    # random values in the target's range, where rounding matters
    mag = finite_values(dst)
    scaled = RNG.uniform(-1, 1, size=3000) * float(mag[-1]) * 1.2
    codes = np.concatenate([vals.view(np.uint64), nan_inf_values_f64(), rnd, scaled.view(np.uint64)])
    check("F64", dst, codes)


def test_model_matches_libraries_on_f32():
    """The exact model agrees with ml_dtypes, numpy and torch wherever they
    round once, including NaN-free rounding corners of every type."""
    for dst in FLOATS:
        if dst == "F32":
            continue
        vals = boundary_values(dst, np.float32, 600) if dst != "F64" else np.float32([1.5, -2.25])
        codes = np.concatenate([vals.view(np.uint32), nan_inf_values_f32()]).astype(np.uint64)
        ref = lib_convert("F32", dst, codes).astype(np.uint64)
        mod = model("F32", dst, codes)
        nan = isnan_code(dst, ref)
        assert np.array_equal(ref[~nan], mod[~nan]), dst
        assert isnan_code(dst, mod)[nan].all(), dst


def test_double_rounding_cases_follow_single_rounding():
    """f64 just above a bf16 / e4m3 tie: torch and ml_dtypes round through
    f32 and land on the even neighbour, tensorport rounds once."""
    x = np.array([1 + 2.0 ** -8 + 2.0 ** -30, 1 + 2.0 ** -4 + 2.0 ** -40], dtype=np.float64)
    got = convert("F64", "BF16", x[:1].view(np.uint64))
    assert int(got[0]) == 0x3F81
    got = convert("F64", "F8_E4M3", x[1:].view(np.uint64))
    assert int(got[0]) == 0x39
    got = convert("F64", "F16", np.array([1 + 2.0 ** -11 + 2.0 ** -40]).view(np.uint64))
    assert int(got[0]) == 0x3C01  # numpy agrees (direct f64 -> f16)


@pytest.mark.parametrize("src", list(INTS) + ["BOOL"])
def test_integers_to_floats(src):
    if src == "BOOL":
        codes = np.array([0, 1, 2, 255, 0, 1, 7, 128], dtype=np.uint64)
    else:
        info = np.iinfo(INTS[src])
        base = [0, 1, -1, 2, 3, 7, 255, 256, 257, 2047, 2049, 2051, 65504, 65519, 65520,
                (1 << 24) + 1, (1 << 24) + 3 * (1 << 16) - 1, 3 * (1 << 61) - 1,
                (1 << 53) + 1, info.min, info.max, info.max - 1, info.min + 1]
        base = [b for b in base if info.min <= b <= info.max]
        rnd = RNG.integers(info.min, info.max, size=300, dtype=INTS[src], endpoint=True)
        vals = np.concatenate([np.array(base, dtype=INTS[src]), rnd])
        codes = vals.view(CODE[np.dtype(INTS[src]).itemsize * 8]).astype(np.uint64)
    for dst in FLOATS:
        got = convert(src, dst, codes).astype(np.uint64)
        want = model(src, dst, codes)
        assert np.array_equal(got, want), (src, dst)
        if src != "BOOL":
            ref = lib_convert(src, dst, codes)
            if ref is not None:
                ref = ref.astype(np.uint64)
                nan = isnan_code(dst, ref)
                assert np.array_equal(got[~nan], ref[~nan]), (src, dst, "library")


@pytest.mark.parametrize("src", ["F16", "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2FNUZ", "F4"])
def test_floats_to_integers(src):
    if src in SMALL:
        codes = all_codes(src)
    elif src in ("F16", "BF16"):
        # the model is slow: a random subset plus every code with an
        # integer-boundary value (+-Inf, NaNs, largest finite, +-0.5, +-1)
        special = all_codes(src)
        v = as_values(src, special).astype(np.float64)
        keep = ~np.isfinite(v) | (np.abs(v) >= 32767) | np.isin(np.abs(v), [0, 0.5, 1, 127, 128, 255, 256])
        codes = np.unique(np.concatenate([special[keep][::7], RNG.choice(special, 6000)]))
    elif src == "F32":
        vals = np.concatenate([RNG.uniform(-3e19, 3e19, 3000), RNG.uniform(-70000, 70000, 3000),
                               RNG.uniform(-3, 3, 1000)]).astype(np.float32)
        codes = np.concatenate([vals.view(np.uint32), nan_inf_values_f32(),
                                np.float32([2.0 ** 63, 2.0 ** 64, -2.0 ** 63, 2.0 ** 31, -2.0 ** 31,
                                            127.9, -128.9, 255.5, -0.5]).view(np.uint32)]).astype(np.uint64)
    else:
        vals = np.concatenate([RNG.uniform(-3e19, 3e19, 3000), RNG.uniform(-70000, 70000, 3000),
                               np.float64([2.0 ** 63, 2.0 ** 64, -2.0 ** 63, 2.0 ** 63 - 1024,
                                           -(2.0 ** 63) - 2048, 2.0 ** 31 - 0.5, 4294967295.9])])
        codes = np.concatenate([vals.view(np.uint64), nan_inf_values_f64()])
    for dst in list(INTS) + ["BOOL"]:
        got = convert(src, dst, codes).astype(np.uint64)
        want = model(src, dst, codes)
        assert np.array_equal(got, want), (src, dst)
        if dst in INTS:
            # numpy truncates toward zero where the value is in range
            v = as_values(src, codes).astype(np.float64)
            info = np.iinfo(INTS[dst])
            ok = np.isfinite(v) & (v > float(info.min) - 1) & (v < float(info.max) + 1) \
                & (np.abs(v) < 2.0 ** 62)
            ref = v[ok].astype(INTS[dst]).view(CODE[np.dtype(INTS[dst]).itemsize * 8])
            assert np.array_equal(got[ok], ref.astype(np.uint64)), (src, dst, "numpy")
        else:
            v = as_values(src, codes).astype(np.float64)
            assert np.array_equal(got, (v != 0).astype(np.uint64)), (src, "bool")


def test_integer_to_integer_wraps_like_numpy():
    vals = np.concatenate([np.array([0, 1, -1, 127, 128, -129, 255, 256, 65535, 65536,
                                     2 ** 31, -(2 ** 31) - 1, 2 ** 63 - 1, -(2 ** 63)], dtype=np.int64),
                           RNG.integers(-(2 ** 63), 2 ** 63 - 1, 2000, dtype=np.int64)])
    for src in INTS:
        sv = vals.astype(INTS[src])
        codes = sv.view(CODE[sv.itemsize * 8]).astype(np.uint64)
        for dst in INTS:
            got = convert(src, dst, codes)
            ref = sv.astype(INTS[dst]).view(CODE[np.dtype(INTS[dst]).itemsize * 8])
            assert np.array_equal(got, ref), (src, dst)
        got = convert(src, "BOOL", codes)
        assert np.array_equal(got, (sv != 0).astype(np.uint8)), (src, "bool")


def test_complex():
    vals = np.float32([1.5, -0.0, np.inf, 3.25]).view(np.uint32).astype(np.uint64)
    out = np.frombuffer(run_tool("F32", "C64", pack("F32", vals)), dtype=np.complex64)
    assert np.array_equal(out.view(np.uint32),
                          np.float32([1.5, 0, -0.0, 0, np.inf, 0, 3.25, 0]).view(np.uint32))
    data = np.complex64([1 + 2j, -3.5j]).tobytes()
    assert run_tool("C64", "C64", data) == data
    p = subprocess.run([TOOL, "convert", "C64", "F32"], input=data, capture_output=True)
    assert p.returncode == 2 and b"imaginary" in p.stderr


def test_packing_is_lsb_first():
    # F4: element 2k in the low nibble (torch float4_e2m1fn_x2, MLX, ONNX)
    out = run_tool("F32", "F4", np.float32([0.5, 6.0, -1.0, 0.0]).tobytes())
    assert out == bytes([0x71, 0x0A])
    # F6: 4 elements in 3 bytes, little-endian bit stream (ONNX FLOAT6, CUTLASS)
    out = run_tool("F32", "F6_E2M3", np.float32([0.125, 7.5, -1.0, 1.0]).tobytes())
    w = 0x01 | (0x1F << 6) | (0x28 << 12) | (0x08 << 18)
    assert out == bytes([w & 0xFF, (w >> 8) & 0xFF, w >> 16])


def test_bad_element_count():
    p = subprocess.run([TOOL, "convert", "F32", "F6_E3M2"], input=np.float32([1, 2]).tobytes(),
                       capture_output=True)
    assert p.returncode == 2 and b"block" in p.stderr


@pytest.mark.parametrize("pair", [("F32", "F16"), ("F16", "F32"), ("BF16", "F16"), ("F16", "BF16"),
                                  ("F32", "BF16"), ("BF16", "F32"), ("F64", "F32"),
                                  ("F32", "F8_E4M3"), ("BF16", "F8_E8M0"), ("F16", "F6_E3M2"),
                                  ("F8_E5M2", "BF16"), ("F4", "F16"), ("I8", "F8_E4M3FNUZ")])
def test_fast_paths_equal_reference(pair):
    """SIMD kernels, the direct scalar loops, the table path of the small
    sources and the reference path give the same bytes (lengths that leave a
    scalar tail after the vectors)."""
    src, dst = pair
    if src in SMALL or src == "I8":
        codes = np.tile(np.arange(256 if src == "I8" else len(all_codes(src)), dtype=np.uint64), 12)
    elif src in ("F16", "BF16"):
        codes = np.concatenate([all_codes(src), all_codes(src)[:7]])
        if dst in SMALL:
            codes = codes[:65536]
    elif src == "F32":
        codes = np.concatenate([RNG.integers(0, 1 << 32, 200001, dtype=np.uint64), nan_inf_values_f32()])
    else:
        codes = np.concatenate([RNG.integers(0, 1 << 64, 100001, dtype=np.uint64), nan_inf_values_f64(),
                                boundary_values("F32", np.float64, 20000).view(np.uint64)])
    data = pack(src, codes)
    fast = run_tool(src, dst, data)
    assert fast == run_tool(src, dst, data, "--ref")
    assert fast == run_tool(src, dst, data, "--no-simd")


@pytest.mark.parametrize("qtype", ["Q8_0", "Q4_K"])
def test_block_types_go_through_f32(qtype):
    """Plain <-> block casts equal the two-step cast through F32, over several
    of the 2048-element chunks and a partial one."""
    n = 2048 * 2 + 256
    vals = (RNG.standard_normal(n) * 3).astype(np.float16)
    f16 = vals.tobytes()
    f32 = vals.astype(np.float32).tobytes()
    p = subprocess.run([TOOL, "convert", "F32", qtype], input=f32, capture_output=True)
    if p.returncode != 0:
        pytest.skip(f"no {qtype} quantizer in this build: {p.stderr.decode().strip()}")
    q = p.stdout
    assert run_tool("F16", qtype, f16) == q
    assert run_tool("F16", qtype, f16, "--ref") == run_tool("F32", qtype, f32, "--ref")
    back32 = run_tool(qtype, "F32", q)
    assert run_tool(qtype, "BF16", q) == run_tool("F32", "BF16", back32)
    assert run_tool(qtype, "F8_E4M3", q, "--ref") == run_tool("F32", "F8_E4M3", back32)
    assert run_tool(qtype, qtype, q) == q


# ---------------------------------------------------------------------------
# E8M0 below 2^-125 and at the ties, measured (docs/formats/dtypes.md §5)
# ---------------------------------------------------------------------------

E8M0_LOW_F32 = np.arange(0, 0x01000000 + 1, dtype=np.uint32)  # [0, 2^-125]


def _ties_f32():
    """1.5 * 2^e for every e an f32 holds, with both neighbours."""
    t = np.array([np.ldexp(np.float32(1.5), e) for e in range(-127, 128)], dtype=np.float32)
    t = t[np.isfinite(t)]
    return np.concatenate([t, np.nextafter(t, np.float32(0)), np.nextafter(t, np.float32(np.inf))])


def test_e8m0_every_small_f32_and_the_ties_match_ml_dtypes():
    """Every f32 pattern up to 2^-125 (both signs) and every tie, against the
    pinned ml_dtypes bit for bit, NaN included (0xFF)."""
    codes = np.concatenate([E8M0_LOW_F32, E8M0_LOW_F32 | np.uint32(0x80000000),
                            _ties_f32().view(np.uint32)])
    got = convert("F32", "F8_E8M0", codes.astype(np.uint64)).astype(np.uint8)
    want = codes.view(np.float32).astype(md.float8_e8m0fnu).view(np.uint8)
    bad = np.nonzero(got != want)[0]
    assert bad.size == 0, [(hex(int(codes[k])), int(got[k]), int(want[k])) for k in bad[:8]]
    # the rule, stated: below 2^-126 the boundary is 1.5 * 2^-127 (0x600000)
    assert int(got[0x5FFFFF]) == 0 and int(got[0x600000]) == 1


def test_e8m0_f64_rounds_once_like_ml_dtypes():
    """ml_dtypes 0.7 converts f64 directly: by value, not through f32."""
    x = np.array([1.5 * 2.0 ** -127 * (1 - 2.0 ** -40), 1.5 * 2.0 ** -127, 2.0 ** -151,
                  2.0 ** -1074, 1.5 * (1 - 2.0 ** -40), 1.5, 1.5 * 2.0 ** 127 * (1 - 2.0 ** -40),
                  1.5 * 2.0 ** 127, 1e300], dtype=np.float64)
    got = convert("F64", "F8_E8M0", x.view(np.uint64)).astype(np.uint8)
    want = x.astype(md.float8_e8m0fnu).view(np.uint8)
    assert got.tolist() == want.tolist() == [0, 1, 0, 0, 127, 128, 254, 255, 255]


def test_e8m0_where_torch_differs_is_as_documented():
    """torch's float8_e8m0fnu cast differs from ml_dtypes (and tensorport) in
    exactly the ways dtypes.md §5 lists: zero gives code 0, the sign is
    dropped, and (2^-127, 1.5 * 2^-127) gives code 1. Everything else,
    bf16 patterns and small f32 ones, agrees."""
    b = np.arange(0x10000, dtype=np.uint32).astype(np.uint16)
    f32 = np.concatenate([(b.astype(np.uint32) << 16), E8M0_LOW_F32]).view(np.float32)
    ours = convert("F32", "F8_E8M0", f32.view(np.uint32).astype(np.uint64)).astype(np.uint8)
    th = torch.from_numpy(f32.copy()).to(torch.float8_e8m0fnu).view(torch.uint8).numpy()
    a = np.abs(f32.astype(np.float64))
    zero = a == 0
    neg = np.signbit(f32) & ~zero & ~np.isnan(f32)
    low = (a > 2.0 ** -127) & (a < 1.5 * 2.0 ** -127)
    # torch: |x| rounded like tensorport, except the low band and zero
    th_model = convert("F32", "F8_E8M0", np.abs(f32).view(np.uint32).astype(np.uint64)).astype(np.uint8)
    th_model[low] = 1
    th_model[zero] = 0
    assert np.array_equal(th, th_model)
    # so they differ on zero, on negatives torch does not send to NaN, and on
    # the low band
    assert np.array_equal(ours != th, zero | (neg & (th != 0xFF)) | low)

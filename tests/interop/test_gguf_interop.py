"""test_gguf_interop.py - tensorport's GGUF reader and writer against gguf-py
(GGUFReader / GGUFWriter) and llama.cpp (llama-gguf-split, libllama).

* files GGUFWriter writes with every value type, every array element type
  and several tensor types are read by tensorport with the same keys, value
  types, values, shapes and offsets (inspect --json), and a GGUF -> GGUF
  conversion reproduces GGUFWriter's file byte for byte;
* big-endian files from GGUFWriter(endianess=BIG) read correctly: the LE
  conversion equals GGUFWriter's LE file byte for byte, and --big-endian
  reproduces GGUFWriter's BE file byte for byte;
* split output (--split-max-tensors, --split-max-size,
  --no-tensor-first-split) equals GGUFWriter's shards byte for byte, merges
  with llama-gguf-split --merge and loads in libllama as a split model;
  tensorport reads GGUFWriter's split sets as one model;
* GGUF -> SafeTensors -> GGUF restores every KV exactly (order, type,
  value bits) and every tensor;
* `tensorport meta` edits are seen by GGUFReader and the result loads.

The binary is $TENSORPORT or <repo>/build/tensorport; llama.cpp tools come
from $LLAMA_CPP_DIR/build/bin (CI: <repo>/build/llama.cpp).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import struct
import subprocess

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TP = os.environ.get("TENSORPORT", os.path.join(REPO, "build", "tensorport"))
LLAMA_CPP_DIR = os.environ.get("LLAMA_CPP_DIR", os.path.join(REPO, "build", "llama.cpp"))
LLAMA_BIN = os.path.join(LLAMA_CPP_DIR, "build", "bin")

gguf = pytest.importorskip("gguf")
from gguf import GGUFEndian, GGUFReader, GGUFValueType as VT, GGUFWriter  # noqa: E402
from gguf import GGMLQuantizationType as QT  # noqa: E402


def run(*args, check=True):
    r = subprocess.run([TP, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check and r.returncode != 0:
        raise AssertionError(f"tensorport {' '.join(map(str, args))} exited {r.returncode}:\n"
                             f"{r.stderr}")
    return r


@pytest.fixture(scope="module", autouse=True)
def tensorport_available():
    if not os.access(TP, os.X_OK):
        pytest.skip(f"no tensorport binary at {TP}")
    for cmd in (["--version"], ["convert", "--help"], ["inspect", "--help"]):
        if subprocess.run([TP, *cmd], capture_output=True).returncode != 0:
            pytest.skip(f"tensorport {' '.join(cmd)} does not work yet")


def convert(src, dst, *opts):
    # the SafeTensors files here have no config.json: their names go to the
    # GGUF as they are (the Hugging Face -> GGUF translation is tested in
    # test_hf_gguf_e2e.py)
    keep = ["--keep-names"] if str(dst).endswith(".gguf") else []
    return run("convert", src, dst, "--no-progress", *keep, *opts)


def inspect_json(path):
    return json.loads(run("inspect", "--json", path).stdout)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- building files with gguf-py -----------------------------------------------------

SCALARS = [
    ("t.u8", VT.UINT8, 255), ("t.i8", VT.INT8, -128), ("t.u16", VT.UINT16, 65535),
    ("t.i16", VT.INT16, -32768), ("t.u32", VT.UINT32, 4294967295),
    ("t.i32", VT.INT32, -2147483648), ("t.f32", VT.FLOAT32, 0.1), ("t.bool", VT.BOOL, True),
    ("t.str", VT.STRING, "héllo \"wörld\"\n\u2603"), ("t.u64", VT.UINT64, 2**64 - 1),
    ("t.i64", VT.INT64, -2**63), ("t.f64", VT.FLOAT64, -1.5e-300),
]
ARRAYS = [
    ("a.u8", VT.UINT8, [0, 1, 255]), ("a.i8", VT.INT8, [-1, 127]), ("a.u16", VT.UINT16, [7]),
    ("a.i16", VT.INT16, [-2, 3]), ("a.u32", VT.UINT32, [1, 2**32 - 1]),
    ("a.i32", VT.INT32, [-5, 6]), ("a.f32", VT.FLOAT32, [0.5, -0.0, float("inf")]),
    ("a.bool", VT.BOOL, [True, False, True]), ("a.str", VT.STRING, ["a", "", "ünï"]),
    ("a.u64", VT.UINT64, [2**63]), ("a.i64", VT.INT64, [-(2**40)]),
    ("a.f64", VT.FLOAT64, [1e300, float("-inf")]),
]


def tensors(quantized=True):
    rng = np.random.default_rng(1)
    out = [
        ("w.f32", rng.standard_normal((3, 4)).astype(np.float32), None),
        ("w.f16", rng.standard_normal((5,)).astype(np.float16), None),
        ("w.f64", rng.standard_normal((2, 1, 3)).astype(np.float64), None),
        ("w.i8", np.arange(-4, 4, dtype=np.int8).reshape(2, 4), None),
        ("w.i16", np.arange(6, dtype=np.int16), None),
        ("w.i32", np.arange(-3, 3, dtype=np.int32).reshape(3, 2), None),
        ("w.i64", np.arange(4, dtype=np.int64), None),
        ("w.bf16", (rng.standard_normal((4,)).astype(np.float32).view(np.uint32) >> 16)
         .astype(np.uint16), QT.BF16),
    ]
    if quantized:
        # two Q8_0 blocks (34 bytes each) as raw bytes: shape (2, 32)
        out.append(("w.q8_0", rng.integers(0, 255, (2, 34), dtype=np.uint8), QT.Q8_0))
    return out


def write_gguf(path, endianess=GGUFEndian.LITTLE, quantized=True, kvs=True,
               arch="testarch", **kw):
    w = GGUFWriter(path, arch, endianess=endianess, **kw)
    if kvs:
        for key, vt, val in SCALARS:
            w.add_key_value(key, val, vt)
        for key, vt, val in ARRAYS:
            w.add_key_value(key, val, VT.ARRAY, sub_type=vt)
    for name, data, raw in tensors(quantized):
        w.add_tensor(name, data, raw_dtype=raw)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tiny_llama(path, **kw):
    """A loadable llama model without vocabulary (tokenizer "none")."""
    w = GGUFWriter(path, "llama", **kw)
    E, F, V, H = 32, 64, 32, 4
    w.add_context_length(64)
    w.add_embedding_length(E)
    w.add_block_count(1)
    w.add_feed_forward_length(F)
    w.add_head_count(H)
    w.add_head_count_kv(H)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(E // H)
    w.add_vocab_size(V)
    w.add_tokenizer_model("none")
    rng = np.random.default_rng(0)
    for name, shape in [("token_embd.weight", (V, E)), ("output_norm.weight", (E,)),
                        ("output.weight", (V, E)), ("blk.0.attn_norm.weight", (E,)),
                        ("blk.0.attn_q.weight", (E, E)), ("blk.0.attn_k.weight", (E, E)),
                        ("blk.0.attn_v.weight", (E, E)), ("blk.0.attn_output.weight", (E, E)),
                        ("blk.0.ffn_norm.weight", (E,)), ("blk.0.ffn_gate.weight", (F, E)),
                        ("blk.0.ffn_up.weight", (F, E)), ("blk.0.ffn_down.weight", (E, F))]:
        w.add_tensor(name, rng.standard_normal(shape).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---- reading files with gguf-py --------------------------------------------------------


def kv_list(path):
    """[(key, types, raw bytes of each data part)] in file order: exact, also
    for NaN and -0.0 (compares files of the same byte order)."""
    r = GGUFReader(path)
    out = []
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            continue
        out.append((name, tuple(int(t) for t in f.types),
                    [bytes(f.parts[i].tobytes()) for i in f.data]))
    return out


def kv_values(path):
    """{key: (types, python value)} via contents() (byte-order independent)."""
    r = GGUFReader(path)
    return {name: (tuple(int(t) for t in f.types), f.contents())
            for name, f in r.fields.items() if not name.startswith("GGUF.")}


def tensor_list(path):
    r = GGUFReader(path)
    return [(t.name, int(t.tensor_type), [int(x) for x in t.shape],
             np.ascontiguousarray(t.data).tobytes() if r.endianess == GGUFEndian.LITTLE
             else None, t) for t in r.tensors]


def same_value(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


# ---- tests -------------------------------------------------------------------------------


def test_reads_ggufwriter_every_type(tmp_path):
    src = tmp_path / "all.gguf"
    write_gguf(src)
    info = inspect_json(src)
    assert info["format"] == "gguf"
    assert info["gguf"]["version"] == 3
    r = GGUFReader(src)
    fields = [(n, f) for n, f in r.fields.items() if not n.startswith("GGUF.")]
    assert list(info["metadata"]) == [n for n, _ in fields]
    for name, f in fields:
        m = info["metadata"][name]
        assert m["type"] == VT(f.types[0]).name, name
        want = f.contents()
        if f.types[0] == VT.ARRAY:
            assert m["array_types"] == [VT(f.types[-1]).name], name
            got = m["value"]
            if f.types[-1] in (VT.FLOAT32, VT.FLOAT64):
                # non-finite values are printed as strings ("-Infinity")
                got = [float(x) for x in got]
            if f.types[-1] == VT.FLOAT32:
                got = [float(np.float32(x)) for x in got]
                want = [float(np.float32(x)) for x in want]
            assert same_value(got, want), (name, got, want)
        elif f.types[0] == VT.FLOAT32:
            assert np.float32(m["value"]) == np.float32(want), name
        else:
            assert same_value(m["value"], want), (name, m["value"], want)
    assert list(info["tensors"]) == [t.name for t in r.tensors]
    for t in r.tensors:
        j = info["tensors"][t.name]
        assert j["type"] == t.tensor_type.name
        assert j["ne"] == [int(x) for x in t.shape]
        assert j["shape"] == [int(x) for x in reversed(t.shape)]
        assert j["offset"] == t.data_offset
        assert j["nbytes"] == t.n_bytes


def test_gguf_copy_is_byte_identical_to_ggufwriter(tmp_path):
    src, out = tmp_path / "all.gguf", tmp_path / "out.gguf"
    write_gguf(src)
    convert(src, out)
    assert kv_list(out) == kv_list(src)
    assert [t[:4] for t in tensor_list(out)] == [t[:4] for t in tensor_list(src)]
    assert read(out) == read(src)


def test_big_endian_input(tmp_path):
    le, be, out = tmp_path / "le.gguf", tmp_path / "be.gguf", tmp_path / "out.gguf"
    write_gguf(le, quantized=False)
    write_gguf(be, endianess=GGUFEndian.BIG, quantized=False)
    info = inspect_json(be)
    assert info["endian"] == "BIG"
    want = inspect_json(le)
    assert info["metadata"] == want["metadata"]
    assert [(n, t["type"], t["shape"]) for n, t in info["tensors"].items()] == \
           [(n, t["type"], t["shape"]) for n, t in want["tensors"].items()]
    convert(be, out)  # little-endian output by default
    assert read(out) == read(le)


def test_big_endian_output(tmp_path):
    le, be, out = tmp_path / "le.gguf", tmp_path / "be.gguf", tmp_path / "out.gguf"
    write_gguf(le, quantized=False)
    write_gguf(be, endianess=GGUFEndian.BIG, quantized=False)
    convert(le, out, "--big-endian")
    assert GGUFReader(out).endianess == GGUFEndian.BIG
    assert kv_values(out) == kv_values(le) or all(
        same_value(kv_values(out)[k][1], v[1]) for k, v in kv_values(le).items())
    assert read(out) == read(be)
    # and back
    back = tmp_path / "back.gguf"
    convert(out, back)
    assert read(back) == read(le)


def test_big_endian_refuses_unswappable_block_types(tmp_path):
    le, out = tmp_path / "le.gguf", tmp_path / "out.gguf"
    write_gguf(le, quantized=False, kvs=False)
    w = GGUFWriter(tmp_path / "q.gguf", "x")
    w.add_tensor("k", np.zeros((1, 176), np.uint8), raw_dtype=QT.Q5_K)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    r = run("convert", tmp_path / "q.gguf", out, "--big-endian", check=False)
    assert r.returncode == 2
    assert 'tensor "k"' in r.stderr and "big-endian" in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("qtype", ["q8_0", "q4_0", "q4_k", "q6_k", "mxfp4"])
def test_big_endian_block_types_match_gguf_convert_endian(tmp_path, qtype):
    """Block types carry f16 scales; gguf-py's gguf_convert_endian swaps
    exactly those fields. tensorport must read its big-endian output back to
    the same little-endian file, and write the same big-endian bytes (the
    script also swaps the magic to "FUGG"; tensorport keeps "GGUF" as the
    reference recommends, so the magic is compared separately)."""
    import safetensors.numpy
    rng = np.random.default_rng(7)
    src = tmp_path / "src.safetensors"
    safetensors.numpy.save_file({"w.weight": rng.standard_normal((4, 512), np.float32),
                                 "norm.weight": rng.standard_normal(512).astype(np.float32)},
                                str(src))
    le, be, back, out = (tmp_path / n for n in ("le.gguf", "be.gguf", "back.gguf", "out.gguf"))
    convert(src, le, "--type", qtype)
    shutil.copy(le, be)
    r = subprocess.run([os.sys.executable, "-m", "gguf.scripts.gguf_convert_endian", str(be), "big"],
                       input="YES\n", capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert read(be) != read(le)
    convert(be, back)
    assert read(back) == read(le)
    convert(le, out, "--big-endian")
    assert read(out)[4:] == read(be)[4:]
    assert read(out)[:4] == b"GGUF" and read(be)[:4] in (b"GGUF", b"FUGG")


def test_gguf_safetensors_gguf_round_trip(tmp_path):
    src, st, back = tmp_path / "all.gguf", tmp_path / "mid.safetensors", tmp_path / "back.gguf"
    write_gguf(src, quantized=False)
    # NaN payloads and -0.0 must survive too
    convert(src, st)
    from safetensors import safe_open
    with safe_open(st, "np") as f:
        md = f.metadata()
    enc = json.loads(md["gguf:t.u64"])
    assert enc["type"] == "UINT64" and int(enc["value"]) == 2**64 - 1
    assert json.loads(md["gguf:a.str"])["value"] == ["a", "", "ünï"]
    convert(st, back)
    assert kv_list(back) == kv_list(src)
    # tensors come back in the GGUF order (not sorted), so the whole file is
    # the original byte for byte
    assert [t[0] for t in tensor_list(back)] == [t[0] for t in tensor_list(src)]
    assert read(back) == read(src)


def test_round_trip_byte_identical_with_alignment_and_unit_extents(tmp_path):
    """GGUF -> SafeTensors -> GGUF gives the file back byte for byte: tensors
    in reverse name order, F32/F16/BF16/F64 and integer tensors, trailing
    1-extents (gguf-py keeps the NumPy rank), general.alignment 64 and an
    honest general.file_type among KVs of several types."""
    src, st, back = tmp_path / "a.gguf", tmp_path / "a.safetensors", tmp_path / "b.gguf"
    rng = np.random.default_rng(5)
    w = GGUFWriter(src, "testarch")
    w.add_custom_alignment(64)
    w.add_file_type(0)
    w.add_key_value("z.u16", 7, VT.UINT16)
    w.add_key_value("a.f64", -0.0, VT.FLOAT64)
    w.add_key_value("m.strs", ["x", "ÿ"], VT.ARRAY, sub_type=VT.STRING)
    w.add_key_value("b.bool", False, VT.BOOL)
    data = [
        ("z.weight", rng.standard_normal((1, 8)).astype(np.float32), None),
        ("y.weight", rng.standard_normal((3, 1, 5)).astype(np.float32), None),
        ("x.bias", rng.standard_normal((1, 1, 4)).astype(np.float16), None),
        ("w.bf16", (rng.standard_normal((1, 6)).astype(np.float32).view(np.uint32) >> 16)
         .astype(np.uint16), QT.BF16),
        ("v.f64", rng.standard_normal((2, 2)).astype(np.float64), None),
        ("u.i32", np.arange(-3, 3, dtype=np.int32).reshape(1, 6), None),
        ("t.i8", np.arange(5, dtype=np.int8), None),
        ("s.weight", rng.standard_normal((4,)).astype(np.float32), None),
        ("blk.10.w", rng.standard_normal((2, 3)).astype(np.float32), None),
        ("blk.2.w", rng.standard_normal((2, 3)).astype(np.float32), None),
    ]
    for name, arr, raw in data:
        w.add_tensor(name, arr, raw_dtype=raw)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    assert GGUFReader(src).alignment == 64
    convert(src, st)
    convert(st, back)
    assert [t[:3] for t in tensor_list(back)] == [t[:3] for t in tensor_list(src)]
    assert kv_list(back) == kv_list(src)
    assert read(back) == read(src)


def test_round_trip_order_falls_back_when_tensors_differ(tmp_path):
    """The recorded order applies only when it lists exactly the tensors of
    the file: with one tensor removed the conversion still works, in the
    order of the SafeTensors file."""
    from safetensors.numpy import load_file, save_file
    from safetensors import safe_open
    src, st, st2, back = (tmp_path / n for n in ("a.gguf", "a.safetensors",
                                                  "b.safetensors", "b.gguf"))
    w = GGUFWriter(src, "testarch")
    for i, name in enumerate(["c", "a", "d", "b"]):
        w.add_tensor(name, np.full((2, 3), i, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    convert(src, st)
    with safe_open(st, "np") as f:
        md = f.metadata()
    assert json.loads(md["gguf.tensor_order"]) == ["c", "a", "d", "b"]
    tensors_ = load_file(st)
    del tensors_["a"]
    save_file(tensors_, st2, metadata=md)
    convert(st2, back)
    names = [t[0] for t in tensor_list(back)]
    assert sorted(names) == sorted(n for n in tensors_)
    with safe_open(st2, "np") as f:
        assert names == list(f.keys())
    assert kv_list(back) == kv_list(src)


def test_safetensors_metadata_kept_under_namespace(tmp_path):
    from safetensors.numpy import save_file
    st, out, again = tmp_path / "m.safetensors", tmp_path / "m.gguf", tmp_path / "again.safetensors"
    save_file({"w": np.ones((2, 2), np.float32)}, st, metadata={"format": "pt", "note": "x"})
    convert(st, out)
    kv = kv_values(out)
    assert kv["safetensors.metadata.format"][1] == "pt"
    assert kv["general.name"][1] == "m"  # default from the file name
    convert(out, again)
    from safetensors import safe_open
    with safe_open(again, "np") as f:
        md = f.metadata()
    assert md["format"] == "pt" and md["note"] == "x"


@pytest.mark.parametrize("order", [("note", "format", "a"), ("a", "format", "note"),
                                   ("format", "note", "a"), ("note", "a", "format")])
def test_safetensors_metadata_order_does_not_matter(tmp_path, order):
    """__metadata__ is a map (the safetensors package writes it in hash
    order): every order gives the same GGUF, and the way back restores every
    entry as a plain one."""
    import json
    import struct
    values = {"format": "pt", "note": "x", "a": "1"}
    header = json.dumps({"__metadata__": {k: values[k] for k in order},
                         "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
                        separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    st = tmp_path / "m.safetensors"
    st.write_bytes(struct.pack("<Q", len(header)) + header + np.ones(2, np.float32).tobytes())
    out, again, back = tmp_path / "m.gguf", tmp_path / "again.safetensors", tmp_path / "back.gguf"
    convert(st, out)
    keys = [k for k in kv_values(out) if k.startswith("safetensors.metadata.")]
    assert keys == ["safetensors.metadata.a", "safetensors.metadata.format",
                    "safetensors.metadata.note"]
    convert(out, again)
    from safetensors import safe_open
    with safe_open(again, "np") as f:
        md = f.metadata()
    assert md["a"] == "1" and md["note"] == "x" and md["format"] == "pt"
    convert(again, back)
    assert read(back) == read(out)


def test_unsigned_64_bit_tensor_checked_into_i64(tmp_path):
    from safetensors.torch import save_file
    torch = pytest.importorskip("torch")
    ok, bad = tmp_path / "ok.safetensors", tmp_path / "bad.safetensors"
    vals = [0, 1, 2**63 - 1, 12345]
    save_file({"u": torch.tensor(vals, dtype=torch.uint64), "w": torch.ones(3)}, str(ok))
    save_file({"w": torch.ones(3),
               "u": torch.tensor([7] * 4000 + [2**63] + [1], dtype=torch.uint64)}, str(bad))
    convert(ok, tmp_path / "ok.gguf", "--verify")
    r = GGUFReader(str(tmp_path / "ok.gguf"))
    t = {t.name: t for t in r.tensors}["u"]
    assert t.tensor_type.name == "I64" and [int(x) for x in t.data] == vals
    p = subprocess.run([TP, "convert", str(bad), str(tmp_path / "bad.gguf"), "--no-progress",
                        "--keep-names"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert 'tensor "u" (U64 -> I64): element 4000 is 9223372036854775808' in p.stderr
    assert not os.path.exists(tmp_path / "bad.gguf")
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def split_names(prefix, n):
    return [f"{prefix}-{i:05d}-of-{n:05d}.gguf" for i in range(1, n + 1)]


@pytest.mark.parametrize("opts,writer_kw", [
    (["--split-max-tensors", "5"], {"split_max_tensors": 5}),
    (["--split-max-size", "10000"], {"split_max_size": 10000}),
    (["--split-max-size", "10000", "--no-tensor-first-split"],
     {"split_max_size": 10000, "small_first_shard": True}),
])
def test_split_output_matches_ggufwriter(tmp_path, opts, writer_kw):
    src = tmp_path / "tiny.gguf"
    tiny_llama(src)
    (tmp_path / "ref").mkdir()
    tiny_llama(tmp_path / "ref" / "model.gguf", **writer_kw)
    ref = sorted(p.name for p in (tmp_path / "ref").iterdir())
    assert len(ref) > 1
    convert(src, tmp_path / "model.gguf", *opts)
    got = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("model-"))
    assert got == ref == split_names("model", len(ref))
    for name in ref:
        assert read(tmp_path / name) == read(tmp_path / "ref" / name), name
    first = kv_values(tmp_path / ref[0])
    assert first["split.no"] == ((int(VT.UINT16),), 0)
    assert first["split.count"] == ((int(VT.UINT16),), len(ref))
    assert first["split.tensors.count"] == ((int(VT.INT32),), 12)
    assert set(kv_values(tmp_path / ref[1])) == {"split.no", "split.count",
                                                 "split.tensors.count"}
    # tensorport reads the set as one model
    info = inspect_json(tmp_path / ref[0])
    assert len(info["tensors"]) == 12 and len(info["files"]) == len(ref)


def llama_tool(name):
    p = os.path.join(LLAMA_BIN, name)
    if not os.access(p, os.X_OK):
        pytest.skip(f"{name} not found in {LLAMA_BIN}")
    return p


@pytest.fixture(scope="module")
def llama_loader(tmp_path_factory):
    """The libllama loader built by scripts/setup.sh (tests/interop/llama_load.c):
    loads a model, split sets included, through llama_model_load_from_file
    (setup.sh rebuilds it whenever its source changes)."""
    if not os.path.isdir(LLAMA_BIN):
        pytest.skip(f"llama.cpp tools not built at {LLAMA_BIN} (scripts/setup.sh llama)")
    exe = os.path.join(LLAMA_BIN, "tp-llama-load")
    assert os.access(exe, os.X_OK), f"{exe} missing: rerun scripts/setup.sh llama"
    return exe


def llama_file_type(loader, path):
    """(name, value) of the file type libllama reports for path."""
    r = subprocess.run([loader, str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        if line.startswith("file type: "):
            name, _, num = line[len("file type: "):].rpartition(" (ftype ")
            return name, int(num.rstrip(")"))
    raise AssertionError(f"no file type in {r.stdout!r}")


def test_split_loads_in_llama_and_merges(tmp_path, llama_loader):
    src = tmp_path / "tiny.gguf"
    tiny_llama(src)
    r = subprocess.run([llama_loader, str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    want = r.stdout
    convert(src, tmp_path / "split.gguf", "--split-max-tensors", "4", "--no-tensor-first-split")
    parts = split_names(str(tmp_path / "split"), 4)
    assert all(os.path.exists(p) for p in parts)
    r = subprocess.run([llama_loader, parts[0]], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == want
    merged = tmp_path / "merged.gguf"
    r = subprocess.run([llama_tool("llama-gguf-split"), "--merge", parts[0], str(merged)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [t[:4] for t in tensor_list(merged)] == [t[:4] for t in tensor_list(src)]
    r = subprocess.run([llama_loader, str(merged)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == want, r.stderr
    # and tensorport reads llama-gguf-split's merge (split.count = 0)
    assert len(inspect_json(merged)["tensors"]) == 12


def test_reads_llama_gguf_split_output(tmp_path):
    tool = llama_tool("llama-gguf-split")
    src = tmp_path / "tiny.gguf"
    tiny_llama(src)
    r = subprocess.run([tool, "--split", "--split-max-tensors", "5", str(src),
                        str(tmp_path / "s")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    info = inspect_json(tmp_path / "s-00001-of-00003.gguf")
    assert len(info["files"]) == 3 and len(info["tensors"]) == 12
    out = tmp_path / "back.gguf"
    convert(tmp_path / "s-00001-of-00003.gguf", out)
    assert [t[:4] for t in tensor_list(out)] == [t[:4] for t in tensor_list(src)]
    assert "split.count" not in kv_values(out)


def test_meta_edit(tmp_path, llama_loader):
    src = tmp_path / "tiny.gguf"
    tiny_llama(src)
    before = tensor_list(src)
    run("meta", src, "--no-sync", "--set", "general.name=str:edited: yes",
        "--set", "llama.context_length=int:128", "--set", "x.flag=bool:true",
        "--set", "x.f=f64:0.25", "--delete", "llama.rope.dimension_count")
    kv = kv_values(src)
    assert kv["general.name"] == ((int(VT.STRING),), "edited: yes")
    assert kv["llama.context_length"] == ((int(VT.UINT32),), 128)
    assert kv["x.flag"] == ((int(VT.BOOL),), True)
    assert kv["x.f"] == ((int(VT.FLOAT64),), 0.25)
    assert "llama.rope.dimension_count" not in kv
    assert list(kv)[:2] == ["general.architecture", "llama.context_length"]
    assert [t[:4] for t in tensor_list(src)] == [t[:4] for t in before]
    r = subprocess.run([llama_loader, str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # a type the key cannot hold is refused and the file is unchanged
    data = read(src)
    r = run("meta", src, "--set", "llama.block_count=u8:300", check=False)
    assert r.returncode != 0
    assert read(src) == data


def test_file_type_describes_the_tensors(tmp_path, llama_loader):
    """general.file_type is recomputed from the tensor types written when no
    preset is asked for: the Q4_1 file's metadata restored onto its
    dequantized (all-F32) tensors must not announce Q4_1."""
    from safetensors import safe_open
    src, q41, st, back = (tmp_path / n for n in ("f32.gguf", "q41.gguf", "q41.safetensors",
                                                  "back.gguf"))
    tiny_llama(src)
    convert(src, q41, "--type", "Q4_1")
    assert kv_values(q41)["general.file_type"] == ((int(VT.UINT32),), 3)
    assert llama_file_type(llama_loader, q41) == ("Q4_1", 3)
    convert(q41, st)
    with safe_open(st, "np") as f:
        assert json.loads(f.metadata()["gguf:general.file_type"])["value"] == 3
    convert(st, back)
    assert {QT(t[1]).name for t in tensor_list(back)} == {"F32"}
    kv = kv_values(back)
    assert kv["general.file_type"] == ((int(VT.UINT32),), 0)
    assert list(kv) == list(kv_values(q41))  # the key keeps its place
    assert llama_file_type(llama_loader, back) == ("all F32", 0)


def test_file_type_recomputed_for_copies_and_element_types(tmp_path, llama_loader):
    f32, stale, out = tmp_path / "f32.gguf", tmp_path / "stale.gguf", tmp_path / "out.gguf"
    tiny_llama(f32)
    # no key: none is invented (the loader guesses the same thing itself)
    convert(f32, out)
    assert "general.file_type" not in kv_values(out)
    assert llama_file_type(llama_loader, out) == ("(guessed) all F32", 1024)
    # a stale key in a GGUF copy
    tiny_llama(stale)
    run("meta", stale, "--no-sync", "--set", "general.file_type=u32:3")
    assert llama_file_type(llama_loader, stale) == ("Q4_1", 3)
    convert(stale, out, "--force")
    assert kv_values(out)["general.file_type"] == ((int(VT.UINT32),), 0)
    assert llama_file_type(llama_loader, out) == ("all F32", 0)
    # GGUF Q8_0 -> F16 says F16
    q8, f16 = tmp_path / "q8.gguf", tmp_path / "f16.gguf"
    convert(f32, q8, "--type", "q8_0")
    convert(q8, f16, "--type", "f16")
    assert kv_values(f16)["general.file_type"] == ((int(VT.UINT32),), 1)
    assert llama_file_type(llama_loader, f16) == ("F16", 1)
    # a plain element type: the loader's rule (MXFP4 files are MXFP4_MOE, as
    # llama-quantize labels them)
    mx = tmp_path / "mx.gguf"
    convert(f32, mx, "--type", "mxfp4")
    assert kv_values(mx)["general.file_type"] == ((int(VT.UINT32),), 38)
    # a preset label that still describes the tensors survives a copy,
    # although the loader's rule alone would say Q5_0 (the 32-wide rows
    # fell back from Q4_K to Q5_0)
    ks, ks2 = tmp_path / "ks.gguf", tmp_path / "ks2.gguf"
    convert(f32, ks, "--type", "Q4_K_S")
    convert(ks, ks2)
    assert kv_values(ks2)["general.file_type"] == ((int(VT.UINT32),), 14)
    assert read(ks2) == read(ks)


def test_meta_edit_encoded_gguf_keys_in_safetensors(tmp_path, llama_loader):
    """A SafeTensors file made from GGUF keeps the GGUF keys encoded
    ("gguf:KEY"): `meta --set KEY` and `--delete KEY` edit those entries, so
    the GGUF made from the file carries the edit (no shadow key
    safetensors.metadata.KEY)."""
    from safetensors import safe_open
    src, st, out = tmp_path / "t.gguf", tmp_path / "t.safetensors", tmp_path / "out.gguf"
    tiny_llama(src)
    run("meta", src, "--no-sync", "--set", "general.name=str:tiny")
    convert(src, st)
    with safe_open(st, "np") as f:
        before = f.metadata()
    run("meta", st, "--no-sync", "--set", "general.name=str:Edited: yes",
        "--set", "llama.context_length=int:128", "--set", "llama.block_count=u32:1",
        "--delete", "llama.rope.dimension_count", "--set", "x.new=f32:0.5")
    with safe_open(st, "np") as f:
        md = f.metadata()
    assert "general.name" not in md and "gguf:llama.rope.dimension_count" not in md
    name = json.loads(md["gguf:general.name"])
    # the deleted key came before: the later indices close the gap
    assert (json.loads(before["gguf:llama.rope.dimension_count"])["index"] <
            json.loads(before["gguf:general.name"])["index"])
    assert name == {"index": json.loads(before["gguf:general.name"])["index"] - 1,
                    "type": "STRING", "value": "Edited: yes"}
    assert json.loads(md["gguf:llama.context_length"])["type"] == "UINT32"
    convert(st, out)
    kv = kv_values(out)
    assert kv["general.name"] == ((int(VT.STRING),), "Edited: yes")
    assert kv["llama.context_length"] == ((int(VT.UINT32),), 128)
    assert kv["x.new"] == ((int(VT.FLOAT32),), 0.5)
    assert not [k for k in kv if k.startswith("safetensors.metadata.")]
    assert "llama.rope.dimension_count" not in kv
    # edited keys keep their place, a new one comes last
    want = [k for k in kv_values(src) if k != "llama.rope.dimension_count"] + ["x.new"]
    assert list(kv) == want
    r = subprocess.run([llama_loader, str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # a value the key's type cannot hold is refused, the file is unchanged
    data = read(st)
    r = run("meta", st, "--set", "llama.context_length=int:-1", check=False)
    assert r.returncode == 2 and "UINT32" in r.stderr
    assert read(st) == data


def test_meta_edit_safetensors(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save_file
    p = tmp_path / "e.safetensors"
    want = {"b": np.ones((2, 3), np.float32), "a": np.arange(4, dtype=np.int64)}
    save_file(want, p, metadata={"format": "pt", "x": "1"})
    run("meta", p, "--no-sync", "--set", "y=str:hello: world", "--delete", "x")
    with safe_open(p, "np") as f:
        assert f.metadata() == {"format": "pt", "y": "hello: world"}
        for k, v in want.items():
            assert np.array_equal(f.get_tensor(k), v)
    data = read(p)
    r = run("meta", p, "--set", "y=int:3", check=False)
    assert r.returncode != 0 and "strings" in r.stderr
    assert read(p) == data

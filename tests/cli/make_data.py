#!/usr/bin/env python3
"""Builds the small model files the golden CLI tests run on (tests/cli/data/).

Deterministic (no random numbers, no timestamps) and written with plain
struct and numpy, so the bytes do not depend on the version of the
safetensors or gguf Python packages. The output is checked in; run this
again only when a case needs new data, then review `git diff --stat`.

    python3 tests/cli/make_data.py [OUT_DIR]

Files:
  tiny.safetensors     4 tensors (F32, F16, BF16) and two __metadata__ entries
  tiny_b.safetensors   like tiny, with one of each difference kind for `diff`
  tiny.gguf            GGUF v3: every scalar value type, string and number
                       arrays, a long string with quotes and a newline,
                       UTF-8; tensors F32, F16 and Q8_0
  bad_header.safetensors  header length larger than the file
  truncated.gguf       tiny.gguf cut one byte inside its last tensor
  not_a_model.txt      plain text
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "data"


# ---- SafeTensors -----------------------------------------------------------

def bf16_bytes(a: np.ndarray) -> bytes:
    """bfloat16 by truncating float32 (the values used are exact in bf16)."""
    bits = a.astype("<f4").view("<u4") >> 16
    return bits.astype("<u2").tobytes()


def safetensors(tensors, metadata) -> bytes:
    """tensors: list of (name, dtype string, shape, raw bytes), in file order."""
    header = {"__metadata__": metadata} if metadata else {}
    data = b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the reference writer pads to 8 with spaces
    return struct.pack("<Q", len(h)) + h + data


def tiny_tensors(variant: str):
    emb = (np.arange(80, dtype=np.float32).reshape(10, 8) - 40) / 8
    norm = np.ones(8, dtype=np.float32) + np.arange(8, dtype=np.float32) / 4
    head = (np.arange(80, dtype=np.float32).reshape(10, 8) - 20) / 16
    down = ((np.arange(128, dtype=np.float32) % 17) - 8).reshape(8, 16) / 4
    t = []
    if variant == "a":
        t.append(("lm_head.weight", "BF16", (10, 8), bf16_bytes(head)))
        t.append(("model.embed_tokens.weight", "F32", (10, 8), emb.astype("<f4").tobytes()))
        t.append(("model.layers.0.mlp.down_proj.weight", "F16", (8, 16),
                  down.astype("<f2").tobytes()))
        t.append(("model.norm.weight", "F32", (8,), norm.astype("<f4").tobytes()))
    else:
        # extra tensor (only in B)
        t.append(("extra.bias", "F32", (4,), np.zeros(4, "<f4").tobytes()))
        # same values, other type (F16 holds these exactly): kind "type"
        t.append(("model.embed_tokens.weight", "F16", (10, 8), emb.astype("<f2").tobytes()))
        # other shape: kind "shape"
        t.append(("model.layers.0.mlp.down_proj.weight", "F16", (16, 8),
                  down.reshape(16, 8).astype("<f2").tobytes()))
        # two values changed: kind "values"
        n2 = norm.copy()
        n2[3] += 0.5
        n2[7] = -n2[7]
        t.append(("model.norm.weight", "F32", (8,), n2.astype("<f4").tobytes()))
        # lm_head.weight missing: kind "only_a"
    return t


# ---- GGUF ------------------------------------------------------------------

GGUF_TYPES = {"u8": (0, "<B"), "i8": (1, "<b"), "u16": (2, "<H"), "i16": (3, "<h"),
              "u32": (4, "<I"), "i32": (5, "<i"), "f32": (6, "<f"), "bool": (7, "<?"),
              "str": (8, None), "arr": (9, None), "u64": (10, "<Q"), "i64": (11, "<q"),
              "f64": (12, "<d")}
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
ALIGN = 32


def gstr(s) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gvalue(kind, v) -> bytes:
    if kind == "str":
        return gstr(v)
    return struct.pack(GGUF_TYPES[kind][1], v)


def gkv(key, kind, v, elem=None) -> bytes:
    out = gstr(key) + struct.pack("<I", GGUF_TYPES[kind][0])
    if kind == "arr":
        out += struct.pack("<IQ", GGUF_TYPES[elem][0], len(v))
        out += b"".join(gvalue(elem, x) for x in v)
    else:
        out += gvalue(kind, v)
    return out


def q8_0(x: np.ndarray) -> bytes:
    """ggml's reference Q8_0 quantizer (quantize_row_q8_0_ref)."""
    out = b""
    for blk in x.astype(np.float32).reshape(-1, 32):
        amax = float(np.max(np.abs(blk)))
        d = amax / 127.0
        idv = 1.0 / d if d else 0.0
        q = np.round(blk * np.float32(idv)).astype(np.int8)
        out += np.float16(d).tobytes() + q.tobytes()
    return out


def gguf() -> bytes:
    tokens = ["<s>", "</s>", "<unk>", "a", "b", "c", "ab", "bc", "abc", "\u2581hi"]
    long_s = ("It's a \"long\" string\nwith a newline and a tab\tthat goes on "
              "and on until it is well past sixty characters")
    kvs = [
        gkv("general.architecture", "str", "llama"),
        gkv("general.name", "str", "tiny test model"),
        gkv("test.u8", "u8", 255),
        gkv("test.i8", "i8", -128),
        gkv("test.u16", "u16", 65535),
        gkv("test.i16", "i16", -32768),
        gkv("test.u32", "u32", 4294967295),
        gkv("test.i32", "i32", -2147483648),
        gkv("test.f32", "f32", 0.1),
        gkv("test.bool", "bool", True),
        gkv("test.u64", "u64", 18446744073709551615),
        gkv("test.i64", "i64", -9223372036854775808),
        gkv("test.f64", "f64", 0.1),
        gkv("test.long_string", "str", long_s),
        gkv("test.utf8", "str", "h\u00e9llo w\u00f6rld \u2713"),
        gkv("test.empty_array", "arr", [], "u32"),
        gkv("tokenizer.ggml.tokens", "arr", tokens, "str"),
        gkv("tokenizer.ggml.scores", "arr", [-float(i) for i in range(10)], "f32"),
        gkv("tokenizer.ggml.token_type", "arr", [3, 3, 2, 1, 1, 1, 1, 1, 1, 1], "i32"),
    ]
    emb = (np.arange(80, dtype=np.float32).reshape(10, 8) - 40) / 8
    norm = np.ones(8, dtype=np.float32)
    down = ((np.arange(256, dtype=np.float32) % 13) - 6).reshape(8, 32) / 4
    out = ((np.arange(320, dtype=np.float32) % 29) - 14).reshape(10, 32) / 7
    # (name, ggml type, numpy shape (row-major), data)
    tensors = [
        ("token_embd.weight", GGML_F32, (10, 8), emb.astype("<f4").tobytes()),
        ("blk.0.attn_norm.weight", GGML_F32, (8,), norm.astype("<f4").tobytes()),
        ("blk.0.ffn_down.weight", GGML_F16, (8, 32), down.astype("<f2").tobytes()),
        ("output.weight", GGML_Q8_0, (10, 32), q8_0(out)),
    ]
    infos, data = b"", b""
    for name, gtype, shape, raw in tensors:
        ne = list(reversed(shape))  # GGUF stores the innermost extent first
        infos += gstr(name) + struct.pack("<I", len(ne))
        infos += b"".join(struct.pack("<Q", d) for d in ne)
        infos += struct.pack("<IQ", gtype, len(data))
        data += raw + b"\0" * (-len(raw) % ALIGN)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + infos
    head += b"\0" * (-len(head) % ALIGN)
    return head + data, len(head) + len(data) - (-len(tensors[-1][3]) % ALIGN)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tiny.safetensors").write_bytes(
        safetensors(tiny_tensors("a"), {"format": "pt", "note": "tiny test model"}))
    (OUT / "tiny_b.safetensors").write_bytes(
        safetensors(tiny_tensors("b"), {"format": "pt"}))
    g, end_of_last = gguf()
    (OUT / "tiny.gguf").write_bytes(g)
    (OUT / "truncated.gguf").write_bytes(g[:end_of_last - 1])
    bad = bytearray(safetensors(tiny_tensors("a")[:1], None))
    bad[:8] = struct.pack("<Q", 1000000)  # claims more header than the file has
    (OUT / "bad_header.safetensors").write_bytes(bytes(bad))
    (OUT / "not_a_model.txt").write_text("This is not a model file.\n")


if __name__ == "__main__":
    main()

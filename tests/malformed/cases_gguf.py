"""cases_gguf.py - malformed (and a few valid edge-case) GGUF inputs.

Covers security.md §6 rows 21-34 and the acceptance gaps of llama.cpp's
parser listed in gguf.md §8.1. Files are built byte by byte with the small
builder below (not with gguf-py, which refuses to write most of them).
Each refused case expects exit 2 (invalid or unsupported input) or 4 (a
documented limit) and a message naming the field, key or tensor.
"""
from __future__ import annotations

import struct

from common import Case, Sparse

# ggml type ids used below
F32, F16, Q4_0, Q8_0, I8 = 0, 1, 2, 8, 24
# GGUF value types
U8, I8V, U16, I16, U32, I32, F32V, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR_FMT = {U8: "B", I8V: "b", U16: "H", I16: "h", U32: "I", I32: "i",
              F32V: "f", BOOL: "?", U64: "Q", I64: "q", F64: "d"}


class G:
    """Byte builder: little- or big-endian, 64-bit (v2/v3) or 32-bit (v1)
    counts."""

    def __init__(self, be: bool = False, v1: bool = False):
        self.b = bytearray()
        self.e = ">" if be else "<"
        self.v1 = v1

    def raw(self, data: bytes) -> "G":
        self.b += data
        return self

    def p(self, fmt: str, *v) -> "G":
        self.b += struct.pack(self.e + fmt, *v)
        return self

    def cnt(self, n: int) -> "G":
        return self.p("I" if self.v1 else "Q", n)

    def s(self, text) -> "G":
        data = text.encode() if isinstance(text, str) else text
        self.cnt(len(data))
        return self.raw(data)

    def header(self, nt: int, nkv: int, version: int = 3, magic: bytes = b"GGUF") -> "G":
        self.raw(magic)
        self.p("I", version)
        return self.cnt(nt).cnt(nkv)

    def kv(self, key, vtype: int, value=None) -> "G":
        self.s(key).p("I", vtype)
        if vtype == STR:
            return self.s(value)
        return self.p(SCALAR_FMT[vtype], value)

    def kv_arr(self, key, etype: int, values) -> "G":
        self.s(key).p("I", ARR).p("I", etype).cnt(len(values))
        for v in values:
            if etype == STR:
                self.s(v)
            else:
                self.p(SCALAR_FMT[etype], v)
        return self

    def tensor(self, name, ne, ttype: int, offset: int) -> "G":
        self.s(name).p("I", len(ne))
        for d in ne:
            self.cnt(d)
        return self.p("I", ttype).p("Q", offset)

    def pad(self, align: int = 32) -> "G":
        while len(self.b) % align:
            self.b.append(0)
        return self

    def bytes(self) -> bytes:
        return bytes(self.b)


def model(tensors=(("w", (4,), F32, 16),), kvs=None, be=False, v1=False,
          version=None, align=32, trailing_pad=True) -> bytes:
    """A valid file: tensors are (name, ne, type, nbytes) laid out by the
    packing rule; kvs is a callable adding KVs to the builder (count given
    as a tuple (n, fn))."""
    g = G(be=be, v1=v1)
    nkv, fn = kvs if kvs else (0, None)
    g.header(len(tensors), nkv, version=version or (1 if v1 else 3))
    if fn:
        fn(g)
    off = 0
    for name, ne, t, nb in tensors:
        g.tensor(name, ne, t, off)
        off += (nb + align - 1) // align * align
    g.pad(align)
    for i, (name, ne, t, nb) in enumerate(tensors):
        g.raw(bytes((i * 7 + k) % 256 for k in range(nb)) if t != F32
              else struct.pack((">" if be else "<") + "f" * (nb // 4),
                               *[float(k) for k in range(nb // 4)]))
        if trailing_pad or i + 1 < len(tensors):
            g.pad(align)
    return g.bytes()


def header_only(nt: int, nkv: int, body=lambda g: None, **kw) -> bytes:
    g = G()
    g.header(nt, nkv, **kw)
    body(g)
    return g.bytes()


def split_part(no: int, count: int, tensors, total: int, extra=None) -> bytes:
    def kvs(g):
        g.kv("split.no", U16, no).kv("split.count", U16, count)
        g.kv("split.tensors.count", I32, total)
        if extra:
            extra(g)
    return model(tensors, kvs=(3 + (1 if extra else 0), kvs))


M = "m.gguf"
W16 = (("w", (4,), F32, 16),)

CASES = [
    # ---- header (row 21, 22) ----------------------------------------------
    Case("gguf_empty_file", {M: b""}, 2, r"empty file|too small"),
    Case("gguf_magic_only", {M: b"GGUF"}, 2, r"too small|truncated"),
    Case("gguf_bad_magic", {M: b"GGUX" + model()[4:]}, 2, r'bad magic "GGUX"'),
    Case("gguf_version_0", {M: header_only(0, 0, version=0)}, 2, r"bad version 0"),
    Case("gguf_version_4", {M: header_only(0, 0, version=4)}, 2,
         r"version 4 not supported"),
    Case("gguf_truncated_header",
         {M: model(kvs=(1, lambda g: g.kv("general.name", STR, "hello world")))[:60]},
         2, r'key 0 "general.name": string value length 11 exceeds the remaining file size'),
    Case("gguf_truncated_in_tensor_record",
         {M: model(kvs=(1, lambda g: g.kv("general.name", U32, 1)))[:70]},
         2, r'tensor "w": truncated file: dimension needs 8 bytes at offset 65'),
    Case("gguf_n_tensors_huge", {M: header_only(2**63 - 1, 0)}, 2,
         r"n_tensors 9223372036854775807 exceeds what the remaining"),
    Case("gguf_n_kv_negative", {M: header_only(0, 2**64 - 1)}, 2,
         r"negative count .*n_kv -1"),
    Case("gguf_n_kv_huge", {M: header_only(0, 2**40)}, 2,
         r"n_kv 1099511627776 exceeds"),
    Case("gguf_n_tensors_over_limit",
         {M: Sparse(4_000_001 * 25 + 64, header_only(4_000_001, 0))}, 4,
         r"n_tensors 4000001 exceeds the limit"),
    Case("gguf_n_kv_over_limit",
         {M: Sparse(1_000_001 * 14 + 64, header_only(0, 1_000_001))}, 4,
         r"n_kv 1000001 exceeds the limit \(1000000\)"),
    # ---- KVs (rows 23, 24, 33) ----------------------------------------------
    Case("gguf_kv_string_len_2p40",
         {M: header_only(0, 1, lambda g: g.s("general.name").p("I", STR).p("Q", 2**40))},
         2, r'key 0 "general.name": string value length 1099511627776 exceeds the remaining'),
    Case("gguf_key_len_2p40",
         {M: header_only(0, 1, lambda g: g.p("Q", 2**40).raw(bytes(32)))},
         2, r"key 0: key length 1099511627776 exceeds"),
    Case("gguf_string_array_count_2p40",
         {M: header_only(0, 1, lambda g: g.s("tokenizer.ggml.tokens").p("I", ARR)
                         .p("I", STR).p("Q", 2**40))},
         2, r'key 0 "tokenizer.ggml.tokens": string array count 1099511627776'),
    Case("gguf_u8_array_over_remaining",
         {M: header_only(0, 1, lambda g: g.s("blob").p("I", ARR).p("I", U8)
                         .p("Q", 1000).raw(b"0123456789"))},
         2, r'key 0 "blob": array of 1000 UINT8 needs'),
    Case("gguf_string_over_1gib",
         {M: Sparse((1 << 30) + 4096,
                    header_only(0, 1, lambda g: g.s("big").p("I", STR).p("Q", (1 << 30) + 1)))},
         4, r'key 0 "big": string value length 1073741825 exceeds the limit'),
    Case("gguf_value_type_13",
         {M: header_only(0, 1, lambda g: g.s("k").p("I", 13).p("I", 0))},
         2, r'key 0 "k": invalid value type 13'),
    Case("gguf_array_elem_type_99",
         {M: header_only(0, 1, lambda g: g.s("k").p("I", ARR).p("I", 99).p("Q", 0))},
         2, r'key 0 "k": invalid array element type 99'),
    Case("gguf_nested_array",
         {M: header_only(0, 1, lambda g: g.s("nest").p("I", ARR).p("I", ARR).p("Q", 1)
                         .p("I", U8).p("Q", 0))},
         2, r'key 0 "nest": nested arrays'),
    Case("gguf_duplicate_key",
         {M: model(kvs=(2, lambda g: g.kv("general.name", STR, "a").kv("general.name", STR, "b")))},
         2, r'key 1 "general.name": duplicate key'),
    Case("gguf_empty_key",
         {M: model(kvs=(1, lambda g: g.kv("", U32, 1)))}, 2, r"key 0: empty key"),
    Case("gguf_key_with_nul",
         {M: model(kvs=(1, lambda g: g.kv(b"a\0b", U32, 1)))}, 2,
         r"key contains a NUL byte"),
    # ---- alignment (row 25) ------------------------------------------------
    Case("gguf_alignment_0",
         {M: model(kvs=(1, lambda g: g.kv("general.alignment", U32, 0)))}, 2,
         r'"general.alignment": alignment 0 is not a non-zero power of two'),
    Case("gguf_alignment_3",
         {M: model(kvs=(1, lambda g: g.kv("general.alignment", U32, 3)))}, 2,
         r'"general.alignment": alignment 3 is not'),
    Case("gguf_alignment_int32",
         {M: model(kvs=(1, lambda g: g.kv("general.alignment", I32, 32)))}, 2,
         r'"general.alignment": wrong type \(INT32 vs expected UINT32\)'),
    Case("gguf_alignment_2p31",
         {M: header_only(1, 1, lambda g: g.kv("general.alignment", U32, 2**31)
                         .tensor("w", (4,), F32, 0)) + bytes(64)},
         2, r'"general.alignment": alignment 2147483648 exceeds the limit \(1048576\)'),
    # no tensors: nothing bounded the alignment by the file size, and a writer
    # padded the header to 2 GiB in memory (found by fuzz_gguf)
    Case("gguf_alignment_2p31_no_tensors",
         {M: header_only(0, 1, lambda g: g.kv("general.alignment", U32, 2**31))},
         2, r'"general.alignment": alignment 2147483648 exceeds the limit \(1048576\)'),
    # ---- tensor records (rows 26-30, 33) -----------------------------------
    Case("gguf_n_dims_5",
         {M: header_only(1, 0, lambda g: g.tensor("w", (1, 1, 1, 1, 4), F32, 0)) + bytes(64)},
         2, r'tensor "w": n_dims 5 \(GGUF allows at most 4\)'),
    Case("gguf_n_dims_ffffffff",
         {M: header_only(1, 0, lambda g: g.s("w").p("I", 0xFFFFFFFF)) + bytes(64)},
         2, r'tensor "w": n_dims 4294967295'),
    Case("gguf_ne_negative",
         {M: header_only(1, 0, lambda g: g.tensor("w", (2**64 - 4,), F32, 0)) + bytes(64)},
         2, r'tensor "w": dimension 0 is negative \(-4\)'),
    Case("gguf_ne_product_overflow",
         {M: header_only(1, 0, lambda g: g.tensor("w", (2**32, 2**32), F32, 0)) + bytes(64)},
         2, r'tensor "w": element count .* overflows int64'),
    Case("gguf_byte_size_overflow",
         {M: header_only(1, 0, lambda g: g.tensor("w", (2**62,), F32, 0)) + bytes(64)},
         2, r'tensor "w": byte size .* overflows 64 bits'),
    Case("gguf_type_9999",
         {M: header_only(1, 0, lambda g: g.tensor("w", (4,), 9999, 0)) + bytes(64)},
         2, r'tensor "w": invalid ggml type 9999'),
    Case("gguf_type_minus_1",
         {M: header_only(1, 0, lambda g: g.tensor("w", (4,), 0xFFFFFFFF, 0)) + bytes(64)},
         2, r'tensor "w": invalid ggml type 4294967295'),
    Case("gguf_type_removed_q4_2",
         {M: header_only(1, 0, lambda g: g.tensor("w", (32,), 4, 0)) + bytes(64)},
         2, r'tensor "w": ggml type 4 \(Q4_2\) was removed'),
    Case("gguf_type_removed_q4_0_4_8",
         {M: header_only(1, 0, lambda g: g.tensor("w", (32,), 32, 0)) + bytes(64)},
         2, r'tensor "w": ggml type 32 \(Q4_0_4_8\) was removed'),
    Case("gguf_q4_0_row_not_multiple",
         {M: header_only(1, 0, lambda g: g.tensor("q", (33,), Q4_0, 0)) + bytes(64)},
         2, r'tensor "q": row length ne0=33 is not a multiple of the Q4_0 block size 32'),
    # gguf.md §8.1: llama.cpp accepts both of these
    Case("gguf_f32_padding_wrap",
         {M: header_only(2, 0, lambda g: g.tensor("a", (2**62 - 1,), F32, 0)
                         .tensor("b", (8,), F32, 0)).ljust(96, b"\0") + bytes(32)},
         2, r'tensor "a": size 18446744073709551612 bytes overflows when padded'),
    Case("gguf_q4_0_nbytes_wrap",
         {M: header_only(1, 0, lambda g: g.tensor("q", (1024819115206086208,), Q4_0, 0))
          .ljust(64, b"\0") + bytes(32)},
         2, r'tensor "q": data at offset .* ends past the end of the file'),
    Case("gguf_name_64_bytes",
         {M: model((("n" * 64, (4,), F32, 16),))}, 2,
         r"name \"n+\" is 64 bytes long \(limit 63\)"),
    Case("gguf_empty_tensor_name", {M: model((("", (4,), F32, 16),))}, 2,
         r"empty tensor name"),
    Case("gguf_duplicate_tensor",
         {M: model((("w", (4,), F32, 16), ("w", (4,), F32, 16)))}, 2,
         r'duplicate tensor name "w"'),
    # ---- offsets and data (rows 31, 32) ----------------------------------------
    Case("gguf_offset_unaligned",
         {M: header_only(1, 0, lambda g: g.tensor("w", (4,), F32, 4)).ljust(64, b"\0") + bytes(32)},
         2, r'tensor "w": offset 4 is not a multiple of the alignment 32 \(4 vs expected 0\)'),
    Case("gguf_offset_out_of_order",
         {M: header_only(2, 0, lambda g: g.tensor("a", (4,), F32, 32).tensor("b", (4,), F32, 0))
          .ljust(96, b"\0") + bytes(64)},
         2, r'tensor "a": offset 32 is not packed after the previous tensor \(32 vs expected 0\)'),
    Case("gguf_offset_overlap",
         {M: header_only(2, 0, lambda g: g.tensor("a", (16,), F32, 0).tensor("b", (4,), F32, 32))
          .ljust(96, b"\0") + bytes(96)},
         2, r'tensor "b": offset 32 overlaps the previous tensor\'s data \(32 vs expected 64\)'),
    Case("gguf_offset_beyond_data",
         {M: header_only(2, 0, lambda g: g.tensor("a", (4,), F32, 0).tensor("b", (4,), F32, 2**40))
          .ljust(96, b"\0") + bytes(64)},
         2, r'tensor "b": offset 1099511627776 is not packed'),
    Case("gguf_data_short_4_bytes", {M: model((("w", (8,), F32, 32),))[:-4]}, 2,
         r'tensor "w": data at offset \d+ \+ 32 bytes ends past the end of the file'),
    Case("gguf_trailing_junk", {M: model() + b"PK\x03\x04junk"}, 2,
         r"8 trailing bytes after the data section"),
    # ---- metadata llama.cpp trusts (row 34) --------------------------------------
    Case("gguf_scores_int8",
         {M: model(kvs=(2, lambda g: g.kv_arr("tokenizer.ggml.tokens", STR, ["a", "b"])
                        .kv_arr("tokenizer.ggml.scores", I8V, [1, 2])))},
         2, r'"tokenizer.ggml.scores": wrong type \(ARRAY of INT8 vs expected ARRAY of FLOAT32\)'),
    Case("gguf_token_type_count",
         {M: model(kvs=(2, lambda g: g.kv_arr("tokenizer.ggml.tokens", STR, ["a", "b"])
                        .kv_arr("tokenizer.ggml.token_type", I32, [1])))},
         2, r'"tokenizer.ggml.token_type": 1 entries vs 2 tokens'),
    # ---- byte order ----------------------------------------------------------------
    Case("gguf_big_endian_q5_k",
         {M: model((("q", (256,), 13, 176),), be=True)}, 2,
         r'tensor "q": Q5_K data in a big-endian GGUF file is not supported'),
    # Q4_0 has a byte-swap rule (its f16 scale): accepted
    Case("gguf_big_endian_q4_0",
         {M: model((("q", (32,), Q4_0, 18),), be=True)}, 0, r""),
    # ---- split sets ----------------------------------------------------------------
    Case("gguf_split_part_missing",
         {"m-00001-of-00002.gguf": split_part(0, 2, W16, 2)}, 2,
         r"split part 2 of 2 is missing \(.*m-00002-of-00002.gguf not found\)"),
    Case("gguf_split_no_mismatch",
         {"m-00001-of-00002.gguf": split_part(0, 2, W16, 2),
          "m-00002-of-00002.gguf": split_part(0, 2, (("v", (4,), F32, 16),), 2)},
         2, r'm-00002-of-00002.gguf: gguf: key "split.no": 0 but the file name says part 2 of 2'),
    Case("gguf_split_duplicate_tensor",
         {"m-00001-of-00002.gguf": split_part(0, 2, W16, 2),
          "m-00002-of-00002.gguf": split_part(1, 2, W16, 2)},
         2, r'm-00002-of-00002.gguf: gguf: duplicate tensor name "w"'),
    Case("gguf_split_count_wrong_type",
         {"m-00001-of-00002.gguf": model(kvs=(2, lambda g: g.kv("split.no", U16, 0)
                                              .kv("split.count", U32, 2)))},
         2, r'"split.count": wrong type \(UINT32 vs expected UINT16\)'),
    Case("gguf_split_tensor_total",
         {"m-00001-of-00002.gguf": split_part(0, 2, W16, 5),
          "m-00002-of-00002.gguf": split_part(1, 2, (("v", (4,), F32, 16),), 5)},
         2, r'"split.tensors.count": INT32 5 but the 2 parts hold 2 tensors'),
    # ---- accepted edge cases -----------------------------------------------------------
    Case("gguf_ok_zero_dim", {M: model((("z", (4, 0), F32, 0), ("w", (4,), F32, 16)))}, 0, ""),
    Case("gguf_ok_big_endian_f32",
         {M: model((("w", (4, 2), F32, 32), ("i", (8,), I8, 8)),
                   kvs=(1, lambda g: g.kv("general.name", STR, "be")), be=True)}, 0, ""),
    Case("gguf_ok_v1", {M: model(kvs=(1, lambda g: g.kv("general.name", STR, "v1")), v1=True)},
         0, ""),
    Case("gguf_ok_no_trailing_padding", {M: model((("w", (3,), F32, 12),), trailing_pad=False)},
         0, ""),
    Case("gguf_ok_alignment_1",
         {M: model((("a", (3,), F32, 12), ("b", (1,), F32, 4)), align=1,
                   kvs=(1, lambda g: g.kv("general.alignment", U32, 1)))}, 0, ""),
    Case("gguf_ok_split",
         {"m-00001-of-00002.gguf": split_part(0, 2, W16, 2),
          "m-00002-of-00002.gguf": split_part(1, 2, (("v", (4,), F32, 16),), 2)},
         0, ""),
    # ---- names from the file in messages (issue 7, point 9) ---------------
    # GGUF names are bytes; SafeTensors needs UTF-8. The refusal quotes the
    # name with the invalid byte, the escape sequence and the C1 control
    # shown, never sent to the terminal (the runner checks stderr for every
    # case).
    Case("gguf_name_not_utf8_to_safetensors",
         {M: model(((b"w\xff\x1b[31m\xc2\x9b", (4,), F32, 16),))}, 2,
         r'tensor "w\\xff\\x1b\[31m\\u009b": name is not valid UTF-8',
         commands=("convert",), output="out.safetensors"),
]

"""cases_safetensors.py - malformed (and must-accept) SafeTensors inputs.

Rows refer to the malformed-input matrix of security.md §6 (rows 1, 2, 8-20
and the HF-directory rows). Exit statuses: 2 invalid or unsupported input,
4 resource limit, 0 accepted. Messages follow
"<path>: safetensors: <locus>: <problem> (<observed> vs <expected>)".
"""
from __future__ import annotations

import struct

from common import Case, Sparse, Symlink, index_json, st_file, st_json, st_raw

F = "model.safetensors"


def T(dtype, shape, offs):
    return (dtype, shape, offs)


def one(json_text: str, data_len: int) -> dict:
    return {F: st_raw(json_text, bytes(data_len))}


GOOD = st_file({"a": ("F32", [2, 2]), "b": ("F16", [3])})


def many(n: int) -> bytes:
    """n one-byte tensors (row 19, scaled down to stay fast under ASan)."""
    parts = ['"t%06d":{"dtype":"U8","shape":[1],"data_offsets":[%d,%d]}' % (i, i, i + 1)
             for i in range(n)]
    return st_raw("{" + ",".join(parts) + "}", bytes(n))


CASES = [
    # ---- row 1: sizes -----------------------------------------------------------
    Case("empty_file", {F: b""}, 2, r"empty file|too small"),
    Case("five_bytes", {F: b"\x01\x00\x00\x00\x00"}, 2, r"too small \(5 bytes"),
    Case("no_model_in_folder", {"model/.keep": b"", "model/readme.txt": b"x"}, 2,
         r"no model\.safetensors", input="model"),
    # ---- row 8: header length beyond the file ------------------------------------
    Case("header_len_2pow63", {F: st_raw("{}", n=1 << 63)}, 2,
         r"header length 9223372036854775808 exceeds the file size"),
    Case("header_len_one_past_eof", {F: st_raw("{}", n=3)}, 2,
         r"header length 3 exceeds the file size \(10 bytes: at most 2"),
    Case("header_len_zero", {F: st_raw(b"", b"{}      ", n=0)}, 2,
         r"header length is 0"),
    # ---- row 9: header over 100,000,000 bytes (sparse file, 100 MB) -------------
    Case("header_too_large",
         {F: Sparse(8 + 100_000_001, struct.pack("<Q", 100_000_001) + b"{")}, 4,
         r"header too large \(100000001 bytes vs limit 100000000\)"),
    # ---- row 10: encoding and JSON shape ----------------------------------------
    Case("header_not_utf8", {F: st_raw(b'{"a\xff":1}')}, 2,
         r"not valid UTF-8 \(byte 0xff at header offset 3\)"),
    Case("lone_surrogate", {F: st_raw('{"__metadata__":{"k":"\\ud800"}}')}, 2,
         r"not valid JSON: invalid Unicode"),
    Case("json_array_root", {F: st_raw("[]")}, 2, r"header is an array, expected a JSON object"),
    Case("json_number_root", {F: st_raw("1       ")}, 2, r"not valid JSON"),
    Case("utf8_bom", {F: st_raw(b"\xef\xbb\xbf{}")}, 2, r"not valid JSON"),
    Case("nul_padding", {F: st_raw(b"{}\0\0\0\0\0\0")}, 2, r"not valid JSON"),
    Case("nested_100k", {F: st_raw('{"a":' + "[" * 100_000 + "]" * 100_000 + "}")}, 4,
         r"nested deeper than 128 levels"),
    # ---- row 11: duplicates -----------------------------------------------------
    Case("duplicate_tensor",
         {F: st_raw('{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},'
                    '"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4))},
         2, r'duplicate tensor name "w"'),
    Case("metadata_twice", {F: st_raw('{"__metadata__":{},"__metadata__":{"a":"b"}}')}, 2,
         r'"__metadata__" appears twice'),
    # ---- row 12: offsets --------------------------------------------------------
    Case("overlap", one(st_json({"a": T("F32", [4], [0, 16]), "b": T("F32", [4], [8, 24])}), 24),
         2, r'tensor "b": data_offsets \[8,24\] overlap tensor "a" \[0,16\]'),
    Case("hole", one(st_json({"a": T("F32", [4], [0, 16]), "b": T("F32", [1], [20, 24])}), 24),
         2, r'tensor "b": data_offsets \[20,24\] leave a hole of 4 bytes after tensor "a"'),
    Case("first_not_at_zero", one(st_json({"a": T("F32", [1], [4, 8])}), 8), 2,
         r'tensor "a": data_offsets \[4,8\]: the first tensor must begin at 0'),
    Case("ten_share_offsets",
         one(st_json({f"t{i}": T("F32", [4], [0, 16]) for i in range(10)}), 16), 2,
         r'overlap tensor "t\d" \[0,16\]'),
    # ---- row 13: trailing bytes (a polyglot) ------------------------------------
    Case("trailing_zip", {F: GOOD + b"PK\x03\x04" + bytes(26)}, 2,
         r"30 trailing bytes after the data section"),
    # ---- row 2: truncated inside the last tensor -------------------------------
    Case("truncated_last_tensor", {F: GOOD[:-1]}, 2,
         r'tensor "b": data ends at file offset \d+ but the file has \d+ bytes'),
    # ---- row 14: data_offsets fields --------------------------------------------
    Case("end_before_begin", one(st_json({"a": T("F32", [1], [8, 4])}), 8), 2,
         r'tensor "a": data_offsets \[8,4\] end before they begin'),
    Case("offset_negative", one(st_json({"a": T("F32", [1], [-4, 0])}), 4), 2,
         r'tensor "a": data_offsets\[0\] is -4'),
    Case("offset_float", one('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', 4), 2,
         r'tensor "a": data_offsets\[1\] is 4\.0'),
    Case("offset_string", one('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}', 4), 2,
         r'tensor "a": data_offsets\[1\] is "4"'),
    Case("offsets_three", one(st_json({"a": T("F32", [1], [0, 4, 8])}), 8), 2,
         r'tensor "a": data_offsets has 3 entries \(vs 2'),
    Case("offset_too_big", one('{"a":{"dtype":"U8","shape":[0,18446744073709551615],'
                               '"data_offsets":[0,0]}}', 0), 2, r"integer too large"),
    # ---- row 15: shape product overflow -----------------------------------------
    Case("shape_overflow_bits", one(st_json({"a": T("F32", [2, 9223372036854775807], [0, 16])}), 16),
         2, r'tensor "a": shape \[2, 9223372036854775807\] x F32: size overflows 64 bits'),
    Case("shape_overflow_wraps_to_4",
         one(st_json({"a": T("U8", [4194305, 4194305, 211106198978564], [0, 16])}), 16),
         2, r'tensor "a": shape \[4194305, 4194305, 211106198978564\]: element count overflows'),
    # ---- row 16: bytes present vs needed ------------------------------------------
    Case("size_mismatch", one(st_json({"lm_head.weight": T("F32", [1000000], [0, 4])}), 4), 2,
         r'model\.safetensors: safetensors: tensor "lm_head\.weight": data_offsets \[0,4\] '
         r'hold 4 bytes but shape \[1000000\] x F32 needs 4000000'),
    # ---- row 17: dtypes -----------------------------------------------------------
    Case("dtype_F128", one(st_json({"a": T("F128", [1], [0, 16])}), 16), 2,
         r'tensor "a": unknown dtype "F128"'),
    Case("dtype_lowercase", one(st_json({"a": T("f32", [1], [0, 4])}), 4), 2,
         r'unknown dtype "f32"'),
    Case("f4_odd_count", one(st_json({"a": T("F4", [3], [0, 2])}), 2), 2,
         r'tensor "a": shape \[3\] x F4: 3 elements of 4 bits do not fill whole bytes'),
    Case("f6_not_multiple_of_4", one(st_json({"a": T("F6_E2M3", [2], [0, 2])}), 2), 2,
         r"2 elements of 6 bits do not fill whole bytes"),
    # ---- row 18: metadata and names --------------------------------------------------
    Case("metadata_not_string", {F: st_raw('{"__metadata__":{"a":1}}')}, 2,
         r'"__metadata__": value of "a" is an integer, expected a string'),
    Case("metadata_not_object", {F: st_raw('{"__metadata__":"x"}')}, 2,
         r'"__metadata__" is a string, expected an object'),
    Case("tensor_named___metadata__",
         one(st_json({"__metadata__": T("F32", [1], [0, 4])}), 4), 2,
         r"a tensor cannot be named \"__metadata__\""),
    Case("name_with_nul", one('{"a\\u0000b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1),
         2, r"NUL byte"),
    # ---- schema ---------------------------------------------------------------------------
    Case("missing_shape", one('{"a":{"dtype":"F32","data_offsets":[0,4]}}', 4), 2,
         r'tensor "a": missing field "shape"'),
    Case("negative_dim", one(st_json({"a": T("F32", [-1], [0, 4])}), 4), 2,
         r'tensor "a": shape\[0\] is -1'),
    Case("entry_not_object", {F: st_raw('{"a":[0,4]}')}, 2, r'tensor "a": entry is an array'),
    Case("seventeen_dims", one(st_json({"a": T("U8", [1] * 17, [0, 1])}), 1), 2,
         r'tensor "a": 17 dimensions \(vs limit 16\)'),
    # ---- row 20: must accept ----------------------------------------------------------
    Case("accept_leading_whitespace",
         {F: st_raw(" \t\r\n" + st_json({"a": T("F32", [2], [0, 8])}) + "   ", bytes(8))},
         0, r""),
    Case("accept_trailing_padding",
         {F: st_raw(st_json({"a": T("U8", [3], [0, 3])}) + " \n\t\r" + " " * 20, b"abc")},
         0, r""),
    Case("accept_zero_size_shared_offset",
         one(st_json({"z": T("F32", [2, 0], [4, 4]), "a": T("F32", [1], [0, 4]),
                      "b": T("F32", [1], [4, 8])}), 8), 0, r""),
    Case("accept_metadata_null_rank0_unknown_field",
         one('{"__metadata__":null,"s":{"dtype":"F64","shape":[],"data_offsets":[0,8],'
             '"extra":{"x":[1,2]}}}', 8), 0, r""),
    Case("accept_empty_header", {F: st_raw("{}      ")}, 0, r""),
    Case("accept_50k_tensors", {F: many(50_000)}, 0, r""),
]

# ---- HF folders (security.md §6, "HF directory" rows) --------------------------

S1 = "model-00001-of-00002.safetensors"
S2 = "model-00002-of-00002.safetensors"
SHARD1 = st_file({"a": ("F32", [2])}, {"format": "pt"})
SHARD2 = st_file({"b": ("U8", [3])}, {"format": "pt"})


def hf(weight_map: dict, shard1: bytes = SHARD1, shard2: bytes = SHARD2, extra=None) -> dict:
    files = {"model/model.safetensors.index.json": index_json(weight_map),
             "model/" + S1: shard1, "model/" + S2: shard2}
    files.update(extra or {})
    return files


CASES += [
    Case("hf_weight_map_dotdot", hf({"a": "../x.safetensors", "b": S2},
                                    extra={"x.safetensors": SHARD1}), 2,
         r'weight_map: tensor "a": shard name "\.\./x\.safetensors" contains \'/\'',
         input="model"),
    Case("hf_weight_map_absolute", hf({"a": "/etc/passwd", "b": S2}), 2,
         r"shard name \"/etc/passwd\" contains '/'", input="model"),
    Case("hf_tensor_in_two_shards", hf({"a": S1, "b": S2},
                                       shard2=st_file({"a": ("F32", [2]), "b": ("U8", [3])})),
         2, r'tensor "a" is also in .*model-00001-of-00002\.safetensors', input="model"),
    Case("hf_tensor_listed_twice",
         {"model/model.safetensors.index.json":
          ('{"weight_map":{"a":"%s","a":"%s","b":"%s"}}' % (S1, S2, S2)).encode(),
          "model/" + S1: SHARD1, "model/" + S2: SHARD2}, 2,
         r"index: not valid JSON: duplicate object key", input="model"),
    Case("hf_tensor_missing_from_shard", hf({"a": S1, "b": S2, "c": S2}), 2,
         r'tensor "c" listed in weight_map is missing from its shard '
         r'model-00002-of-00002\.safetensors', input="model"),
    Case("hf_missing_shard", hf({"a": S1, "b": "model-00003-of-00003.safetensors"}), 2,
         r'names shard "model-00003-of-00003\.safetensors", which does not exist',
         input="model"),
    Case("hf_unlisted_tensor", hf({"a": S1, "x": S2}), 2,
         r'tensor "b" in shard model-00002-of-00002\.safetensors is not listed in the index',
         input="model"),
    Case("hf_symlink_outside",
         {"model/model.safetensors.index.json": index_json({"a": S1, "b": S2}),
          "model/" + S1: SHARD1, "model/" + S2: Symlink("../secret.safetensors"),
          "secret.safetensors": SHARD2}, 2,
         r"symbolic link leading outside the folder", input="model"),
    # HF folder output copies additional_chat_templates/: a link to elsewhere
    # must not be followed (inspect does not read that folder)
    Case("hf_chat_templates_symlink",
         {"model/model.safetensors": SHARD1,
          "model/additional_chat_templates": Symlink("../elsewhere"),
          "elsewhere/x.jinja": b"{{ secret }}"}, 2,
         r"additional_chat_templates: not a folder \(a symbolic link\); refused",
         input="model", commands=("convert",), output="folder/"),
    Case("hf_index_not_json", {"model/model.safetensors.index.json": b"{\"weight_map\":",
                               "model/" + S1: SHARD1}, 2,
         r"index: not valid JSON", input="model"),
    Case("hf_bad_shard", hf({"a": S1, "b": S2}, shard2=SHARD2[:-1]), 2,
         r'model-00002-of-00002\.safetensors: safetensors: tensor "b": data ends at',
         input="model"),
    Case("hf_several_files_no_index",
         {"model/a.safetensors": SHARD1, "model/b.safetensors": SHARD2}, 2,
         r"2 \.safetensors files", input="model"),
    # 100,000 distinct shard names: collecting them was quadratic (minutes)
    # before the first missing shard was reported (found reviewing fuzz_hf_index)
    Case("hf_many_distinct_shards",
         {"model/model.safetensors.index.json":
          index_json({"t%d" % i: "s%06d.safetensors" % i for i in range(100_000)})},
         2, r'names shard "s000000\.safetensors", which does not exist', input="model"),
    Case("accept_hf_sharded", hf({"a": S1, "b": S2}, extra={"model/config.json": b"{}\n"}),
         0, r"", input="model"),
]

# ---- HF folders: the JSON documents (config.json, tokenizer files, ...) ----------
# parsed when the folder is opened; a malformed or oversized one fails the open

def hf_doc(name: str, content) -> dict:
    return {"model/model.safetensors": SHARD1, "model/" + name: content}


CASES += [
    Case("hf_config_broken", hf_doc("config.json", b'{"model_type": "llama",\n "x": }\n'), 2,
         r"model/config\.json: json: line 2 column 7: unexpected token near '}'",
         input="model"),
    Case("hf_config_too_deep",
         hf_doc("config.json", b'{"a": ' + b"[" * 64 + b"]" * 64 + b"}"), 4,
         r"config\.json: json: nested deeper than 64 levels \(line 1 column 70\)",
         input="model"),
    Case("hf_config_not_object", hf_doc("config.json", b"[1, 2]\n"), 2,
         r"config\.json: json: the document is an array, expected an object", input="model"),
    Case("hf_config_not_utf8", hf_doc("config.json", b'{"a": "\xff"}'), 2,
         r"config\.json: json: line 1 column 7: unable to decode byte 0xff", input="model"),
    Case("hf_generation_config_broken", hf_doc("generation_config.json", b'{"top_k": 5,}'), 2,
         r"generation_config\.json: json: line 1 column 13: string or '}' expected",
         input="model"),
    # tokenizer.json reaches ~35 MB in real models; 512 MiB for all of them
    Case("hf_tokenizer_too_large",
         hf_doc("tokenizer.json", Sparse(512 * 1024 * 1024 + 1, b'{"model": {')), 4,
         r"tokenizer\.json: json: too large \(536870913 bytes vs limit 536870912 bytes = "
         r"512 MiB for all of a model's documents\)", input="model"),
    Case("hf_documents_too_large_together",
         {**hf_doc("tokenizer.json", Sparse(512 * 1024 * 1024 - 10, b"{")),
          "model/config.json": b'{"model_type": "llama"}'}, 4,
         r"tokenizer\.json: json: too large \(536870902 bytes, 536870925 with the model's "
         r"other documents", input="model"),
    Case("hf_config_symlink_outside",
         {**hf_doc("config.json", Symlink("../elsewhere.json")), "elsewhere.json": b"{}"}, 2,
         r"config\.json: model document is a symbolic link leading outside the folder",
         input="model"),
    # what Python's json reads, and transformers with it: 10^30 as an integer
    # (tokenizer_config.json's model_max_length), NaN and Infinity, a repeated
    # key (the last wins), an escaped NUL
    Case("accept_hf_python_json",
         {**hf_doc("tokenizer_config.json",
                   b'{"model_max_length": 1000000000000000019884624838656, "x": -12345678901234567890}'),
          "model/config.json": b'{"a": NaN, "b": [Infinity, -Infinity, 1e999], "a": "\\u0000"}',
          "model/generation_config.json": b'  {}  \n'},
         0, r"", input="model"),
]

"""gguf_models.py - small random llama-architecture GGUF models for tests.

build_llama_gguf() writes a model with gguf-py (GGUFWriter) that llama.cpp's
loader, and so llama-quantize, accepts: every hyper-parameter key the llama
architecture reads (with the exact GGUF value types the loader insists on,
see gguf.md §11), a tiny SentencePiece-style tokenizer, and the usual tensor
set token_embd, output_norm, output, blk.N.{attn_norm, attn_q, attn_k,
attn_v, attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down} (plus MoE expert
stacks and the router when n_expert > 0).

Values are Gaussian with a per-tensor scale and a few outliers, never NaN or
Inf (llama-quantize refuses those). Tensors are written in the order a
converter writes them (token_embd, layers, output), which is not the order
llama-quantize writes, so tests see the reordering.

Presets (MODELS) cover what the quantize tests need:
  base     4 layers, n_embd 256, n_ff 256, 8 heads / 2 KV heads (n_gqa 4)
  odd      row lengths 288 (not a multiple of 256: Q4_K -> Q5_0, ...) and
           176 (not even a multiple of 32: F16) that force the shape
           fallbacks, and no
           output.weight (tied embeddings: token_embd gets the output rules)
  moe      2 layers with 8 experts (expert_count 8: the 8-expert rules,
           3-D expert stacks for MXFP4_MOE, layer numbers read from names)
  two      the 2-layer model of ggml-types.md §12.3's worked example

Run as a script to write one: python gguf_models.py base f32 out.gguf
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover - callers skip
    gguf = None


@dataclass(frozen=True)
class LlamaSpec:
    n_layer: int = 4
    n_embd: int = 256
    n_ff: int = 256
    n_head: int = 8
    n_head_kv: int = 2
    n_vocab: int = 256
    n_expert: int = 0          # 0: dense model
    n_expert_used: int = 2
    n_ff_exp: int = 256
    tied: bool = False         # no output.weight
    arch: str = "llama"
    name: str = "tiny-random-llama"
    extra: tuple = ()          # ((name, numpy shape), ...) more matrices


MODELS = {
    "base": LlamaSpec(),
    "odd": LlamaSpec(n_layer=2, n_embd=288, n_ff=176, n_head=9, n_head_kv=3,
                     n_vocab=128, tied=True),
    "moe": LlamaSpec(n_layer=2, n_embd=256, n_ff=256, n_head=4, n_head_kv=4,
                     n_vocab=128, n_expert=8, n_expert_used=2, n_ff_exp=256),
    "two": LlamaSpec(n_layer=2, n_embd=256, n_ff=256, n_head=4, n_head_kv=1,
                     n_vocab=128),
}


def _tokenizer(w, n_vocab: int) -> None:
    """A tiny SentencePiece ("llama") vocabulary: <unk>, <s>, </s> and
    normal pieces (no byte tokens: they would not fit small vocabularies)."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"\u2581t{i}" for i in range(n_vocab - 3)]
    scores = [0.0, 0.0, 0.0] + [-float(i) for i in range(n_vocab - 3)]
    # llama_token_type: 2 unknown, 3 control, 1 normal
    types = [2, 3, 3] + [1] * (n_vocab - 3)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)       # FLOAT32 array
    w.add_token_types(types)         # INT32 array
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)


def _rand(rng: np.random.Generator, shape, scale: float) -> np.ndarray:
    a = rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)
    # a few outliers, as real weights have, so block scales vary
    flat = a.reshape(-1)
    idx = rng.integers(0, flat.size, size=max(1, flat.size // 4096))
    flat[idx] *= np.float32(6.0)
    return a


def tensor_list(spec: LlamaSpec):
    """(name, numpy shape, is_vector) in converter order."""
    e, f, v = spec.n_embd, spec.n_ff, spec.n_vocab
    head_dim = e // spec.n_head
    kv = head_dim * spec.n_head_kv
    out = [("token_embd.weight", (v, e), False)]
    for i in range(spec.n_layer):
        p = f"blk.{i}."
        out += [
            (p + "attn_norm.weight", (e,), True),
            (p + "attn_q.weight", (e, e), False),
            (p + "attn_k.weight", (kv, e), False),
            (p + "attn_v.weight", (kv, e), False),
            (p + "attn_output.weight", (e, e), False),
            (p + "ffn_norm.weight", (e,), True),
        ]
        if spec.n_expert:
            x, fe = spec.n_expert, spec.n_ff_exp
            out += [
                (p + "ffn_gate_inp.weight", (x, e), False),
                (p + "ffn_gate_exps.weight", (x, fe, e), False),
                (p + "ffn_up_exps.weight", (x, fe, e), False),
                (p + "ffn_down_exps.weight", (x, e, fe), False),
            ]
        else:
            out += [
                (p + "ffn_gate.weight", (f, e), False),
                (p + "ffn_up.weight", (f, e), False),
                (p + "ffn_down.weight", (e, f), False),
            ]
    out.append(("output_norm.weight", (e,), True))
    if not spec.tied:
        out.append(("output.weight", (v, e), False))
    out += [(name, shape, False) for name, shape in spec.extra]
    return out


def build_llama_gguf(path, spec: LlamaSpec | str = "base", dtype: str = "f32",
                     seed: int = 1234, tokenizer: bool = True) -> Path:
    """Writes a random model to path and returns it.

    dtype: "f32" everything F32; "f16" matrices F16 and vectors F32 (what
    convert_hf_to_gguf.py --outtype f16 writes); "f16-all" vectors F16 too;
    "bf16" matrices BF16, vectors F32.
    """
    if gguf is None:
        raise RuntimeError("gguf-py is not installed")
    if isinstance(spec, str):
        spec = MODELS[spec]
    rng = np.random.default_rng(seed)
    path = Path(path)
    w = gguf.GGUFWriter(str(path), spec.arch)
    a = spec.arch
    w.add_name(spec.name)
    w.add_uint32(f"{a}.context_length", 256)
    w.add_uint32(f"{a}.embedding_length", spec.n_embd)
    w.add_uint32(f"{a}.block_count", spec.n_layer)
    w.add_uint32(f"{a}.feed_forward_length", spec.n_ff)
    w.add_uint32(f"{a}.attention.head_count", spec.n_head)
    w.add_uint32(f"{a}.attention.head_count_kv", spec.n_head_kv)
    w.add_uint32(f"{a}.rope.dimension_count", spec.n_embd // spec.n_head)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-5)
    if a == "falcon":  # falcon's loader wants a LayerNorm epsilon
        w.add_float32(f"{a}.attention.layer_norm_epsilon", 1e-5)
    w.add_float32(f"{a}.rope.freq_base", 10000.0)
    w.add_uint32(f"{a}.vocab_size", spec.n_vocab)
    if spec.n_expert:
        w.add_uint32(f"{a}.expert_count", spec.n_expert)
        w.add_uint32(f"{a}.expert_used_count", spec.n_expert_used)
    if tokenizer:
        _tokenizer(w, spec.n_vocab)
    for name, shape, is_vec in tensor_list(spec):
        if is_vec:
            t = (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        else:
            t = _rand(rng, shape, 0.02 if "embd" in name else 1.0 / np.sqrt(shape[-1]))
        if dtype == "f16" and not is_vec or dtype == "f16-all":
            t = t.astype(np.float16)
        elif dtype == "bf16" and not is_vec:
            # gguf-py stores BF16 as raw uint16 with raw_dtype BF16
            u = t.view(np.uint32)
            rnd = ((u >> 16) & 1) + np.uint32(0x7FFF)
            b = ((u + rnd) >> 16).astype(np.uint16)
            w.add_tensor(name, b, raw_shape=t.shape,
                         raw_dtype=gguf.GGMLQuantizationType.BF16)
            continue
        elif dtype not in ("f32", "f16", "f16-all", "bf16"):
            raise ValueError(f"unknown dtype {dtype}")
        w.add_tensor(name, t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def variant(name: str, **changes) -> LlamaSpec:
    """A preset with some fields changed (e.g. variant("base", n_layer=8))."""
    return replace(MODELS[name], **changes)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: gguf_models.py {%s} {f32,f16,f16-all,bf16} OUT.gguf"
                 % ",".join(MODELS))
    print(build_llama_gguf(sys.argv[3], sys.argv[1], sys.argv[2]))

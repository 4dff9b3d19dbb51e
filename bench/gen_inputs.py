"""gen_inputs.py - deterministic benchmark inputs.

  gen_inputs.py st {bf16,f32} OUT.safetensors
      A Llama-7B-shaped SafeTensors file of random normal weights (std 0.02):
      model.embed_tokens 32000x4096, then N decoder layers of q/k/v/o
      4096x4096, gate/up 11008x4096, down 4096x11008 and two 4096 norms,
      then model.norm. BF16: 5 layers (2.13 GiB); F32: 3 layers (2.75 GiB).
      Written with safetensors.torch.save_file, as transformers does.

  gen_inputs.py gguf-f16 OUT.gguf
      A llama-architecture GGUF that llama-quantize accepts (hparams, tiny
      tokenizer, blk.N.* names), built with gguf-py's GGUFWriter through
      tests/interop/gguf_models.py: 10 layers, n_embd 2048, n_ff 5632,
      32 heads / 4 KV heads, vocab 32000: 571M parameters, matrices F16 and
      norms F32 (what convert_hf_to_gguf.py --outtype f16 writes), 1.06 GiB.

Everything is seeded, so the same command always writes the same bytes.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def llama7b_tensors(n_layer: int):
    h, f, v = 4096, 11008, 32000
    out = [("model.embed_tokens.weight", (v, h))]
    for i in range(n_layer):
        p = f"model.layers.{i}."
        out += [
            (p + "self_attn.q_proj.weight", (h, h)),
            (p + "self_attn.k_proj.weight", (h, h)),
            (p + "self_attn.v_proj.weight", (h, h)),
            (p + "self_attn.o_proj.weight", (h, h)),
            (p + "mlp.gate_proj.weight", (f, h)),
            (p + "mlp.up_proj.weight", (f, h)),
            (p + "mlp.down_proj.weight", (h, f)),
            (p + "input_layernorm.weight", (h,)),
            (p + "post_attention_layernorm.weight", (h,)),
        ]
    out.append(("model.norm.weight", (h,)))
    return out


def gen_st(dtype: str, out: str) -> None:
    import torch
    from safetensors.torch import save_file

    torch_dtype = {"bf16": torch.bfloat16, "f32": torch.float32}[dtype]
    n_layer = {"bf16": 5, "f32": 3}[dtype]
    g = torch.Generator().manual_seed(20240601)
    tensors = {}
    for name, shape in llama7b_tensors(n_layer):
        if len(shape) == 1:
            t = 1.0 + 0.05 * torch.randn(shape, generator=g)
        else:
            t = 0.02 * torch.randn(shape, generator=g)
        tensors[name] = t.to(torch_dtype)
    save_file(tensors, out, metadata={"format": "pt"})


def gen_gguf_f16(out: str) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "interop"))
    import gguf_models

    spec = gguf_models.LlamaSpec(n_layer=10, n_embd=2048, n_ff=5632, n_head=32,
                                 n_head_kv=4, n_vocab=32000,
                                 name="bench-llama-571m")
    gguf_models.build_llama_gguf(out, spec, "f16", seed=4321)


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "st" and len(sys.argv) == 4:
        gen_st(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "gguf-f16":
        gen_gguf_f16(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

"""hf_arch_models.py - tiny random Hugging Face models for every architecture
profile of src/arch, built with transformers and saved with save_pretrained
into folders named like real models (the names exercise gguf-py
metadata.py's heuristics), each with a tokenizer llama.cpp's reference
converter (convert_hf_to_gguf.py) accepts:

* a SentencePiece model trained with the sentencepiece package
  (tokenizer.model: the llama, mistral, mixtral, qwen2, qwen3, gemma,
  gemma2, gemma3 multimodal and phi3 paths);
* a byte-level BPE tokenizer.json trained with tokenizers (the GPT-2 path of
  qwen3_moe and of a gemma3 text model, whose vocabulary then trims the
  embedding);
* a WordPiece vocabulary for BERT.

The reference's BPE pre-tokenizer check (a hash over a fixed text) is
bypassed by ref_convert(), which runs the converter with
get_vocab_base_pre patched to return "default": tokenizer keys are not what
these tests compare.

Weights are random (normal, std 0.5, norms included, so that Gemma's +1
and the permutations move real values), in the dtype each case names.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HIDDEN, INTER, LAYERS, HEADS, VOCAB = 64, 96, 2, 4, 300

_WORDS = ("the quick brown fox jumps over lazy dog model tensor convert file format "
          "llama gemma qwen phi bert weight layer head attention rope norm expert "
          "router token vocab byte piece merge").split()


def corpus_lines(n: int = 2000) -> list[str]:
    rnd = random.Random(1)
    return [" ".join(rnd.choice(_WORDS) for _ in range(12)) for _ in range(n)]


@dataclass
class Case:
    name: str                  # folder name (a real model's name)
    arch: str                  # profile expected
    build: str                 # builder key below
    dtype: str = "float32"
    config: dict = field(default_factory=dict)
    tokenizer: str = "spm"     # spm | bpe | wordpiece
    card: str | None = None    # README.md text
    generation: dict | None = None
    shard: str | None = None   # max_shard_size for save_pretrained
    extra: dict = field(default_factory=dict)
    reverse: bool = True       # also rebuilt from its GGUF (headless models
                               # come back with a causal-LM's names)


SMOLLM_CARD = """---
library_name: transformers
license: apache-2.0
language:
- en
pipeline_tag: text-generation
tags:
- safetensors
- onnx
- transformers.js
base_model:
- HuggingFaceTB/SmolLM2-135M
datasets:
- HuggingFaceTB/smoltalk
model-index:
- name: SmolLM2-135M-Instruct
  results:
  - task:
      type: text-generation
    metrics:
    - type: acc
      value: 0.5
widget:
  - text: "Hello: world"
---

# SmolLM2

A tiny model.
"""

QWEN_CARD = """---
license: other
license_name: qwen-research
license_link: https://huggingface.co/Qwen/Qwen2.5-3B/blob/main/LICENSE
language:
  - en
  - 'no'
author: "Qwen Team"
version: '2.5'
description: |
  A small model
  for tests.
base_model: https://huggingface.co/Qwen/Qwen2.5-0.5B
tags: [chat, "text generation"]  # a flow list
---
text
"""

# values metadata.py keeps with their YAML types: a list license is joined,
# "language: no" is a boolean (no languages written), an empty base_model
# still writes base_model.count = 0, integer tags make an INT32 array,
# dataset entries as objects and as URLs, the card's name wins
TRICKY_CARD = """---
name: My Chat Model
license:
- mit
- apache-2.0
language: no
base_model:
tags:
- 2024
- 7
model_creator: Someone
datasets:
- name: Custom Data
  url: https://example.com/data
- https://huggingface.co/datasets/org/ds
- https://huggingface.co/org/ds2
---
"""

CASES = [
    Case("SmolLM2-135M-Instruct", "llama", "llama",
         config=dict(num_key_value_heads=2, tie_word_embeddings=True),
         card=SMOLLM_CARD,
         generation=dict(bos_token_id=1, eos_token_id=2, temperature=0.2, top_p=0.9,
                         top_k=50, repetition_penalty=1.1, do_sample=True)),
    Case("Llama-3.2-1B-Instruct", "llama", "llama", dtype="bfloat16",
         config=dict(num_key_value_heads=2, attention_bias=True,
                     rope_parameters=dict(rope_type="llama3", rope_theta=500000.0,
                                          factor=32.0, low_freq_factor=1.0,
                                          high_freq_factor=4.0,
                                          original_max_position_embeddings=8192))),
    Case("Mistral-7B-Instruct-v0.3", "mistral", "mistral", dtype="float16",
         config=dict(num_key_value_heads=2,
                     rope_parameters=dict(rope_type="linear", factor=2.0,
                                          rope_theta=1000000.0))),
    Case("Mixtral-8x7B-Instruct-v0.1", "mixtral", "mixtral",
         config=dict(num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2)),
    Case("Qwen2.5-0.5B-Instruct", "qwen2", "qwen2", dtype="bfloat16",
         config=dict(num_key_value_heads=2,
                     rope_parameters=dict(rope_type="yarn", factor=4.0, rope_theta=1000000.0,
                                          original_max_position_embeddings=64,
                                          beta_fast=32.0, beta_slow=1.0)),
         card=QWEN_CARD, shard="40KB"),
    Case("Qwen3-0.6B", "qwen3", "qwen3",
         config=dict(num_key_value_heads=2, head_dim=16, tie_word_embeddings=True)),
    Case("Qwen3-30B-A3B", "qwen3_moe", "qwen3_moe", tokenizer="bpe",
         # norm_topk_prob as llama.cpp's qwen3moe graph computes it
         config=dict(num_key_value_heads=2, head_dim=16, num_experts=4,
                     num_experts_per_tok=2, moe_intermediate_size=32,
                     norm_topk_prob=True)),
    Case("gemma-2b-it", "gemma", "gemma", dtype="bfloat16",
         config=dict(num_key_value_heads=1, head_dim=16)),
    Case("gemma-2-2b-it", "gemma2", "gemma2", dtype="float16",
         config=dict(num_key_value_heads=2, head_dim=16, sliding_window=32)),
    Case("gemma-3-270m", "gemma3", "gemma3", tokenizer="bpe",
         config=dict(num_key_value_heads=2, head_dim=16, sliding_window=32)),
    Case("gemma-3-4b-it", "gemma3", "gemma3_mm",
         config=dict(num_key_value_heads=2, head_dim=16, sliding_window=32)),
    Case("Phi-3-mini-128k-instruct", "phi3", "phi3",
         config=dict(num_key_value_heads=4, pad_token_id=0, eos_token_id=2, bos_token_id=1,
                     original_max_position_embeddings=64,
                     rope_parameters=dict(rope_type="longrope", rope_theta=10000.0,
                                          # float32-exact, so the folder rebuilt
                                          # from the GGUF computes the same
                                          long_factor=[1.0 + 0.25 * i for i in range(8)],
                                          short_factor=[1.0 + 0.015625 * i
                                                        for i in range(8)]))),
    Case("bge-small-en-v1.5", "bert", "bert", tokenizer="wordpiece",
         extra=dict(pooling="cls")),
    Case("bert-base-uncased", "bert", "bert_mlm", tokenizer="wordpiece"),
    Case("bert-base-multilingual-uncased-sentiment", "bert", "bert_cls", tokenizer="wordpiece",
         config=dict(id2label={0: "negative", 1: "neutral", 2: "positive"},
                     label2id={"negative": 0, "neutral": 1, "positive": 2})),
    Case("TinyLlama-1.1B-Chat-v1.0", "llama", "llama_legacy"),
    Case("Llama-3-8B-embed", "llama", "llama_headless", config=dict(num_key_value_heads=2),
         reverse=False),
    Case("Qwen2-1.5B-embed", "qwen2", "qwen2_headless", config=dict(num_key_value_heads=2),
         reverse=False),
    Case("Llama-2-7b-chat-hf", "llama", "llama",
         config=dict(num_key_value_heads=4, mlp_bias=True), card=TRICKY_CARD),
]

CASE_IDS = [c.name for c in CASES]


# ---- tokenizers ------------------------------------------------------------------

def train_spm(work: Path) -> Path:
    """A 200-piece SentencePiece BPE model (tokenizer.model)."""
    import sentencepiece as spm
    out = work / "spm"
    out.mkdir(parents=True, exist_ok=True)
    model = out / "tok.model"
    if not model.exists():
        (out / "corpus.txt").write_text("\n".join(corpus_lines()))
        spm.SentencePieceTrainer.train(input=str(out / "corpus.txt"),
                                       model_prefix=str(out / "tok"), vocab_size=200,
                                       model_type="bpe", character_coverage=1.0,
                                       minloglevel=2)
    return model


def write_bpe(folder: Path, vocab: int = 260) -> None:
    """A byte-level BPE tokenizer.json (+ tokenizer_config.json)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(corpus_lines(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")
    fast.save_pretrained(str(folder))


def write_wordpiece(folder: Path) -> None:
    from transformers import BertTokenizerFast
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(_WORDS))
    words += sorted(set("abcdefghijklmnopqrstuvwxyz"))
    words += ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(str(folder))


# ---- models ---------------------------------------------------------------------------

def _config(case: Case):
    import transformers as T
    common = dict(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTER,
                  num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                  max_position_embeddings=256)
    kw = dict(common, **case.config)
    b = case.build
    if b == "llama":
        return T.LlamaConfig(**kw), T.LlamaForCausalLM
    if b == "llama_headless":  # LlamaModel: names without "model."
        return T.LlamaConfig(**kw), T.LlamaModel
    if b == "qwen2_headless":
        return T.Qwen2Config(**kw), T.Qwen2Model
    if b == "mistral":
        return T.MistralConfig(**kw), T.MistralForCausalLM
    if b == "mixtral":
        return T.MixtralConfig(**kw), T.MixtralForCausalLM
    if b == "qwen2":
        return T.Qwen2Config(**kw), T.Qwen2ForCausalLM
    if b == "qwen3":
        return T.Qwen3Config(**kw), T.Qwen3ForCausalLM
    if b == "qwen3_moe":
        return T.Qwen3MoeConfig(**kw), T.Qwen3MoeForCausalLM
    if b == "gemma":
        return T.GemmaConfig(**kw), T.GemmaForCausalLM
    if b == "gemma2":
        return T.Gemma2Config(**kw), T.Gemma2ForCausalLM
    if b == "gemma3":
        return T.Gemma3TextConfig(**kw), T.Gemma3ForCausalLM
    if b == "gemma3_mm":
        tc = T.Gemma3TextConfig(**kw)
        vc = T.SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                  num_attention_heads=2, image_size=32, patch_size=8)
        return (T.Gemma3Config(text_config=tc.to_dict(), vision_config=vc.to_dict(),
                               mm_tokens_per_image=4),
                T.Gemma3ForConditionalGeneration)
    if b == "phi3":
        return T.Phi3Config(**kw), T.Phi3ForCausalLM
    if b in ("bert", "bert_mlm", "bert_cls"):
        return T.BertConfig(**kw), {"bert": T.BertModel, "bert_mlm": T.BertForMaskedLM,
                                    "bert_cls": T.BertForSequenceClassification}[b]
    raise KeyError(b)


LEGACY_LLAMA_CONFIG = {
    # a config.json as older transformers wrote it: torch_dtype, rope_theta at
    # the top, rope_scaling, no head_dim, no num_key_value_heads, no
    # max_position_embeddings or rms_norm_eps (the class defaults apply)
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": HIDDEN,
    "intermediate_size": INTER,
    "num_attention_heads": HEADS,
    "num_hidden_layers": LAYERS,
    "rope_theta": 10000.0,
    "rope_scaling": {"type": "linear", "factor": 4.0},
    "torch_dtype": "float32",
    "vocab_size": VOCAB,
    "_name_or_path": "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
}


def build(case: Case, root: Path, spm_model: Path) -> Path:
    """Builds the case's folder under root (once) and returns it."""
    import torch
    folder = root / case.name
    if (folder / "config.json").exists():
        return folder
    tmp = root / (case.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    torch.manual_seed(sum(map(ord, case.name)))
    if case.build == "llama_legacy":
        import transformers as T
        cfg = T.LlamaConfig(**{k: v for k, v in LEGACY_LLAMA_CONFIG.items()
                               if k not in ("architectures", "model_type", "torch_dtype",
                                            "_name_or_path")})
        model = T.LlamaForCausalLM(cfg)
    else:
        cfg, cls = _config(case)
        model = cls(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    model = model.to(getattr(torch, case.dtype))
    kw = {"max_shard_size": case.shard} if case.shard else {}
    model.save_pretrained(str(tmp), **kw)
    if case.build == "llama_legacy":
        (tmp / "config.json").write_text(json.dumps(LEGACY_LLAMA_CONFIG, indent=2))
    if case.tokenizer == "spm":
        shutil.copy(spm_model, tmp / "tokenizer.model")
    elif case.tokenizer == "bpe":
        write_bpe(tmp)
    else:
        write_wordpiece(tmp)
    if case.card is not None:
        (tmp / "README.md").write_text(case.card)
    if case.generation is not None:
        (tmp / "generation_config.json").write_text(json.dumps(case.generation, indent=2))
    if case.extra.get("pooling"):
        mode = case.extra["pooling"]
        (tmp / "modules.json").write_text(json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.models.Pooling"}]))
        (tmp / "1_Pooling").mkdir()
        (tmp / "1_Pooling" / "config.json").write_text(json.dumps({
            "word_embedding_dimension": HIDDEN,
            "pooling_mode_cls_token": mode == "cls",
            "pooling_mode_mean_tokens": mode == "mean"}))
    tmp.rename(folder)
    return folder


# ---- the reference converter ---------------------------------------------------------

_WRAPPER = r"""
import sys, runpy
src = sys.argv[1]
sys.path.insert(0, src)
sys.path.insert(1, src + "/gguf-py")
import conversion.base as base
# tokenizer keys are not compared here: skip the BPE pre-tokenizer hash check
base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "default"
sys.argv = [src + "/convert_hf_to_gguf.py"] + sys.argv[2:]
runpy.run_path(src + "/convert_hf_to_gguf.py", run_name="__main__")
"""


def ref_convert(llama_src: Path, folder: Path, outtype: str, out: Path) -> Path:
    if out.exists():
        return out
    tmp = out.with_suffix(".partial.gguf")
    r = subprocess.run([sys.executable, "-c", _WRAPPER, str(llama_src), str(folder),
                        "--outtype", outtype, "--outfile", str(tmp)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"convert_hf_to_gguf.py {folder.name} --outtype {outtype} "
                             f"failed:\n{r.stderr[-4000:]}")
    tmp.rename(out)
    return out

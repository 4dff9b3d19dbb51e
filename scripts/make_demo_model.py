#!/usr/bin/env python3
"""Creates the built-in demo model in examples/tiny-llama/ (run once; the
output is committed so the demo needs no Python).

A Llama-architecture model small enough for a repository (a few MB) but real
in every respect that matters to a converter: written by transformers'
save_pretrained in bfloat16, with random weights, and a byte-level BPE
tokenizer actually trained (with the tokenizers library) on the license
texts Debian ships in /usr/share/common-licenses.

    build/venv/bin/python scripts/make_demo_model.py [OUT_DIR]
"""
import os
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else
           Path(__file__).resolve().parent.parent / "examples" / "tiny-llama")
CORPUS = ["/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/Apache-2.0",
          "/usr/share/common-licenses/MPL-2.0", "/usr/share/common-licenses/LGPL-3"]
VOCAB = 1024
SPECIAL = ["<s>", "</s>", "<unk>"]


def train_tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train([p for p in CORPUS if os.path.exists(p)], trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>",
                                   eos_token="</s>", unk_token="<unk>")
    fast.chat_template = ("{% for m in messages %}<s>{{ m['role'] }}: "
                          "{{ m['content'] }}</s>{% endfor %}")
    return fast


def main() -> None:
    torch.manual_seed(20261126)
    tokenizer = train_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=256, intermediate_size=512,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)
    tokenizer.save_pretrained(OUT)
    n = sum(p.numel() for p in model.parameters())
    print(f"wrote {OUT}: {n} parameters, vocabulary {len(tokenizer)}")


if __name__ == "__main__":
    main()

"""test_arch_interop.py - the architecture profiles of src/arch against
llama.cpp's reference converter (convert_hf_to_gguf.py, vendored in
$LLAMA_CPP_DIR/src) and transformers' own GGUF loading.

For every architecture (tiny random models from hf_arch_models.py, saved
with save_pretrained into folders named like real models):

* HF -> GGUF: `tp-testtool hf-arch DIR` (the profile's tensor mapping and
  KVs) against the reference's file at --outtype f32 and f16: every
  non-tokenizer KV (key, order, type, value), every tensor's GGUF name,
  ggml shape, order and output type (the F32-kept set shows at f16), and
  the data: each output tensor computed with numpy from the HF tensors by
  applying the transform description (permutation, +1, stacking, vocabulary
  trim, synthesized values) equals the reference file's bytes;
* GGUF -> HF: `tp-testtool gguf-arch REF.gguf` builds config.json and the
  tensor names with inverse transforms; the folder made from them loads
  with AutoConfig / AutoModel, its config agrees with the config
  transformers builds from the GGUF itself (AutoConfig.from_pretrained(dir,
  gguf_file=...)) and with the original folder's for the fields that
  matter, its tensors equal the original HF tensors (bit for bit where the
  round trip is exact; Gemma norms go through (w + 1) - 1 in float32) and
  the tensors transformers loads from the GGUF, and it computes the
  original model's outputs.

Plus metadata.py's model-id heuristics and the model-card reader against
gguf-py and PyYAML directly.

Models and reference files are built once per session (a few minutes: the
reference converter imports torch for each run); TP_ARCH_MODELS_DIR keeps
them between runs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hf_arch_models as H  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TT = os.environ.get("TP_TESTTOOL", str(REPO / "build" / "tp-testtool"))
LLAMA_CPP_DIR = Path(os.environ.get("LLAMA_CPP_DIR", str(REPO / "build" / "llama.cpp")))
LLAMA_SRC = LLAMA_CPP_DIR / "src"

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")
pytest.importorskip("tokenizers")
gguf = pytest.importorskip("gguf")
from gguf import GGUFReader, GGUFValueType as VT  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

CASES = {c.name: c for c in H.CASES}


@pytest.fixture(scope="session")
def models_root(tmp_path_factory):
    if not (LLAMA_SRC / "convert_hf_to_gguf.py").is_file():
        pytest.skip(f"no reference converter at {LLAMA_SRC}")
    if not os.access(TT, os.X_OK):
        pytest.skip(f"no tp-testtool at {TT}")
    d = os.environ.get("TP_ARCH_MODELS_DIR")
    root = Path(d) if d else tmp_path_factory.mktemp("arch-models")
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def spm_model(models_root):
    return H.train_spm(models_root)


def folder_of(name, models_root, spm_model) -> Path:
    return H.build(CASES[name], models_root, spm_model)


def reference(name, outtype, models_root, spm_model) -> Path:
    folder = folder_of(name, models_root, spm_model)
    return H.ref_convert(LLAMA_SRC, folder, outtype, models_root / f"{name}.{outtype}.gguf")


def run_tool(*args) -> dict:
    r = subprocess.run([TT, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"tp-testtool {' '.join(map(str, args))}: {r.stderr}"
    return json.loads(r.stdout)


# ---- reading the reference's file ------------------------------------------------

def ref_kvs(reader):
    """(key, type, elem type, value) of every non-tokenizer KV, in file order."""
    out = []
    for f in reader.fields.values():
        if f.name.startswith(("GGUF.", "tokenizer.")):
            continue
        if f.types[0] == VT.ARRAY:
            out.append((f.name, f.types[0].name, f.types[1].name, f.contents()))
        else:
            out.append((f.name, f.types[0].name, None, f.contents()))
    return out


def my_kvs(j):
    return [(k["key"], k["type"], k.get("elem_type"), k["value"]) for k in j["kvs"]]


def hf_tensors(folder: Path) -> dict:
    """Every tensor of the folder as a torch tensor (any dtype)."""
    out = {}
    for f in sorted(folder.glob("*.safetensors")):
        with safe_open(str(f), "pt") as st:
            for k in st.keys():
                out[k] = st.get_tensor(k)
    return out


def work_array(t):
    """What the reference converts a source to first: F16 and F32 stay, every
    other dtype becomes F32 (prepare_tensors)."""
    if t.dtype in (torch.float16, torch.float32):
        return t.numpy()
    return t.to(torch.float32).numpy()


def permute(w: np.ndarray, heads: int) -> np.ndarray:
    """LlamaModel.permute, re-derived: rows in heads groups; output row
    h*hd + 2i + j is input row h*hd + j*hd/2 + i."""
    rows = w.shape[0]
    hd = rows // heads
    idx = np.empty(rows, dtype=np.int64)
    for h in range(heads):
        for i in range(hd // 2):
            for j in range(2):
                idx[h * hd + 2 * i + j] = h * hd + j * (hd // 2) + i
    return w[idx]


def unpermute(w: np.ndarray, heads: int) -> np.ndarray:
    rows = w.shape[0]
    hd = rows // heads
    idx = np.empty(rows, dtype=np.int64)
    for h in range(heads):
        for i in range(hd // 2):
            for j in range(2):
                idx[h * hd + j * (hd // 2) + i] = h * hd + 2 * i + j
    return w[idx]


def expected_work(t: dict, src: dict) -> np.ndarray:
    """An output tensor's values in the reference's working precision, from
    the transform description."""
    if t["xform"] == "synth":
        return np.array(t["synth"], dtype=np.float32)
    parts = [work_array(src[n]) for n in t["sources"]]
    x = np.stack(parts) if len(parts) > 1 else parts[0]
    if t["xform"] == "permute_qk":
        x = permute(x, t["xform_arg"])
    elif t["xform"] == "add_one":
        x = x + x.dtype.type(1)  # in the tensor's own precision (f16 or f32)
    elif t["xform"] == "first_rows":
        x = x[: t["xform_arg"]]
    else:
        assert t["xform"] == "copy", t["xform"]
    return x


# ---- HF -> GGUF ---------------------------------------------------------------------

@pytest.mark.parametrize("name", H.CASE_IDS)
@pytest.mark.parametrize("outtype,file_type", [("f32", 0), ("f16", 1)])
def test_hf_to_gguf_matches_reference(name, outtype, file_type, models_root, spm_model):
    folder = folder_of(name, models_root, spm_model)
    ref = GGUFReader(str(reference(name, outtype, models_root, spm_model)))
    j = run_tool("hf-arch", folder, "--file-type", file_type)
    assert j["profile"] == CASES[name].arch

    # KVs: keys and order, then types and values
    a, b = ref_kvs(ref), my_kvs(j)
    assert [x[0] for x in b] == [x[0] for x in a]
    for x, y in zip(a, b):
        assert y[1:3] == x[1:3], f"{x[0]}: type {y[1:3]} vs reference {x[1:3]}"
        assert y[3] == x[3], f"{x[0]}: value {y[3]!r} vs reference {x[3]!r}"

    # tensors: names, ggml shapes, order, output types
    want = [(t.name, [int(s) for s in t.shape], t.tensor_type.name) for t in ref.tensors]
    got = [(t["name"], t["shape"],
            "F32" if outtype == "f32" or t["keep_f32"] else "F16") for t in j["tensors"]]
    assert got == want

    # data, from the transform descriptions
    src = hf_tensors(folder)
    by_name = {t.name: t for t in ref.tensors}
    for t in j["tensors"]:
        x = expected_work(t, src)
        out = x.astype(np.float32 if outtype == "f32" or t["keep_f32"] else np.float16)
        data = np.asarray(by_name[t["name"]].data)
        assert out.tobytes() == data.tobytes(), f"{t['name']}: data differs"


@pytest.mark.parametrize("name", ["Llama-3.2-1B-Instruct", "gemma-2-2b-it",
                                  "SmolLM2-135M-Instruct"])
def test_auto_outtype_matches_reference(name, models_root, spm_model):
    """--outtype auto: the first BF16/F16 2-D tensor decides (F16 for F32
    checkpoints); general.file_type and every tensor type follow."""
    folder = folder_of(name, models_root, spm_model)
    ref = GGUFReader(str(reference(name, "auto", models_root, spm_model)))
    j = run_tool("hf-arch", folder)
    auto = j["auto_type"]
    assert auto == {"bfloat16": "BF16", "float16": "F16"}.get(CASES[name].dtype, "F16")
    assert ref.fields["general.file_type"].contents() == {"BF16": 32, "F16": 1}[auto]
    got = [(t["name"], "F32" if t["keep_f32"] else auto) for t in j["tensors"]]
    assert got == [(t.name, t.tensor_type.name) for t in ref.tensors]


def test_f32_reasons(models_root, spm_model):
    """The F32-kept set says why: norms, 1-D tensors, biases, the MoE router,
    BERT's position and token-type embeddings."""
    why = {}
    for name in ("Mixtral-8x7B-Instruct-v0.1", "bge-small-en-v1.5",
                 "Llama-3.2-1B-Instruct"):
        for t in run_tool("hf-arch", folder_of(name, models_root, spm_model))["tensors"]:
            if t["keep_f32"]:
                why[t["name"]] = t["why"]
    assert why["blk.0.ffn_gate_inp.weight"].startswith("MoE router")
    assert why["position_embd.weight"].startswith("position embeddings")
    assert why["token_types.weight"].startswith("token type embeddings")
    assert why["blk.0.attn_q.bias"].startswith("1-D")
    assert why["rope_freqs.weight"].startswith("1-D")
    assert "blk.0.attn_q.weight" not in why and "token_embd.weight" not in why


def test_unknown_architecture_lists_the_supported(tmp_path):
    from safetensors.numpy import save_file
    (tmp_path / "config.json").write_text(json.dumps(
        {"architectures": ["FalconForCausalLM"], "model_type": "falcon"}))
    save_file({"w": np.zeros(2, np.float32)}, str(tmp_path / "model.safetensors"))
    r = subprocess.run([TT, "hf-arch", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "FalconForCausalLM is not supported" in r.stderr
    for arch in ("LlamaForCausalLM", "MixtralForCausalLM", "Qwen3MoeForCausalLM",
                 "Gemma3ForConditionalGeneration", "Phi3ForCausalLM", "BertModel"):
        assert arch in r.stderr


def test_unmappable_tensor_is_named(models_root, spm_model, tmp_path):
    """A tensor no rule maps fails like the reference ("Can not map tensor"),
    naming it."""
    import shutil
    src = folder_of("Qwen3-0.6B", models_root, spm_model)
    d = tmp_path / "Qwen3-0.6B"
    shutil.copytree(src, d)
    t = hf_tensors(d)
    t["model.layers.0.mlp.extra_proj.weight"] = torch.zeros(4, 4)
    for f in d.glob("*.safetensors"):
        f.unlink()
    from safetensors.torch import save_file as save_pt
    save_pt(t, str(d / "model.safetensors"), metadata={"format": "pt"})
    r = subprocess.run([TT, "hf-arch", str(d)], capture_output=True, text=True)
    assert r.returncode == 2
    assert 'model.layers.0.mlp.extra_proj.weight": Can not map tensor' in r.stderr


# ---- GGUF -> HF -------------------------------------------------------------------

# config fields compared with the original folder's config (after
# transformers loads both); floats as float32, which is what GGUF keeps
FIELDS = ("model_type", "num_hidden_layers", "hidden_size", "intermediate_size",
          "num_attention_heads", "num_key_value_heads", "max_position_embeddings",
          "vocab_size", "tie_word_embeddings", "head_dim", "rms_norm_eps",
          "layer_norm_eps", "num_local_experts", "num_experts", "num_experts_per_tok",
          "moe_intermediate_size", "sliding_window", "attn_logit_softcapping",
          "final_logit_softcapping", "original_max_position_embeddings",
          "type_vocab_size", "rope_parameters", "norm_topk_prob")


def f32(x):
    if isinstance(x, float):
        return float(np.float32(x))
    if isinstance(x, dict):
        return {k: f32(v) for k, v in x.items()}
    if isinstance(x, list):
        return [f32(v) for v in x]
    return x


def comparable(cfg, field):
    v = getattr(cfg, field, None)
    if field == "model_type" and v == "gemma3":
        v = "gemma3_text"
    if field == "head_dim" and v is None and getattr(cfg, "num_attention_heads", None):
        v = cfg.hidden_size // cfg.num_attention_heads  # what the models use then
    if field == "rope_parameters" and isinstance(v, dict):
        v = {k: x for k, x in v.items() if k != "type"}
    return f32(v)


def build_hf_folder(name, models_root, spm_model, out: Path) -> dict:
    """The folder tp-testtool gguf-arch describes, with numpy applying the
    inverse transforms to the reference GGUF's tensors."""
    ref_path = reference(name, "f32", models_root, spm_model)
    j = run_tool("gguf-arch", ref_path)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(j["config"], indent=2))
    if j.get("generation_config"):
        (out / "generation_config.json").write_text(json.dumps(j["generation_config"]))
    reader = GGUFReader(str(ref_path))
    data = {t.name: np.asarray(t.data) for t in reader.tensors}
    tensors = {}
    for t in j["tensors"]:
        (srcname,) = t["sources"]
        x = data[srcname].astype(np.float32)
        if t["xform"] == "unpermute_qk":
            x = unpermute(x, t["xform_arg"])
        elif t["xform"] == "sub_one":
            x = x - np.float32(1)
        elif t["xform"] == "expert":
            x = x[t["xform_arg"]]
        else:
            assert t["xform"] == "copy", t["xform"]
        assert list(x.shape) == list(reversed(t["shape"])), t["name"]
        tensors[t["name"]] = np.ascontiguousarray(x)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    return j


def original_names(name: str, key: str) -> str:
    """The HF name the rebuilt folder uses for an original tensor name."""
    key = key.replace("model.language_model.", "model.").replace("language_model.", "")
    if CASES[name].build in ("bert_mlm", "bert_cls"):
        key = key.removeprefix("bert.")
    return key


def dropped(name: str, key: str) -> bool:
    """Original tensors the GGUF does not carry (so neither does the folder)."""
    c = CASES[name]
    key = original_names(name, key)
    return (key.startswith(("vision_tower.", "multi_modal_projector.", "cls.",
                            "pooler.")) or
            (key == "lm_head.weight" and (c.arch in ("gemma", "gemma2"))) or
            key.endswith("rotary_emb.inv_freq"))


# transformers' GGUF loader does not know these architectures, or builds a
# different model from them (a llama without experts for Mixtral; Qwen3's
# head_dim and the MoE sizes are not read, so its class defaults apply)
NO_HF_GGUF_CONFIG = {"gemma", "bert", "mixtral"}
NO_HF_GGUF_TENSORS = NO_HF_GGUF_CONFIG | {"qwen3", "qwen3_moe"}
HF_GGUF_UNMAPPED = {"qwen3": {"head_dim"}, "qwen3_moe": {"moe_intermediate_size"},
                    "gemma2": {"attn_logit_softcapping", "final_logit_softcapping"},
                    "phi3": {"rope_parameters", "original_max_position_embeddings"},
                    "mistral": {"rope_parameters"}, "qwen2": {"rope_parameters"},
                    "llama": {"rope_parameters"}}


@pytest.mark.parametrize("name", [c.name for c in H.CASES if c.reverse])
def test_gguf_to_hf(name, models_root, spm_model, tmp_path):
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM
    case = CASES[name]
    folder = folder_of(name, models_root, spm_model)
    ref_path = reference(name, "f32", models_root, spm_model)
    out = tmp_path / name
    if case.build == "bert_cls":
        r = subprocess.run([TT, "gguf-arch", str(ref_path)], capture_output=True, text=True)
        assert r.returncode == 2 and "classifier head cannot be rebuilt" in r.stderr
        return
    j = build_hf_folder(name, models_root, spm_model, out)
    assert j["profile"] == ("llama" if case.arch == "mistral" else case.arch)

    mine = AutoConfig.from_pretrained(str(out))
    orig = AutoConfig.from_pretrained(str(folder))
    orig = getattr(orig, "text_config", None) or orig
    # mistral files say llama: the folder comes back as a Llama
    for field in FIELDS:
        if case.arch == "mistral" and field in ("model_type", "sliding_window"):
            continue  # written as llama, which has no sliding window
        a, b = comparable(mine, field), comparable(orig, field)
        if field == "vocab_size" and case.arch == "gemma3" and case.tokenizer == "bpe":
            tok = json.loads((folder / "tokenizer.json").read_text())
            b = len(tok["model"]["vocab"]) + len(tok["added_tokens"])  # the trim
        if field == "rope_parameters" and isinstance(a, dict) and isinstance(b, dict):
            b = {k: v for k, v in b.items() if k in a or k != "attention_factor"}
        assert a == b, f"{field}: {a!r} vs the original's {b!r}"

    if case.arch not in NO_HF_GGUF_CONFIG:
        theirs = AutoConfig.from_pretrained(str(ref_path.parent), gguf_file=ref_path.name)
        for field in FIELDS:
            if field in HF_GGUF_UNMAPPED.get(case.arch, set()):
                continue
            if not hasattr(theirs, field):
                continue
            if field == "vocab_size" and case.arch == "gemma3" and case.tokenizer == "bpe":
                continue  # transformers counts the padded token list, not the rows
            a, b = comparable(mine, field), comparable(theirs, field)
            if field == "rope_parameters" and isinstance(b, dict):
                a = {k: v for k, v in a.items() if k in b}
            assert a == b, f"{field}: {a!r} vs transformers' GGUF config {b!r}"

    # tensors against the original folder's
    src = hf_tensors(folder)
    rebuilt = hf_tensors(out)
    want = {original_names(name, k): v for k, v in src.items() if not dropped(name, k)}
    if mine.tie_word_embeddings:
        want.pop("lm_head.weight", None)
    assert sorted(rebuilt) == sorted(want)
    sub_one = {t["name"] for t in j["tensors"] if t["xform"] == "sub_one"}
    for k, v in rebuilt.items():
        o = want[k].to(torch.float32).numpy()
        if k.endswith("embed_tokens.weight") and o.shape[0] != v.shape[0]:
            o = o[: v.shape[0]]  # Gemma 3: the vocabulary trim
        if k in sub_one:
            # the forward +1 in the source's precision, then -1 in float32
            w = work_array(want[k])
            o = (w + w.dtype.type(1)).astype(np.float32) - np.float32(1)
        assert o.tobytes() == v.numpy().tobytes(), f"{k}: data differs"

    # transformers' own GGUF loading gives the same tensors (it cannot load a
    # Gemma 3 whose embedding was trimmed: its vocab_size is the token count)
    trimmed = case.arch == "gemma3" and case.tokenizer == "bpe"
    if case.arch not in NO_HF_GGUF_TENSORS and not trimmed:
        theirs = AutoModelForCausalLM.from_pretrained(
            str(ref_path.parent), gguf_file=ref_path.name, dtype=torch.float32)
        sd = theirs.state_dict()
        for k, v in rebuilt.items():
            if k not in sd:
                # transformers' GGUF config has no attention_bias / mlp_bias:
                # it drops the biases
                assert k.endswith("_proj.bias") and (
                    getattr(mine, "attention_bias", False) or getattr(mine, "mlp_bias", False)), k
                continue
            assert torch.equal(sd[k], v), f"{k}: differs from transformers' GGUF load"

    # the folder loads and computes what the original computes
    ids = torch.tensor([[1, 5, 17, 42, 100, 7, 3, 250]])
    if case.arch == "bert":
        model, info = AutoModel.from_pretrained(str(out), output_loading_info=True,
                                                add_pooling_layer=False)
        ref_model = AutoModel.from_pretrained(str(folder), dtype=torch.float32)
        base = getattr(ref_model, "bert", ref_model)
        # the reference drops the pooler: embeddings models do not use it
        assert not info["missing_keys"] and not info["unexpected_keys"]
        with torch.no_grad():
            a = model(ids).last_hidden_state
            b = base(ids).last_hidden_state
    else:
        model, info = AutoModelForCausalLM.from_pretrained(
            str(out), output_loading_info=True, dtype=torch.float32)
        assert not info["missing_keys"] and not info["unexpected_keys"]
        ref_model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
        with torch.no_grad():
            a = model(ids).logits
            b = ref_model(ids).logits[..., : a.shape[-1]]
    if sub_one:
        # (w + 1) - 1 rounds: to float16 for a float16 source, float32 else
        tol = 2e-2 if case.dtype == "float16" else 1e-4
        assert torch.allclose(a, b, rtol=tol, atol=tol)
    else:
        assert torch.equal(a, b)


# ---- metadata.py and the model card -----------------------------------------------------

MODEL_IDS = [
    "SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "meta-llama/Meta-Llama-3.1-8B-Instruct", "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "bigscience/bloom-7b1", "Qwen/Qwen2.5-Coder-32B-Instruct-GGUF", "Qwen/Qwen3-30B-A3B",
    "google/gemma-2-2b-it", "microsoft/Phi-3-mini-128k-instruct", "BAAI/bge-small-en-v1.5",
    "TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "model", "Llama-2-7b-chat-hf-Q4_K_M",
    "my model name", "./local/thing", "iter3-v2.1-small-large-xl", "a--b---c",
    "deepseek-coder-6.7b-base", "Yi-1.5-9B-Chat-16K", "A3B-test-v1", "x-1_5B-7b1",
    "Foo-bf16-f32-fp16-iq4_xs-q4_0-Q8_0", "-".join(["part"] * 120) + "-13B-v2",
]


@pytest.mark.parametrize("total", [0, 81000, 135_000_000, 7_000_000_000, -5000])
def test_model_id_heuristics_match_metadata_py(total):
    from gguf.metadata import Metadata
    for mid in MODEL_IDS:
        want = Metadata.get_model_id_components(mid, total)
        got = run_tool("hf-model-id", mid, total)
        got_t = (got["name"], got["org"], got["basename"], got["finetune"], got["version"],
                 got["size_label"])
        assert got_t == tuple(want), mid
        if want[0] is not None:
            assert got["title"] == Metadata.id_to_title(want[0]), mid


def test_size_label_matches_gguf_py():
    """general.size_label from the parameter counts (utility.py size_label),
    dense and MoE, across magnitudes and rounding edges."""
    from gguf.utility import size_label
    cases = [(n, n, 0, 0) for n in (0, 999, 1000, 1499, 1500, 81234, 999_999, 1_000_001,
                                    134_515_008, 9_950_000, 9_949_999, 7_241_732_096,
                                    46_702_792_704, 1_000_000_000_001, 12_345_678_901_234)]
    cases += [(46_702_792_704, 1_600_000_000, 5_637_000_000, 8), (98_000, 50_000, 12_000, 4),
              (10, 1, 2, 3)]
    for c in cases:
        assert run_tool("hf-size-label", *c)["size_label"] == size_label(*c), c


CARDS = [
    "---\nlicense: mit\n---\n",
    "---\nlanguage:\n- en\n- no\n- fr\ntags: [a, 'b', \"c\"]\n---\n",
    "---\nname: yes\nversion: '1.0'\nauthor: ~\ndescription: >\n  folded\n  text\n\n  para\n---\n",
    "---\nbase_model:\n  - org/model-7B\n  - name: Custom\n    author: me\n---\n",
    "---\n# comment\nlicense: apache-2.0 # trailing\nmodel-index:\n- name: x\n  results: [1, 2]\n"
    "widget:\n  - text: \"a: b\"\n---\n",
    "---\nlicense:\n- mit\n- apache-2.0\ndatasets: org/data\nversion: 2\n---\n",
    "---\r\nlicense: bsd\r\ndescription: |-\r\n  keep\r\n    indented\r\n---\r\n",
    "---\ntags:\n\t- tabbed\nlanguage: [en, de]  \n---\n",
    "---\nmodel_creator: \"Esc\\u00e9 \\\"q\\\"\"\npipeline_tag: text-generation\n---\n",
    "---\nsize_label: 0x1F\nfinetune: 1.5\nuuid: 1_000\nurl: .inf\ndoi: 2024-01-02\n---\n",
    "no front matter\n---\n",
    "---\n---\n",
]


def _pyyaml_card(text, tmp_path):
    from gguf.metadata import Metadata
    (tmp_path / "README.md").write_bytes(text.encode())
    return Metadata.load_model_card(tmp_path)


def _jsonable(v):
    import datetime
    if isinstance(v, (datetime.date, datetime.datetime)):
        return {"$yaml": "timestamp"}
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return {"$yaml": "float"}
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


READ_KEYS = {"name", "author", "version", "organization", "description", "finetune",
             "basename", "size_label", "url", "doi", "uuid", "repo_url", "model_name",
             "model_creator", "model_type", "base_model", "base_models", "datasets",
             "dataset", "license", "license_name", "license_link", "tags", "pipeline_tag",
             "languages", "language"}


@pytest.mark.parametrize("i", range(len(CARDS)))
def test_card_reader_matches_pyyaml(i, tmp_path):
    text = CARDS[i]
    want = _pyyaml_card(text, tmp_path)
    got = run_tool("hf-card", tmp_path / "README.md")
    if not want:
        assert got in (None, {})
        return
    want = {k: _jsonable(v) for k, v in want.items() if k in READ_KEYS}
    got = {k: ({"$yaml": v["$yaml"]} if isinstance(v, dict) and v.get("$yaml") else v)
           for k, v in (got or {}).items()}
    assert got == want


@pytest.mark.parametrize("text,msg", [
    ("---\nname: &a x\n---\n", "anchors"),
    ("---\nname: \"open\n  more\"\n---\n", "spanning lines"),
    ("---\nlicense: mit\n", "no closing"),
    ("---\ntags: [a,\n  b]\n---\n", "spanning lines"),
    ("---\n- a\n- b\n---\n", "not a mapping"),
])
def test_card_reader_refuses_what_it_does_not_understand(text, msg, tmp_path):
    (tmp_path / "README.md").write_text(text)
    r = subprocess.run([TT, "hf-card", str(tmp_path / "README.md")], capture_output=True,
                       text=True)
    assert r.returncode == 2 and msg in r.stderr, r.stderr

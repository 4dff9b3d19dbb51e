"""test_safetensors_interop.py - tensorport against the real safetensors,
torch and transformers packages.

* every dtype the pip safetensors package writes (numpy and torch paths,
  bf16, the f8 types, bool, complex64, F4 through float4_e2m1fn_x2) is read
  by tensorport with the same types, shapes and bytes (inspect --json), and
  a same-type conversion reproduces the package's file byte for byte;
* every file tensorport writes loads in safetensors/torch with identical
  values; with at most one metadata key the output is byte-identical to
  save_file (tensorport adds {"format": "pt"} when the source has no
  metadata, so that case is compared with save_file(..., metadata=
  {"format": "pt"}));
* folders written by transformers' save_pretrained(max_shard_size="200KB")
  are read (values equal to the model's state_dict) and converted, to a
  file and to a sharded folder that transformers loads back;
* --type f16 / bf16 give the values of torch's .to().

The binary is $TENSORPORT or <repo>/build/tensorport.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TP = os.environ.get("TENSORPORT", os.path.join(REPO, "build", "tensorport"))

torch = pytest.importorskip("torch")
st_numpy = pytest.importorskip("safetensors.numpy")
st_torch = pytest.importorskip("safetensors.torch")
from safetensors import safe_open  # noqa: E402


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


def read(path):
    with open(path, "rb") as f:
        return f.read()


def header_of(path):
    b = read(path)
    n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n]), n


def inspect_json(path):
    return json.loads(run("inspect", "--json", path).stdout)


def convert(src, dst, *opts):
    return run("convert", src, dst, "--no-progress", *opts)


# ---- dtype coverage -----------------------------------------------------------------

NUMPY_DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "float16", "uint32", "int32",
                "float32", "uint64", "int64", "float64", "complex64"]


def numpy_tensors():
    rng = np.random.default_rng(0)
    out = {}
    for i, dt in enumerate(NUMPY_DTYPES):
        shape = (3, 5) if i % 2 else (7,)
        if dt == "bool":
            a = rng.integers(0, 2, shape).astype(bool)
        elif dt.startswith(("uint", "int")):
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
        elif dt == "complex64":
            a = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
        else:
            a = rng.standard_normal(shape).astype(dt)
        out[f"t.{dt}"] = a
    out["scalar"] = np.array(3.5, dtype=np.float32)
    out["empty"] = np.zeros((4, 0), dtype=np.float32)
    return out


TORCH_DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.uint16, torch.float16,
                torch.bfloat16, torch.int32, torch.uint32, torch.float32, torch.complex64,
                torch.float64, torch.int64, torch.uint64, torch.float8_e4m3fn, torch.float8_e5m2]
for _name in ("float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"):
    if hasattr(torch, _name):
        TORCH_DTYPES.append(getattr(torch, _name))


def torch_tensors():
    g = torch.Generator().manual_seed(1)
    out = {}
    for i, dt in enumerate(TORCH_DTYPES):
        shape = (2, 3, 4) if i % 3 == 0 else (9,)
        raw = torch.randint(0, 256, shape + (torch.empty((), dtype=dt).element_size(),),
                            generator=g, dtype=torch.uint8)
        if dt == torch.bool:
            t = (raw[..., 0] & 1).bool()
        else:
            # random bit patterns, reinterpreted (NaNs included: compared as bytes)
            t = raw.view(dt).reshape(shape) if dt != torch.complex64 else \
                torch.randn(shape, dtype=dt, generator=g)
        out[f"w.{str(dt).split('.')[-1]}"] = t.contiguous()
    if hasattr(torch, "float4_e2m1fn_x2"):
        out["w.f4"] = torch.randint(0, 256, (4, 3), generator=g,
                                    dtype=torch.uint8).view(torch.float4_e2m1fn_x2)
    return out


def test_numpy_dtypes_read_and_rewritten_identically(tmp_path):
    src, dst = tmp_path / "np.safetensors", tmp_path / "out.safetensors"
    tensors = numpy_tensors()
    st_numpy.save_file(tensors, str(src), metadata={"format": "np"})
    info = inspect_json(src)
    hdr, _ = header_of(src)
    assert set(info["tensors"]) == set(tensors)
    for name, a in tensors.items():
        t = info["tensors"][name]
        assert t["type"] == hdr[name]["dtype"]
        assert list(t["shape"]) == list(a.shape)
        assert t["nbytes"] == a.nbytes
    convert(src, dst)
    assert read(dst) == read(src)
    back = st_numpy.load_file(str(dst))
    for name, a in tensors.items():
        assert back[name].dtype == a.dtype and back[name].tobytes() == a.tobytes()


def test_torch_dtypes_read_and_rewritten_identically(tmp_path):
    src, dst = tmp_path / "pt.safetensors", tmp_path / "out.safetensors"
    tensors = torch_tensors()
    st_torch.save_file(tensors, str(src), metadata={"format": "pt"})
    hdr, _ = header_of(src)
    info = inspect_json(src)
    for name in tensors:
        assert info["tensors"][name]["type"] == hdr[name]["dtype"], name
        assert list(info["tensors"][name]["shape"]) == hdr[name]["shape"], name
    convert(src, dst)
    assert read(dst) == read(src)
    back = st_torch.load_file(str(dst))
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype, name
        assert back[name].shape == t.shape, name
        assert back[name].contiguous().view(torch.uint8).tolist() == \
            t.contiguous().view(torch.uint8).tolist(), name


def test_tensor_bytes_match_package(tmp_path):
    """Each tensor's bytes at tensorport's offsets equal what safe_open returns."""
    src = tmp_path / "pt.safetensors"
    tensors = torch_tensors()
    st_torch.save_file(tensors, str(src))
    info = inspect_json(src)
    blob = read(src)
    with safe_open(str(src), "pt") as f:
        for name in f.keys():
            t = info["tensors"][name]
            got = blob[t["offset"]:t["offset"] + t["nbytes"]]
            assert got == f.get_tensor(name).contiguous().view(torch.uint8).numpy().tobytes(), name


# ---- byte identity of what tensorport writes ------------------------------------------

def test_output_identical_to_save_file(tmp_path):
    rng = np.random.default_rng(5)
    tensors = {
        "zeta": rng.standard_normal((3, 3)).astype(np.float32),
        "alpha": rng.standard_normal(5).astype(np.float16),
        "Alpha": rng.integers(0, 255, 7, dtype=np.uint8),   # odd length shifts later tensors
        "a.b": rng.standard_normal(2).astype(np.float64),
        "é/name \"q\"\t": rng.integers(-5, 5, (2, 2), dtype=np.int64),
        "r0": np.array(1, dtype=np.int32),
        "z0": np.zeros((0, 3), dtype=np.float32),
    }
    plain = tmp_path / "plain.safetensors"
    st_numpy.save_file(tensors, str(plain))          # no metadata
    out = tmp_path / "out.safetensors"
    convert(plain, out)
    ref = tmp_path / "ref.safetensors"
    st_numpy.save_file(tensors, str(ref), metadata={"format": "pt"})
    assert read(out) == read(ref)
    meta = tmp_path / "meta.safetensors"
    st_numpy.save_file(tensors, str(meta), metadata={"note": "x\ny\u00e9\u0001"})
    out2 = tmp_path / "out2.safetensors"
    convert(meta, out2)
    # a format key is added; sorted order puts "format" before "note"
    hdr, _ = header_of(out2)
    assert hdr["__metadata__"] == {"format": "pt", "note": "x\ny\u00e9\u0001"}
    back = st_numpy.load_file(str(out2))
    for k, a in tensors.items():
        assert back[k].tobytes() == a.tobytes()


# ---- dtype conversion -------------------------------------------------------------------

@pytest.mark.parametrize("typ,tdt", [("f16", torch.float16), ("bf16", torch.bfloat16)])
def test_type_conversion_matches_torch(tmp_path, typ, tdt):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(64, 33, generator=g) * 1000
    x[0, :6] = torch.tensor([float("inf"), -float("inf"), 1e-8, -1e-40, 65520.0, 3.0e38])
    src, dst = tmp_path / "f32.safetensors", tmp_path / f"{typ}.safetensors"
    st_torch.save_file({"x": x, "ix": torch.arange(5)}, str(src))
    convert(src, dst, "--type", typ)
    back = st_torch.load_file(str(dst))
    assert back["x"].dtype == tdt
    assert back["x"].view(torch.int16).tolist() == x.to(tdt).view(torch.int16).tolist()


# ---- transformers folders ---------------------------------------------------------------

@pytest.fixture(scope="module")
def hf_model(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    cfg = transformers.LlamaConfig(vocab_size=320, hidden_size=64, intermediate_size=128,
                                   num_hidden_layers=2, num_attention_heads=4,
                                   num_key_value_heads=2, max_position_embeddings=64,
                                   tie_word_embeddings=False)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(cfg)
    d = tmp_path_factory.mktemp("hf") / "tiny"
    model.save_pretrained(str(d), max_shard_size="200KB")
    return transformers, model, d


def test_read_sharded_save_pretrained(hf_model):
    _tr, model, d = hf_model
    names = os.listdir(d)
    assert "model.safetensors.index.json" in names
    assert sum(n.endswith(".safetensors") for n in names) > 1
    info = inspect_json(d)
    sd = model.state_dict()
    index = json.load(open(d / "model.safetensors.index.json"))
    assert set(info["tensors"]) == set(index["weight_map"])
    blobs = {}
    for name, t in info["tensors"].items():
        path = info["files"][t["file"]]["path"]
        blob = blobs.setdefault(path, read(path))
        got = blob[t["offset"]:t["offset"] + t["nbytes"]]
        assert got == sd[name].contiguous().view(torch.uint8).numpy().tobytes(), name


def test_convert_sharded_folder_to_file(hf_model, tmp_path):
    _tr, model, d = hf_model
    out = tmp_path / "one.safetensors"
    convert(d, out)
    back = st_torch.load_file(str(out))
    for name, t in model.state_dict().items():
        assert torch.equal(back[name], t), name
    with safe_open(str(out), "pt") as f:
        assert f.metadata() == {"format": "pt"}


def test_convert_folder_to_sharded_folder(hf_model, tmp_path):
    transformers, model, d = hf_model
    out = tmp_path / "resharded"
    convert(d, str(out) + "/", "--split-max-size", "200KB")
    index = json.load(open(out / "model.safetensors.index.json"))
    text = read(out / "model.safetensors.index.json").decode()
    assert text == json.dumps(index, indent=2, sort_keys=True) + "\n"
    assert index["metadata"]["total_size"] == sum(
        t.numel() * t.element_size() for t in model.state_dict().values())
    assert os.path.exists(out / "config.json")
    assert read(out / "config.json") == read(d / "config.json")
    for shard in set(index["weight_map"].values()):
        with safe_open(str(out / shard), "pt") as f:
            assert f.metadata() == {"format": "pt"}
    again = transformers.LlamaForCausalLM.from_pretrained(str(out))
    ref = model.state_dict()
    for name, t in again.state_dict().items():
        assert torch.equal(t, ref[name]), name


def test_folder_dtype_change_updates_config(hf_model, tmp_path):
    """transformers picks the load dtype from config.json, so the converted
    folder's config must name the new dtype; nothing else in it changes."""
    transformers, model, d = hf_model
    out = tmp_path / "bf16"
    convert(d, str(out) + "/", "--type", "bf16")
    src_text, out_text = read(d / "config.json").decode(), read(out / "config.json").decode()
    key = "dtype" if '"dtype"' in src_text else "torch_dtype"
    assert json.loads(src_text)[key] == "float32"
    assert json.loads(out_text)[key] == "bfloat16"
    assert out_text == src_text.replace(f'"{key}": "float32"', f'"{key}": "bfloat16"')
    again = transformers.LlamaForCausalLM.from_pretrained(str(out), dtype="auto")
    ref = model.state_dict()
    for name, t in again.state_dict().items():
        assert t.dtype == torch.bfloat16, name
        assert torch.equal(t, ref[name].to(torch.bfloat16)), name


def test_folder_config_edit_is_top_level_only(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    st_torch.save_file({"w": torch.ones(4, dtype=torch.float32),
                        "ids": torch.arange(3)}, str(src / "model.safetensors"))
    text = ('{"text_config": {"dtype": "float32", "s": "a \\"dtype\\": \\"x\\" }"},\n'
            ' "torch_dtype":"float32", "list": [1, {"dtype": "float32"}], "n": -1.5e3,\n'
            ' "dtype" : "float32", "flag": true}\n')
    (src / "config.json").write_text(text)
    out = tmp_path / "out"
    convert(src, str(out) + "/", "--type", "f16")
    got = read(out / "config.json").decode()
    assert got == text.replace('"torch_dtype":"float32"', '"torch_dtype":"float16"').replace(
        '"dtype" : "float32"', '"dtype" : "float16"')
    cfg = json.loads(got)
    assert cfg["text_config"]["dtype"] == "float32" and cfg["list"][1]["dtype"] == "float32"
    # mixed floating outputs: no single dtype to name, the file is copied as is
    st_torch.save_file({"w": torch.ones(4, dtype=torch.float32),
                        "h": torch.ones(4, dtype=torch.float16)}, str(src / "model.safetensors"))
    out2 = tmp_path / "out2"
    convert(src, str(out2) + "/")
    assert read(out2 / "config.json").decode() == text
    # a config that is not a JSON object: transformers cannot load such a
    # folder (a config is a dict), and the reader, which parses config.json
    # when it opens the folder, refuses it
    (src / "config.json").write_text("[1, 2]\n")
    out3 = tmp_path / "out3"
    r = run("convert", src, str(out3) + "/", "--no-progress", "--type", "f16", check=False)
    assert r.returncode == 2, r.stderr
    assert "config.json: json: the document is an array, expected an object" in r.stderr
    assert not out3.exists()


# The reader parses a folder's JSON documents (config.json, the tokenizer
# files, ...) when it opens it, as Python's json module reads them: a folder
# is accepted exactly when transformers reads its documents.
TINY = os.path.join(REPO, "examples", "tiny-llama")
CONFIG = open(os.path.join(TINY, "config.json")).read()
DOC_CASES = [
    # Python writes NaN/Infinity for non-finite floats and keeps big integers
    ("config.json", CONFIG.replace('"initializer_range": 0.02',
                                   '"initializer_range": 0.02, "x_nan": NaN, '
                                   '"x_inf": [Infinity, -Infinity, 1e400]')
     .replace('"pretraining_tp": 1', '"pretraining_tp": 1, "big": 123456789012345678901234567890'),
     True),
    ("config.json", CONFIG.replace('"use_cache": true', '"use_cache": false, "use_cache": true'),
     True),                                                         # last key wins
    ("config.json", CONFIG.replace('"silu"', '"si\\u0000lu", "act": "silu"'), True),
    ("config.json", CONFIG.replace('"use_cache": true', '"use_cache": true,'), False),
    ("config.json", CONFIG[:-3], False),                             # cut short
    ("config.json", "\ufeff" + CONFIG, False),                      # byte order mark
    ("generation_config.json", '{"bos_token_id": 0,, "eos_token_id": 1}', False),
    ("generation_config.json", '{"temperature": NaN, "top_k": 50}', True),
]


def transformers_reads(transformers, folder, name):
    try:
        if name == "config.json":
            transformers.AutoConfig.from_pretrained(str(folder))
        else:
            transformers.GenerationConfig.from_pretrained(str(folder))
        return True
    except (OSError, ValueError):
        return False


@pytest.mark.parametrize("name,text,accepted", DOC_CASES)
def test_folder_documents_read_as_transformers_reads_them(tmp_path, name, text, accepted):
    transformers = pytest.importorskip("transformers")
    folder = tmp_path / "m"
    folder.mkdir()
    for f in os.listdir(TINY):
        with open(os.path.join(TINY, f), "rb") as src:
            (folder / f).write_bytes(src.read())
    (folder / name).write_text(text, encoding="utf-8")
    assert transformers_reads(transformers, folder, name) == accepted
    r = run("inspect", folder, check=False)
    assert r.returncode == (0 if accepted else 2), r.stderr
    if not accepted:
        assert f"{name}: json: line " in r.stderr
    out = tmp_path / "out"
    r = run("convert", folder, str(out) + "/", "--no-progress", check=False)
    assert r.returncode == (0 if accepted else 2), r.stderr
    if accepted:  # copied byte for byte
        assert read(out / name) == text.encode("utf-8")
    else:
        assert not out.exists()


@pytest.fixture(scope="module")
def hf_chat_templates(tmp_path_factory):
    """A folder as transformers saves a tokenizer with named chat templates:
    chat_template.jinja plus additional_chat_templates/<name>.jinja."""
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(os.path.join(REPO, "examples", "tiny-llama"))
    tok.chat_template = {"default": "{{ messages[0]['content'] }}",
                         "tool_use": "TOOLS {{ messages|length }}", "rag": "RAG {{ 1 }}"}
    cfg = transformers.LlamaConfig(vocab_size=tok.vocab_size + 16, hidden_size=32,
                                   intermediate_size=64, num_hidden_layers=1,
                                   num_attention_heads=2, num_key_value_heads=1)
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("hfct") / "m"
    transformers.LlamaForCausalLM(cfg).save_pretrained(str(d))
    tok.save_pretrained(str(d))
    assert sorted(os.listdir(d / "additional_chat_templates")) == ["rag.jinja", "tool_use.jinja"]
    return transformers, tok, d


def test_folder_output_keeps_named_chat_templates(hf_chat_templates, tmp_path):
    transformers, tok, d = hf_chat_templates
    out = tmp_path / "out"
    convert(d, str(out) + "/", "--type", "bf16")
    for name in ("chat_template.jinja", "additional_chat_templates/rag.jinja",
                 "additional_chat_templates/tool_use.jinja"):
        assert read(out / name) == read(d / name), name
    again = transformers.AutoTokenizer.from_pretrained(str(out))
    assert again.chat_template == tok.chat_template


def test_folder_output_failure_removes_template_folder(hf_chat_templates, tmp_path):
    _tr, _tok, d = hf_chat_templates
    out = tmp_path / "out"

    def limit():
        import resource
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    r = subprocess.run([TP, "convert", str(d), str(out) + "/", "--quiet"],
                       stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    assert r.returncode == 3, r.stderr
    assert not out.exists()


def test_chat_template_folder_must_not_be_a_link(hf_chat_templates, tmp_path):
    _tr, _tok, d = hf_chat_templates
    src = tmp_path / "src"
    os.mkdir(src)
    for name in os.listdir(d):
        if name != "additional_chat_templates":
            (src / name).write_bytes(read(d / name))
    outside = tmp_path / "elsewhere"
    os.mkdir(outside)
    (outside / "x.jinja").write_text("X")
    os.symlink(outside, src / "additional_chat_templates")
    r = run("convert", src, str(tmp_path / "out") + "/", "--no-progress", check=False)
    assert r.returncode == 2, r.stderr
    assert "additional_chat_templates: not a folder (a symbolic link); refused" in r.stderr
    assert not (tmp_path / "out").exists()


# ---- a sentence-transformers folder keeps every side file ----------------------------

ST_SIDE_FILES = {
    "modules.json": json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"}], indent=2) + "\n",
    "sentence_bert_config.json": '{\n  "max_seq_length": 64,\n  "do_lower_case": false\n}\n',
    "config_sentence_transformers.json":
        '{"__version__": {"sentence_transformers": "3.0.0"}, "prompts": {},'
        ' "default_prompt_name": null, "similarity_fn_name": "cosine"}\n',
    "1_Pooling/config.json":
        '{"word_embedding_dimension": 32, "pooling_mode_cls_token": false,'
        ' "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false}\n',
    "vocab.txt": "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
                           + [f"w{i}" for i in range(59)]) + "\n",
    "README.md": "---\nlibrary_name: sentence-transformers\n---\n# tiny test model\n",
    "LICENSE": "Apache License 2.0\n",
    "merges.txt": "#version: 0.2\nw 0\n",
    "preprocessor_config.json": '{"do_resize": false}\n',
}
# stale weights in other formats and what git and the hub keep in hidden places
ST_NOT_COPIED = ["pytorch_model.bin", "onnx/model.onnx", "model.gguf", ".git/HEAD",
                 ".cache/huggingface/download/model.safetensors.metadata", ".gitattributes"]


@pytest.fixture(scope="module")
def st_folder(tmp_path_factory):
    """A BERT model as sentence-transformers publishes it: transformers'
    save_pretrained plus the pipeline's side files (sentence-transformers
    itself is not needed to write them), a stale pytorch_model.bin and an
    ONNX export, and git's and the hub cache's hidden folders."""
    transformers = pytest.importorskip("transformers")
    cfg = transformers.BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, intermediate_size=64,
                                  max_position_embeddings=64)
    torch.manual_seed(0)
    model = transformers.BertModel(cfg).eval()
    d = tmp_path_factory.mktemp("st") / "tiny-st"
    model.save_pretrained(str(d))
    for rel, text in ST_SIDE_FILES.items():
        os.makedirs(os.path.dirname(d / rel), exist_ok=True)
        (d / rel).write_text(text)
    torch.save(model.state_dict(), d / "pytorch_model.bin")
    for rel in ST_NOT_COPIED[1:]:
        os.makedirs(os.path.dirname(d / rel), exist_ok=True)
        (d / rel).write_bytes(b"not for the output")
    return transformers, model, d


@pytest.mark.parametrize("opts,dtype", [((), torch.float32), (("--type", "f16"), torch.float16)],
                         ids=["f32", "f16"])
def test_sentence_transformers_folder_keeps_side_files(st_folder, tmp_path, opts, dtype):
    transformers, model, d = st_folder
    out = tmp_path / "out"
    convert(d, str(out) + "/", *opts)
    for rel in ST_SIDE_FILES:
        assert read(out / rel) == read(d / rel), rel
    for rel in ST_NOT_COPIED:
        assert not (out / rel).exists(), rel
    assert not (out / "onnx").exists() and not (out / ".git").exists()
    # nothing else arrived: the weights, the configs and the side files
    got = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert got == sorted(["config.json", "model.safetensors", *ST_SIDE_FILES])
    again = transformers.AutoModel.from_pretrained(str(out), dtype="auto").eval()
    ref = model.state_dict()
    for name, t in again.state_dict().items():
        assert t.dtype == dtype, name
        assert torch.equal(t, ref[name].to(dtype)), name
    if dtype == torch.float32:
        ids = torch.tensor([[2, 7, 9, 11, 3]])
        with torch.no_grad():
            assert torch.equal(again(ids).last_hidden_state, model(ids).last_hidden_state)

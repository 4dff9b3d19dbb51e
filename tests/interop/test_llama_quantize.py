"""test_llama_quantize.py - `tensorport convert --type PRESET` against
llama-quantize on the same small random GGUF models.

For every case both tools quantize the same input; the outputs must have the
same tensors with the same type, shape and data bytes (read with gguf-py's
GGUFReader) and the same general.file_type. A preset also reproduces
llama-quantize's tensor order and key order, so for presets the whole files
must be byte-identical as well; for a plain element type (MXFP4) only the
tensor data is compared (tensorport keeps the input order there).

Cases:
* every preset the issue lists (Q4_K_M ... BF16) plus F32, TQ1_0, TQ2_0,
  MXFP4_MOE (Q1_0 and Q2_0 separately), on a dense model whose rows fit every block, on one whose rows
  (288, 176) force the shape fallbacks and whose output is tied to the
  embeddings, on an F16 source, and on an 8-expert MoE model;
* every quantized type via --pure runs (F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0,
  Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, TQ1_0, TQ2_0), and MXFP4 as a plain
  element type against `llama-quantize --pure MXFP4_MOE`;
* --output-tensor-type, --token-embedding-type, --tensor-type,
  --leave-output-tensor, and requantizing a Q8_0 file (refused without
  --allow-requantize by both).

Environment: TENSORPORT (default <repo>/build/tensorport), LLAMA_CPP_DIR
(default <repo>/build/llama.cpp; skipped when build/bin/llama-quantize is
missing there).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tphelpers

gguf = pytest.importorskip("gguf")
from gguf import GGUFReader  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gguf_models  # noqa: E402

PRESETS = ["Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q3_K_S", "Q3_K_M",
           "Q3_K_L", "Q2_K", "Q6_K", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
           "F16", "BF16"]
EXTRA_PRESETS = ["F32", "TQ1_0", "TQ2_0", "MXFP4_MOE"]
PURE_TYPES = ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K",
              "Q3_K", "Q4_K", "Q5_K", "Q6_K", "TQ1_0", "TQ2_0"]
MOE_PRESETS = ["Q4_K_M", "Q3_K_M", "Q2_K", "MXFP4_MOE"]
F16_PRESETS = ["Q4_K_M", "Q5_K_S", "Q3_K_L", "Q8_0", "F16", "BF16"]


@pytest.fixture(scope="module")
def llama_quantize() -> str:
    d = tphelpers.llama_cpp_dir()
    exe = d / "build" / "bin" / "llama-quantize" if d else None
    if exe is None or not os.access(exe, os.X_OK):
        pytest.skip("llama-quantize not found under LLAMA_CPP_DIR/build/bin "
                    "(scripts/setup.sh builds it)")
    return str(exe)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("models")
    return {
        "base": gguf_models.build_llama_gguf(d / "base.gguf", "base", "f32"),
        "odd": gguf_models.build_llama_gguf(d / "odd.gguf", "odd", "f32", seed=7),
        "base16": gguf_models.build_llama_gguf(d / "base16.gguf", "base", "f16",
                                               seed=3),
        "moe": gguf_models.build_llama_gguf(d / "moe.gguf", "moe", "f16", seed=5),
    }


def run_llama_quantize(exe: str, src: Path, dst: Path, ftype: str,
                       opts=()) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *opts, str(src), str(dst), ftype, "2"],
                          capture_output=True, text=True, errors="replace",
                          timeout=120)


def run_tensorport(src: Path, dst: Path, type_name: str,
                   opts=()) -> subprocess.CompletedProcess:
    return subprocess.run([tphelpers.tensorport_bin(), "convert", "--no-sync", "--force",
                           "--no-progress", str(src), str(dst), "--type",
                           type_name, *opts],
                          capture_output=True, text=True, errors="replace",
                          timeout=120)


def file_type(r: GGUFReader) -> int:
    f = r.fields["general.file_type"]
    return int(f.parts[f.data[0]][0])


def assert_same_tensors(a: Path, b: Path) -> None:
    ra, rb = GGUFReader(str(a)), GGUFReader(str(b))
    ta = {t.name: t for t in ra.tensors}
    tb = {t.name: t for t in rb.tensors}
    assert sorted(ta) == sorted(tb)
    bad = []
    for name, x in ta.items():
        y = tb[name]
        if x.tensor_type != y.tensor_type:
            bad.append(f"{name}: type {x.tensor_type.name} vs {y.tensor_type.name}")
        elif list(x.shape) != list(y.shape):
            bad.append(f"{name}: shape {list(x.shape)} vs {list(y.shape)}")
        elif x.data.tobytes() != y.data.tobytes():
            bad.append(f"{name}: {x.tensor_type.name} data differs")
    assert not bad, "llama-quantize vs tensorport:\n" + "\n".join(bad)
    assert file_type(ra) == file_type(rb)
    assert int(rb.fields["general.quantization_version"].parts[-1][0]) == 2


def gguf_py_knows(type_name: str) -> bool:
    return type_name in gguf.GGMLQuantizationType.__members__


def compare(exe, tmp_path, src, lq_type, tp_type, lq_opts=(), tp_opts=(),
            whole_file=True, by_tensor=True) -> None:
    lq_out, tp_out = tmp_path / "lq.gguf", tmp_path / "tp.gguf"
    r = run_llama_quantize(exe, src, lq_out, lq_type, lq_opts)
    assert r.returncode == 0, r.stderr[-2000:]
    r = run_tensorport(src, tp_out, tp_type, tp_opts)
    assert r.returncode == 0, r.stderr
    if by_tensor:
        assert_same_tensors(lq_out, tp_out)
    if whole_file:
        assert lq_out.read_bytes() == tp_out.read_bytes(), \
            "tensor data equal but the files differ (order or header)"


@pytest.mark.parametrize("preset", PRESETS + EXTRA_PRESETS)
@pytest.mark.parametrize("model", ["base", "odd"])
def test_preset(llama_quantize, models, tmp_path, model, preset):
    compare(llama_quantize, tmp_path, models[model], preset, preset)


@pytest.mark.parametrize("preset", ["Q1_0", "Q2_0"])
@pytest.mark.parametrize("model", ["base", "moe"])
def test_preset_low_bit(llama_quantize, models, tmp_path, model, preset):
    # older gguf-py cannot read Q1_0/Q2_0 tensors: then the whole-file
    # comparison alone decides
    compare(llama_quantize, tmp_path, models[model], preset, preset,
            by_tensor=gguf_py_knows(preset))


def test_preset_no_fallback(llama_quantize, models, tmp_path):
    # Q2_0 falls back to Q4_0; Q1_0 (block 128) has no fallback: both tools
    # refuse a 288-long row
    compare(llama_quantize, tmp_path, models["odd"], "Q2_0", "Q2_0",
            by_tensor=gguf_py_knows("Q2_0"))
    r = run_llama_quantize(llama_quantize, models["odd"], tmp_path / "x.gguf",
                           "Q1_0")
    assert r.returncode != 0 and "no tensor type fallback" in r.stderr
    r = run_tensorport(models["odd"], tmp_path / "y.gguf", "Q1_0")
    assert r.returncode != 0 and "no fallback" in r.stderr
    assert not (tmp_path / "y.gguf").exists()


@pytest.mark.parametrize("preset", F16_PRESETS)
def test_preset_f16_source(llama_quantize, models, tmp_path, preset):
    compare(llama_quantize, tmp_path, models["base16"], preset, preset)


@pytest.mark.parametrize("preset", MOE_PRESETS)
def test_preset_moe(llama_quantize, models, tmp_path, preset):
    compare(llama_quantize, tmp_path, models["moe"], preset, preset)


@pytest.mark.parametrize("type_name", PURE_TYPES)
@pytest.mark.parametrize("model", ["base", "odd"])
def test_pure(llama_quantize, models, tmp_path, model, type_name):
    compare(llama_quantize, tmp_path, models[model], type_name, type_name,
            lq_opts=["--pure"], tp_opts=["--pure"])


@pytest.mark.parametrize("model", ["base", "moe"])
def test_mxfp4_element_type(llama_quantize, models, tmp_path, model):
    # MXFP4 is an element type, not a preset: same data as --pure MXFP4_MOE,
    # in the input's tensor order
    compare(llama_quantize, tmp_path, models[model], "MXFP4_MOE", "MXFP4",
            lq_opts=["--pure"], whole_file=False)


OPTION_CASES = {
    "output-tensor-type": (["--output-tensor-type", "q8_0"], "Q4_K_M"),
    "token-embedding-type": (["--token-embedding-type", "q6_k"], "Q3_K_M"),
    "both-on-f16": (["--output-tensor-type", "q4_k",
                     "--token-embedding-type", "f16"], "F16"),
    "tensor-type": (["--tensor-type", "attn_v=q8_0",
                     "--tensor-type", r"blk\.1\..*=q5_0",
                     "--tensor-type", "ffn_down=q2_k"], "Q4_K_M"),
    "tensor-type-pure": (["--tensor-type", "attn_q=q8_0", "--pure"], "Q2_K"),
    "leave-output-tensor": (["--leave-output-tensor"], "Q5_K_M"),
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
@pytest.mark.parametrize("model", ["base", "odd"])
def test_options(llama_quantize, models, tmp_path, model, case):
    opts, preset = OPTION_CASES[case]
    if model == "odd" and case == "token-embedding-type":
        # Q6_K does not fit a 288-long row and this override skips the
        # fallback: llama-quantize aborts ("quantized data validation
        # failed"), tensorport refuses the plan (see test_refusals)
        opts = ["--token-embedding-type", "q8_0"]
    compare(llama_quantize, tmp_path, models[model], preset, preset,
            lq_opts=opts, tp_opts=opts)


@pytest.mark.parametrize("preset", ["Q4_K_M", "Q8_0", "F16"])
def test_single_row_tensors(llama_quantize, tmp_path, preset):
    # [1, 256] and [1, 1, 256] are 2-D and 3-D tensors of one row; ggml_n_dims
    # counts 1, so llama-quantize leaves them as they are ([256, 1], one
    # column, is quantized, falling back to F16 for its row of 1)
    spec = gguf_models.variant("two", extra=(("blk.0.row.weight", (1, 256)),
                                             ("blk.1.row3.weight", (1, 1, 256)),
                                             ("blk.1.col.weight", (256, 1))))
    src = gguf_models.build_llama_gguf(tmp_path / "rows.gguf", spec, "f32")
    compare(llama_quantize, tmp_path, src, preset, preset)
    types = {t.name: t.tensor_type.name for t in GGUFReader(str(tmp_path / "tp.gguf")).tensors}
    assert types["blk.0.row.weight"] == types["blk.1.row3.weight"] == "F32"
    assert types["blk.1.col.weight"] == "F16"
    r = subprocess.run([tphelpers.tensorport_bin(), "convert", "--dry-run", "--json",
                        str(src), str(tmp_path / "x.gguf"), "--type", preset],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    notes = {t["name"]: t["note"] for t in json.loads(r.stdout)["tensors"]}
    assert ("not quantized ([1, 256] is a single row: ggml_n_dims 1); written as [256]"
            in notes["blk.0.row.weight"])
    assert ("not quantized ([1, 1, 256] is a single row: ggml_n_dims 1); written as [256]"
            in notes["blk.1.row3.weight"])
    assert notes["blk.0.attn_norm.weight"].endswith("not quantized (1-D)")


def test_requantize(llama_quantize, models, tmp_path):
    q8 = tmp_path / "q8.gguf"
    r = run_llama_quantize(llama_quantize, models["base"], q8, "Q8_0")
    assert r.returncode == 0, r.stderr[-2000:]
    # both refuse to requantize without the flag
    r = run_llama_quantize(llama_quantize, q8, tmp_path / "x.gguf", "Q4_K_M")
    assert r.returncode != 0 and "requantizing" in r.stderr
    r = run_tensorport(q8, tmp_path / "y.gguf", "Q4_K_M")
    assert r.returncode != 0 and "--allow-requantize" in r.stderr
    assert not (tmp_path / "y.gguf").exists()
    compare(llama_quantize, tmp_path, q8, "Q4_K_M", "Q4_K_M",
            lq_opts=["--allow-requantize"], tp_opts=["--allow-requantize"])
    # already of the target type: copied, no flag needed
    compare(llama_quantize, tmp_path, q8, "Q8_0", "Q8_0")


def test_refusals(models, tmp_path):
    out = tmp_path / "out.gguf"
    # needs an importance matrix (llama-quantize refuses it too)
    r = run_tensorport(models["base"], out, "IQ2_XXS")
    assert r.returncode != 0 and "importance matrix" in r.stderr
    r = run_tensorport(models["base"], out, "IQ4_NL")
    assert r.returncode != 0 and "IQ4_NL" in r.stderr
    # an override that does not fit the row is refused before writing
    r = run_tensorport(models["odd"], out, "Q4_K_M",
                       ["--token-embedding-type", "q6_k"])
    assert r.returncode != 0 and "288" in r.stderr
    assert not out.exists()

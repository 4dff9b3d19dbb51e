"""bench_gguf.py - GGUF quantization against llama-quantize, and GGUF
dequantization against gguf-py.

Input: a llama-architecture GGUF (gen_inputs.py gguf-f16): 10 layers,
n_embd 2048, n_ff 5632, vocab 32000, 571M parameters, F16 matrices
(1.06 GiB).

  quantize   F16 -> Q8_0 and F16 -> Q4_K_M:
               llama-quantize IN OUT TYPE 2
               tensorport convert IN OUT --type TYPE --threads 2 [--no-sync]
             then both outputs are read with gguf-py's GGUFReader and every
             tensor's name, type, shape and data bytes compared (and the
             whole files, which should be byte-identical for presets).
             Target: ahead of llama-quantize.
  dequant    Q4_K_M (written by llama-quantize from the input above) ->
             SafeTensors F16:
               tensorport convert IN OUT --type f16 --threads 2 [--no-sync]
               Python: GGUFReader + gguf.quants.dequantize + astype(float16)
                       + safetensors.numpy.save_file
             the two outputs are compared tensor by tensor (values).
             Target: 20x the Python tool.

usage: bench_gguf.py [quantize] [dequant]
"""
from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import harness as h

QUANTIZE = str(h.LLAMA_BIN / "llama-quantize")


def f16_input() -> Path:
    return h.ensure_input(h.INPUTS / "llama-571m-f16.gguf", ["gguf-f16"])


def compare_gguf(a: Path, b: Path) -> str:
    from gguf import GGUFReader

    ra, rb = GGUFReader(str(a)), GGUFReader(str(b))
    ta = {t.name: t for t in ra.tensors}
    tb = {t.name: t for t in rb.tensors}
    problems = []
    if set(ta) != set(tb):
        problems.append(f"tensor names differ: {sorted(set(ta) ^ set(tb))[:5]}")
    same = 0
    types = {}
    for name in sorted(set(ta) & set(tb)):
        x, y = ta[name], tb[name]
        if x.tensor_type != y.tensor_type or list(x.shape) != list(y.shape):
            problems.append(f"{name}: {x.tensor_type.name} {list(x.shape)} vs "
                            f"{y.tensor_type.name} {list(y.shape)}")
        elif x.data.tobytes() != y.data.tobytes():
            problems.append(f"{name}: data bytes differ")
        else:
            same += 1
            types[x.tensor_type.name] = types.get(x.tensor_type.name, 0) + 1
    whole = filecmp.cmp(a, b, shallow=False)
    mix = ", ".join(f"{n} {k}" for k, n in sorted(types.items()))
    if problems:
        return (f"**outputs differ**: {same}/{len(ta)} tensors identical; "
                + "; ".join(problems[:5]))
    return (f"outputs checked with gguf-py: all {same} tensors have the same name, "
            f"type, shape and data bytes as llama-quantize's ({mix}); the whole "
            f"files are {'byte-identical' if whole else 'NOT byte-identical (metadata or order)'}.")


def bench_quantize(qtype: str) -> str:
    src = f16_input()
    size = src.stat().st_size
    d = h.scratch(f"quant-{qtype.lower()}")
    out = d / "out.gguf"
    ref = d / "ref.gguf"
    cs = h.tp_variants("tp", "tensorport", [str(src), str(out), "--type", qtype], out)
    cs.append(h.Contender("lq", "llama-quantize",
                          [QUANTIZE, str(src), str(out), qtype, str(h.THREADS)], [out]))
    h.measure(cs)
    # outputs of one more run of each, compared
    subprocess.run(cs[-1].argv[:2] + [str(ref)] + cs[-1].argv[3:], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    h.remove([out])
    subprocess.run(cs[0].argv, check=True)
    check = compare_gguf(out, ref)
    by = {c.key: c for c in cs}
    text = [h.table(f"GGUF F16 -> {qtype}, {h.fmt_size(size)} input (571M parameters)",
                    cs, {"lq": "vs llama-quantize"}, size), ""]
    r = by["lq"].median / by["tp_ns"].median
    r_sync = by["lq"].median / by["tp"].median
    text.append(f"Target: ahead of llama-quantize: {r:.2f}x with --no-sync "
                f"({h.verdict(r > 1)}), {r_sync:.2f}x with fsync.")
    text.append("")
    text.append(check)
    text.append("")
    text.append(h.commands(cs))
    h.save_json(f"quant-{qtype.lower()}", cs, {"input_bytes": size, "check": check})
    h.remove([d])
    return "\n".join(text)


def q4km_input() -> Path:
    p = h.INPUTS / "llama-571m-q4_k_m.gguf"
    if p.exists():
        h.log(f"reusing input {p}")
        return p
    tmp = p.with_name(p.name + ".partial")
    h.log(f"building input {p} with llama-quantize")
    subprocess.run([QUANTIZE, str(f16_input()), str(tmp), "Q4_K_M", str(h.THREADS)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp.rename(p)
    return p


def compare_st(a: Path, b: Path) -> str:
    import numpy as np
    from safetensors import safe_open

    with safe_open(str(a), "np") as fa, safe_open(str(b), "np") as fb:
        ka, kb = set(fa.keys()), set(fb.keys())
        if ka != kb:
            return f"**outputs differ**: tensor names {sorted(ka ^ kb)[:5]}"
        bad = []
        for k in sorted(ka):
            x, y = fa.get_tensor(k), fb.get_tensor(k)
            if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(
                    x.view(np.uint16), y.view(np.uint16)):
                bad.append(k)
        if bad:
            return f"**outputs differ** in {len(bad)} tensors, e.g. {bad[:3]}"
        return (f"outputs checked: all {len(ka)} tensors of tensorport's output have "
                f"the same names, dtype (F16), shapes and bits as the Python tool's.")


def bench_dequant() -> str:
    src = q4km_input()
    size = src.stat().st_size
    d = h.scratch("dequant")
    out = d / "out.safetensors"
    cs = h.tp_variants("tp", "tensorport", [str(src), str(out), "--type", "f16"], out)
    cs.append(h.Contender("py", "Python gguf-py+numpy",
                          [h.PY, str(h.ROOT / "bench" / "py" / "gguf_dequant_numpy.py"),
                           str(src), str(out)], [out]))
    h.measure(cs)
    ref = d / "ref.safetensors"
    subprocess.run([*cs[-1].argv[:-1], str(ref)], check=True)
    h.remove([out])
    subprocess.run(cs[0].argv, check=True)
    check = compare_st(out, ref)
    out_size = ref.stat().st_size
    by = {c.key: c for c in cs}
    r = by["py"].median / by["tp_ns"].median
    text = [h.table(f"GGUF Q4_K_M ({h.fmt_size(size)}) -> SafeTensors F16 "
                    f"({h.fmt_size(out_size)})", cs, {"py": "vs Python"}, size), ""]
    text.append(f"Target: 20x the Python tool: {r:.1f}x with --no-sync "
                f"({h.verdict(r >= 20)}), "
                f"{by['py'].median / by['tp'].median:.1f}x with fsync.")
    text.append("")
    text.append(check)
    text.append("")
    text.append(h.commands(cs))
    h.save_json("dequant", cs, {"input_bytes": size, "output_bytes": out_size,
                                "check": check})
    h.remove([d])
    return "\n".join(text)


def main() -> None:
    what = sys.argv[1:] or ["quantize", "dequant"]
    for w in what:
        if w == "quantize":
            for q in ("Q8_0", "Q4_K_M"):
                print(bench_quantize(q), flush=True)
                print(flush=True)
        elif w == "dequant":
            print(bench_dequant(), flush=True)
            print(flush=True)
        else:
            sys.exit(__doc__)


if __name__ == "__main__":
    main()

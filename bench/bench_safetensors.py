"""bench_safetensors.py - SafeTensors dtype change, BF16 -> F16 and F32 -> F16.

Input: a Llama-7B-shaped SafeTensors file (gen_inputs.py st): BF16 with
embeddings + 5 layers (2.13 GiB), F32 with embeddings + 3 layers (2.75 GiB).

Contenders, each a whole process on the same warm input:
  tensorport convert IN OUT --type f16 --threads 2 [--no-sync]
  Python/torch: load_file, .to(torch.float16), save_file (2 torch threads)
  Python/numpy (F32 only): safetensors.numpy load_file, astype, save_file
  cp IN OUT     the kernel's copy (copy_file_range; ext4 has no reflinks, so
                it is an in-kernel byte copy without the trip to user space)
  cat IN > OUT  an honest user-space byte copy: the I/O floor

Target: tensorport at least 20x faster than the Python tools, or, where 20x
is below the floor of copying the same bytes, within 1.5x of that copy.
The like-for-like figure is --no-sync (no peer fsyncs).

usage: bench_safetensors.py [bf16|f32 ...]
"""
from __future__ import annotations

import os
import sys

import harness as h

PYDIR = h.ROOT / "bench" / "py"


def bench(dtype: str) -> str:
    src = h.ensure_input(h.INPUTS / f"llama-{dtype}.safetensors", ["st", dtype])
    size = src.stat().st_size
    d = h.scratch(f"st-{dtype}")
    out = d / "out.safetensors"
    cs = h.tp_variants("tp", "tensorport", [str(src), str(out), "--type", "f16"], out)
    cs.append(h.Contender("torch", "Python safetensors+torch",
                          [h.PY, str(PYDIR / "st_cast_torch.py"), str(src), str(out),
                           str(h.THREADS)], [out]))
    if dtype == "f32":
        cs.append(h.Contender("numpy", "Python safetensors+numpy",
                              [h.PY, str(PYDIR / "st_cast_numpy.py"), str(src), str(out)],
                              [out]))
    cs.append(h.Contender("cp", "cp IN OUT", ["cp", str(src), str(out)], [out]))
    cs.append(h.Contender("cat", "cat IN > OUT",
                          ["sh", "-c", 'exec cat "$1" > "$2"', "cat", str(src), str(out)],
                          [out]))
    h.measure(cs)
    h.remove(cs[0].outputs)
    refs = {"torch": "vs torch"}
    if dtype == "f32":
        refs["numpy"] = "vs numpy"
    refs.update({"cp": "vs cp", "cat": "vs cat"})
    title = f"SafeTensors {dtype.upper()} -> F16, {h.fmt_size(size)} input"
    text = [h.table(title, cs, refs, size), ""]
    by = {c.key: c for c in cs}
    tp = by["tp_ns"].median
    pys = [by[k].median for k in ("torch", "numpy") if k in by]
    speedup = min(pys) / tp
    floor = by["cat"].median
    below_floor = min(pys) / 20 < floor
    ok = speedup >= 20 or (below_floor and tp <= 1.5 * floor)
    text.append(
        f"Target: tensorport --no-sync is {speedup:.1f}x the fastest Python tool; "
        f"20x would mean {min(pys) / 20:.2f} s, "
        + (f"below the floor of copying the input (`cat` {floor:.2f} s), so the "
           f"target is to stay within 1.5x of that copy: tensorport takes "
           f"{tp / floor:.2f}x the time of `cat` and {tp / by['cp'].median:.2f}x "
           f"that of `cp`: {h.verdict(ok)}."
           if below_floor else f"above the copy floor, so 20x applies: {h.verdict(ok)}."))
    text.append("")
    text.append(h.commands(cs))
    h.save_json(f"st-{dtype}", cs, {"input_bytes": size, "speedup_vs_python": speedup,
                                    "vs_cat": tp / floor})
    h.remove([d])
    return "\n".join(text)


def main() -> None:
    kinds = sys.argv[1:] or ["bf16", "f32"]
    for k in kinds:
        print(bench(k), flush=True)
        print(flush=True)


if __name__ == "__main__":
    main()

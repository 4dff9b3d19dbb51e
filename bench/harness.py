"""harness.py - side-by-side timing of whole commands.

Every contender is a complete process (interpreter start-up and imports
included for the Python tools, as a user runs them). For each contender:
one warm-up run (so the input is in the page cache for everyone), then
BENCH_RUNS timed runs (default 5); the median wall time is reported, with
the peak RSS of the child (ru_maxrss). Before every run, warm-up included,
the outputs of the previous run are deleted and the file system is synced
(untimed), so no contender pays for another's write-back or block freeing.
Contenders are interleaved run by run (A B C, A B C, ...) so slow drifts of
the machine (page-cache reclaim, neighbours on the host) spread evenly.
"""
from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("BUILD", "build"))
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
BENCH = BUILD / "bench"
INPUTS = BENCH / "inputs"
PY = os.environ.get("BENCH_PYTHON") or str(BUILD / "venv" / "bin" / "python")
TP = os.environ.get("TENSORPORT") or str(BUILD / "tensorport")
LLAMA_BIN = Path(os.environ.get("LLAMA_CPP_DIR") or BUILD / "llama.cpp") / "build" / "bin"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
GiB = 1 << 30


@dataclass
class Contender:
    key: str            # short id used for ratios
    label: str          # what the table shows
    argv: list          # argv, or ["sh", "-c", ...] for redirections
    outputs: list       # paths removed before every run
    times: list = field(default_factory=list)
    rss_mib: float = 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def scratch(name: str) -> Path:
    d = BENCH / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def remove(paths) -> None:
    for p in paths:
        p = Path(p)
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def run_once(c: Contender) -> float:
    remove(c.outputs)
    os.sync()
    time.sleep(0.2)
    t0 = time.perf_counter()
    proc = subprocess.Popen(c.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bench: {c.label} failed with exit code {code}:\n"
                 f"  {shlex.join(c.argv)}\n{err[-3000:]}")
    c.rss_mib = max(c.rss_mib, usage.ru_maxrss / 1024.0)
    return dt


def measure(contenders: list[Contender], runs: int = RUNS) -> None:
    """Warm-up for everyone, then `runs` interleaved rounds."""
    for c in contenders:
        log(f"warm-up: {c.label}")
        run_once(c)
    for r in range(runs):
        for c in contenders:
            c.times.append(run_once(c))
        log("round %d/%d: %s" % (r + 1, runs, ", ".join(
            f"{c.key} {c.times[-1]:.2f}s" for c in contenders)))


def ensure_input(path: Path, gen_args: list[str]) -> Path:
    """Reuses path when it exists (inputs are deterministic), else builds it."""
    if path.exists():
        log(f"reusing input {path}")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    log(f"building input {path} ({' '.join(gen_args)})")
    subprocess.run([PY, str(ROOT / "bench" / "gen_inputs.py"), *gen_args, str(tmp)],
                   check=True)
    tmp.rename(path)
    return path


def fmt_size(n: int) -> str:
    return f"{n / GiB:.2f} GiB" if n >= GiB else f"{n / (1 << 20):.0f} MiB"


def table(title: str, contenders: list[Contender], ratio_to: dict[str, str],
          bytes_in: int) -> str:
    """Markdown table: median, min, max, peak RSS, throughput, and for every
    contender the ratio (their median / this median) to each reference in
    ratio_to (key -> column title): > 1 means this contender is faster."""
    by = {c.key: c for c in contenders}
    head = ["contender", "median s", "min s", "max s", "peak RSS MiB", "input GB/s"]
    head += list(ratio_to.values())
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for c in contenders:
        row = [c.label, f"{c.median:.2f}", f"{min(c.times):.2f}", f"{max(c.times):.2f}",
               f"{c.rss_mib:.0f}", f"{bytes_in / c.median / 1e9:.2f}"]
        for key in ratio_to:
            row.append(f"{by[key].median / c.median:.2f}x" if key in by else "-")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("All times: %d runs after one warm-up; ratio = reference median / "
                 "row median (above 1: the row is faster)." % len(contenders[0].times))
    return "\n".join(lines)


def commands(contenders: list[Contender]) -> str:
    out = ["Commands:", ""]
    for c in contenders:
        out.append(f"* {c.label}: `{shlex.join(c.argv)}`")
    return "\n".join(out)


def save_json(name: str, contenders: list[Contender], extra: dict) -> None:
    d = BENCH / "results"
    d.mkdir(parents=True, exist_ok=True)
    data = {"name": name, "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "host": platform.node(), "runs": RUNS, "threads": THREADS,
            "contenders": [{"key": c.key, "label": c.label, "argv": c.argv,
                            "times": c.times, "median": c.median,
                            "peak_rss_mib": c.rss_mib} for c in contenders]}
    data.update(extra)
    (d / f"{name}.json").write_text(json.dumps(data, indent=1))


def tp_variants(key: str, label: str, args: list[str], out: Path) -> list[Contender]:
    """tensorport with fsync (the default) and with --no-sync (like for like:
    none of the peers fsyncs)."""
    base = [TP, "convert", *args, "--threads", str(THREADS), "--quiet"]
    return [Contender(key + "_ns", label + " --no-sync", base + ["--no-sync"], [out]),
            Contender(key, label + " (fsync)", base, [out])]


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"

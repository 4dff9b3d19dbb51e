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


def cpu_busy(interval: float = 1.0) -> float:
    """Fraction of all CPUs busy over interval (nobody of ours runs then)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return sum(v[:8]), idle
    t0, i0 = snap()
    time.sleep(interval)
    t1, i1 = snap()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


NOISY = {"runs": 0, "waited_s": 0.0}


def wait_quiet() -> None:
    """Waits (up to BENCH_QUIET_WAIT seconds per run) until other processes
    leave the CPUs idle (< BENCH_QUIET_BUSY, default 10%), so a compiler or
    test suite running beside the benchmark does not skew one contender."""
    limit = float(os.environ.get("BENCH_QUIET_WAIT", "900"))
    busy_max = float(os.environ.get("BENCH_QUIET_BUSY", "0.10"))
    t0 = time.monotonic()
    warned = False
    while True:
        b = cpu_busy()
        if b < busy_max:
            return
        waited = time.monotonic() - t0
        if waited > limit:
            NOISY["runs"] += 1
            log(f"machine still busy ({b:.0%}) after {waited:.0f} s; running anyway")
            return
        if not warned:
            log(f"other processes keep the CPUs {b:.0%} busy; waiting for quiet")
            warned = True
        NOISY["waited_s"] += 1.0
        time.sleep(2.0)


def run_once(c: Contender) -> float:
    """One timed run of c. The child runs under /usr/bin/time only to read
    its peak RSS: Linux keeps ru_maxrss across execve, so a child forked
    from this (larger) Python process would report our size."""
    remove(c.outputs)
    os.sync()
    wait_quiet()
    rss_file = BENCH / ".rss"
    argv = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *c.argv]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"bench: {c.label} failed with exit code {proc.returncode}:\n"
                 f"  {shlex.join(c.argv)}\n{err[-3000:]}")
    try:
        kib = float(rss_file.read_text().split()[-1])
        c.rss_mib = max(c.rss_mib, kib / 1024.0)
    except (OSError, ValueError, IndexError):
        pass
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
    lines.append("Median of %d runs after one warm-up; ratio = reference median / "
                 "row median (above 1: the row is faster)." % len(contenders[0].times))
    if NOISY["runs"]:
        lines.append(f"Caution: {NOISY['runs']} runs so far started while other "
                     "processes kept the CPUs busy.")
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
            "noisy_runs_so_far": NOISY["runs"],
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

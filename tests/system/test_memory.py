"""Peak memory of a conversion must not grow with the model's size.

Converts a 200 MiB and a 2 GiB F32 SafeTensors file to F16 and compares the
peak resident set size of the two runs (measured by the kernel for the child
process). The documented bound (docs/ARCHITECTURE.md) is a few chunk buffers
per worker plus per-tensor bookkeeping: well under 64 MiB here.
"""
import os
import subprocess
import time
from pathlib import Path

import pytest

from tphelpers import tensorport_bin, write_f32_model

MiB = 1 << 20


def write_layers(path: Path, total_bytes: int, tensor_bytes: int) -> None:
    write_f32_model(path, total_bytes, tensor_bytes, cols=4096,
                    name="layer.{:04d}.weight", seed=1)


def peak_rss_mib(args) -> float:
    """Peak resident set of the tensorport process itself: VmHWM of its own
    address space, sampled until it exits. (ru_maxrss from wait4 would also
    count this large Python process, whose high-water mark survives fork and
    exec.)"""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_kib = 0
    status = f"/proc/{proc.pid}/status"
    while proc.poll() is None:
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        time.sleep(0.005)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.returncode == 0, err
    assert peak_kib > 0, "could not sample the process"
    return peak_kib / 1024.0


@pytest.mark.skipif(os.statvfs("/tmp").f_bavail * os.statvfs("/tmp").f_frsize < 8 << 30,
                    reason="needs 8 GiB of free disk space")
def test_peak_rss_does_not_grow_with_model_size(tmp_path):
    tp = tensorport_bin()
    small, big = tmp_path / "small.safetensors", tmp_path / "big.safetensors"
    write_layers(small, 200 * MiB, 8 * MiB)
    write_layers(big, 2048 * MiB, 64 * MiB)
    rss = {}
    for name, src in (("small", small), ("big", big)):
        out = tmp_path / f"{name}-f16.safetensors"
        rss[name] = peak_rss_mib([tp, "convert", str(src), str(out), "--type", "f16",
                                  "--threads", "2", "--no-sync", "--quiet"])
        assert out.stat().st_size > 0
        out.unlink()
    print(f"peak RSS: 200 MiB model {rss['small']:.1f} MiB, 2 GiB model {rss['big']:.1f} MiB")
    assert rss["big"] < 64, rss
    assert rss["big"] < rss["small"] + 16, rss

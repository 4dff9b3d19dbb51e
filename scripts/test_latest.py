#!/usr/bin/env python3
"""test_latest.py - the interop tier against the newest releases of the test
tools, as a named report (`make test-latest`; never part of `make test`).

Run with the interpreter of build/venv-latest (scripts/setup.sh latest made
it). Compares every pin of tests/requirements.txt (and the llama-cpp-python
version of scripts/setup.sh) with what is installed, runs pytest on
tests/interop, and writes build/test-latest-report.md: which packages moved,
and which tests fail with the newest versions. Exits 1 when a test fails, so
drift is seen, but it never touches the pinned build/venv.
"""
import argparse
import datetime
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins():
    out = {}
    for line in (ROOT / "tests" / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def llama_pin():
    m = re.search(r"^LLAMA_CPP_PY_VERSION=(\S+)", (ROOT / "scripts" / "setup.sh").read_text(), re.M)
    return m.group(1) if m else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--llama-dir", required=True)
    ap.add_argument("--llama-version", required=True)
    ap.add_argument("pytest_args", nargs="*")
    a = ap.parse_args()
    build = Path(a.build)
    junit = build / "test-latest-junit.xml"
    report = build / "test-latest-report.md"

    rows = []
    for name, pinned in pins().items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = "not installed"
        rows.append((name, pinned, have))
    rows.append(("llama-cpp-python (llama.cpp sources)", llama_pin(), a.llama_version))

    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           f"--junitxml={junit}", str(ROOT / "tests" / "interop"), *a.pytest_args]
    env = dict(__import__("os").environ, LLAMA_CPP_DIR=a.llama_dir)
    rc = subprocess.call(cmd, env=env, cwd=ROOT)

    failed, counts = [], {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if junit.exists():
        root = ET.parse(junit).getroot()
        for suite in root.iter("testsuite"):
            for k in counts:
                counts[k] += int(suite.get(k, 0))
        for case in root.iter("testcase"):
            for tag in ("failure", "error"):
                el = case.find(tag)
                if el is not None:
                    msg = (el.get("message") or "").splitlines()
                    failed.append((f"{case.get('classname')}::{case.get('name')}", tag,
                                   msg[0][:200] if msg else ""))

    lines = [f"# test-latest report ({datetime.date.today().isoformat()})", "",
             "The interop tier against the newest release of every test tool.", "",
             "| package | pinned | newest | |", "|---|---|---|---|"]
    for name, pinned, have in rows:
        lines.append(f"| {name} | {pinned} | {have} | {'' if pinned == have else 'moved'} |")
    lines += ["", f"{counts['tests']} tests: {counts['failures']} failed, {counts['errors']} errors, "
              f"{counts['skipped']} skipped (pytest exit status {rc}).", ""]
    if failed:
        lines += ["## Failing with the newest versions", ""]
        lines += [f"- `{n}` ({t}): {m}" for n, t, m in failed]
    else:
        lines.append("Nothing fails with the newest versions: the pins can move "
                     "(tests/requirements.txt says how).")
    report.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nreport: {report}")
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

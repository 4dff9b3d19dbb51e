#!/usr/bin/env python3
"""run_malformed.py - runs the malformed-input corpus against the tensorport CLI.

Usage: run_malformed.py --tensorport PATH [--only NAME] [--keep] [-v]

Imports every cases_*.py beside this script (each exposes CASES, a list of
common.Case). For each case and each of its commands, a fresh temporary
folder receives the case's files, then the runner executes

    tensorport inspect INPUT
    tensorport convert INPUT OUT      (OUT = out/out.<input's extension>)

and checks: the exit status equals expect_exit; stderr matches expect_msg
(re.search); the process was not killed by a signal and printed no
sanitizer report; stderr is valid UTF-8 without control bytes (names
from files are escaped); it finished within the time limit; for a failing case the
output does not exist afterwards, for expect_exit 0 it does (and is then
removed); no temporary file (".*.tmp.*") remains in the output folder.
Prints one line per failure and a summary; exits 1 when anything failed.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import Case, Sparse, Symlink  # noqa: E402

TIME_LIMIT = 10.0  # seconds; ASan builds are slow
TMP_RE = re.compile(r"^\..*\.tmp\..*")
# C0 controls but tab and newline, DEL, and the C1 controls
RAW_BYTES_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|"
                          r"UndefinedBehaviorSanitizer")


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("cases_") and fn.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(HERE, fn))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for c in getattr(mod, "CASES", []):
            c.module = fn
            cases.append(c)
    return cases


def write_files(root: str, files: dict) -> None:
    for rel, content in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, Symlink):
            os.symlink(content.target, path)
        elif isinstance(content, Sparse):
            with open(path, "wb") as f:
                f.write(content.prefix)
                f.truncate(content.size)
        else:
            with open(path, "wb") as f:
                f.write(content)


def output_name(input_rel: str) -> str:
    # keep the input's kind: GGUF in, GGUF out; everything else SafeTensors
    return "out.gguf" if input_rel.lower().endswith(".gguf") else "out.safetensors"


def leftovers(out_dir: str) -> list[str]:
    found = []
    for dirpath, _dirs, names in os.walk(out_dir):
        for n in names:
            if TMP_RE.match(n):
                found.append(os.path.join(dirpath, n))
    return found


def run_one(exe: str, case: Case, command: str, keep: bool, verbose: bool) -> list[str]:
    """Returns a list of problems (empty when the case passed)."""
    problems = []
    root = tempfile.mkdtemp(prefix="tp_malformed_")
    try:
        write_files(root, case.files)
        inp = os.path.join(root, case.input_path())
        out_dir = os.path.join(root, "out")
        os.makedirs(out_dir)
        out = os.path.join(out_dir, case.output or output_name(case.input_path()))
        argv = [exe, command, inp] + ([out] if command == "convert" else [])
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        t0 = time.monotonic()
        try:
            r = subprocess.run(argv, cwd=root, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=TIME_LIMIT)
        except subprocess.TimeoutExpired:
            return [f"timed out after {TIME_LIMIT:.0f} s"]
        dt = time.monotonic() - t0
        stderr = r.stderr.decode("utf-8", "replace")
        if r.returncode < 0:
            sig = -r.returncode
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            problems.append(f"killed by signal {name}")
        elif r.returncode != case.expect_exit:
            problems.append(f"exit {r.returncode}, expected {case.expect_exit}")
        if RAW_BYTES_RE.search(stderr) or "\ufffd" in stderr:
            problems.append("stderr carries raw control bytes or invalid UTF-8 "
                            "(names from files must be escaped)")
        if SANITIZER_RE.search(stderr):
            problems.append("sanitizer report on stderr")
        if case.expect_msg and not re.search(case.expect_msg, stderr):
            problems.append(f"stderr does not match /{case.expect_msg}/")
        if command == "convert":
            exists = os.path.lexists(out)
            if case.expect_exit == 0 and not exists:
                problems.append("exit 0 but no output was written")
            elif case.expect_exit != 0 and exists:
                problems.append("output exists after a failure")
            if exists:
                if os.path.isdir(out) and not os.path.islink(out):
                    shutil.rmtree(out)
                else:
                    os.unlink(out)
        left = leftovers(root) if command == "convert" else []
        if left:
            problems.append("temporary files left: " +
                            ", ".join(os.path.relpath(p, root) for p in left))
        if problems or verbose:
            detail = stderr.strip().splitlines()
            tail = detail[-3:] if detail else ["<no stderr>"]
            problems_note = "; ".join(problems) if problems else "ok"
            print(f"  [{case.name} {command}] {problems_note} ({dt:.2f} s)")
            for line in tail:
                print(f"      stderr: {line[:300]}")
        return problems
    finally:
        if keep:
            print(f"  kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tensorport", required=True, help="path of the tensorport binary")
    ap.add_argument("--only", help="run only the case with this name (or a regex)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    exe = os.path.abspath(args.tensorport)
    if not os.access(exe, os.X_OK):
        print(f"run_malformed: {exe}: not an executable", file=sys.stderr)
        return 2
    cases = load_cases()
    names = [c.name for c in cases]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        print(f"run_malformed: duplicate case names: {sorted(dups)}", file=sys.stderr)
        return 2
    if args.only:
        cases = [c for c in cases if c.name == args.only or re.fullmatch(args.only, c.name)]
        if not cases:
            print(f"run_malformed: no case matches {args.only!r}", file=sys.stderr)
            return 2
    failed, runs = [], 0
    for c in cases:
        for cmd in c.commands:
            runs += 1
            if run_one(exe, c, cmd, args.keep, args.verbose):
                failed.append(f"{c.name} ({cmd})")
    print(f"malformed: {runs - len(failed)}/{runs} runs passed over {len(cases)} cases")
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

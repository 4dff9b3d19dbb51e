#!/usr/bin/env python3
"""Golden tests of the tensorport command line.

Each case is a folder tests/cli/cases/<name>/ holding:
  cmd      one line: the arguments after the binary, split like a POSIX
           shell would (shlex); placeholders {data} (tests/cli/data) and
           {tmp} (a fresh empty directory per case)
  setup    optional: shell commands run first (sh -c, in {tmp}); may also
           use {tensorport} for the binary under test
  stdout, stderr, exit
           the expected output streams and exit status, compared exactly
  files    optional: the expected listing of {tmp} after the run (one
           relative path per line, sorted), to check that nothing is left
           behind (temporary files) or that an output really exists

Before comparing, the temp path becomes {tmp} and the data path {data} in
both streams, and the facts that vary between builds and runs (version
strings, build features, timings) become placeholders too. The binary runs
with NO_COLOR=1 and COLUMNS=80.

The runner also checks that every long option in each command's --help
appears in man/tensorport.1 and docs/cli.md, so the three stay in step.

    run_golden.py --tensorport build/tensorport --cases tests/cli/cases
    run_golden.py ... --update         # rewrite expectations (review them!)
    run_golden.py ... inspect_gguf     # run only the named cases

Only the Python 3 standard library is used.
"""
import argparse
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
COMMANDS = ["inspect", "convert", "diff", "meta"]

# (pattern, replacement) applied line by line after the path substitutions.
NORMALISE = [
    (re.compile(r"^tensorport \d+\.\d+\.\d+\S*$"), "tensorport {version}"),
    (re.compile(r"^library: libtensorport \S+ \(built against \S+\)$"),
     "library: libtensorport {version} (built against {version})"),
    (re.compile(r"^features: .*$"), "features: {features}"),
    (re.compile(r"^build: .*$"), "build: {build}"),
    (re.compile(r'("seconds": )[-+0-9.eE]+'), r"\1{seconds}"),
    (re.compile(r" in \d+\.\d+ s \([^)]*/s\)"), " in {time}"),
]


def normalise(text: str, tmp: str, data: str) -> str:
    text = text.replace(tmp, "{tmp}").replace(data, "{data}")
    lines = []
    for line in text.split("\n"):
        for pat, rep in NORMALISE:
            line = pat.sub(rep, line)
        lines.append(line)
    return "\n".join(lines)


def listing(tmp: Path) -> str:
    out = []
    for p in sorted(tmp.rglob("*")):
        rel = p.relative_to(tmp).as_posix()
        out.append(rel + ("/" if p.is_dir() else ""))
    return "".join(line + "\n" for line in out)


def substitute(s: str, tmp: str, data: str, binary: str) -> str:
    return (s.replace("{tmp}", tmp).replace("{data}", data)
            .replace("{tensorport}", shlex.quote(binary)))


def run_case(case: Path, binary: str, data: str, update: bool, verbose: bool):
    """Returns a list of failure descriptions (empty: passed)."""
    tmp = tempfile.mkdtemp(prefix="tp-golden-")
    try:
        env = dict(os.environ)
        env.update({"NO_COLOR": "1", "COLUMNS": "80", "LC_ALL": "C.UTF-8"})
        env.pop("TERM", None)
        setup = case / "setup"
        if setup.exists():
            script = substitute(setup.read_text(), tmp, data, binary)
            r = subprocess.run(["sh", "-ec", script], cwd=tmp, env=env,
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                return [f"setup failed ({r.returncode}): {r.stderr.strip()}"]
        cmdline = (case / "cmd").read_text().strip()
        args = [substitute(a, tmp, data, binary) for a in shlex.split(cmdline)]
        if verbose:
            print("  $ tensorport " + " ".join(shlex.quote(a) for a in args))
        r = subprocess.run([binary] + args, cwd=tmp, env=env,
                           capture_output=True, timeout=300)
        got = {
            "stdout": normalise(r.stdout.decode("utf-8", "backslashreplace"), tmp, data),
            "stderr": normalise(r.stderr.decode("utf-8", "backslashreplace"), tmp, data),
            "exit": f"{r.returncode}\n",
        }
        if (case / "files").exists():
            got["files"] = listing(Path(tmp))
        failures = []
        for name, actual in got.items():
            path = case / name
            if update:
                if not path.exists() or path.read_text() != actual:
                    path.write_text(actual)
                    print(f"  updated {case.name}/{name}")
                continue
            expected = path.read_text() if path.exists() else ""
            if expected != actual:
                diff = "".join(difflib.unified_diff(
                    expected.splitlines(True), actual.splitlines(True),
                    f"{case.name}/{name} (expected)", f"{case.name}/{name} (actual)"))
                failures.append(f"{name} differs:\n{diff}")
        return failures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def long_options(help_text: str):
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text)))


def check_docs(binary: str):
    """Every long option of every --help must be documented in both the man
    page and docs/cli.md. Returns failure descriptions."""
    man = ROOT / "man" / "tensorport.1"
    md = ROOT / "docs" / "cli.md"
    if not man.exists() or not md.exists():
        return [f"missing {man if not man.exists() else md}"]
    # roff writes '-' as '\-' in option names
    man_text = man.read_text().replace("\\-", "-").replace("\\(em", "-")
    md_text = md.read_text()
    failures = []
    for cmd in [None] + COMMANDS:
        args = [binary, "--help"] if cmd is None else [binary, cmd, "--help"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            failures.append(f"{' '.join(args[1:])} exited {r.returncode}")
            continue
        for opt in long_options(r.stdout):
            for name, text in (("man/tensorport.1", man_text), ("docs/cli.md", md_text)):
                if not re.search(re.escape(opt) + r"(?![a-z0-9-])", text):
                    failures.append(f"{name}: option {opt} of "
                                    f"'{cmd or 'tensorport'} --help' is not documented")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tensorport", required=True, help="the binary to test")
    ap.add_argument("--cases", default=str(HERE / "cases"))
    ap.add_argument("--data", default=str(HERE / "data"))
    ap.add_argument("--update", action="store_true",
                    help="rewrite the expected outputs from this run")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("names", nargs="*", help="run only these cases")
    a = ap.parse_args()

    binary = str(Path(a.tensorport).resolve())
    data = str(Path(a.data).resolve())
    cases = sorted(p for p in Path(a.cases).iterdir() if (p / "cmd").exists())
    if a.names:
        cases = [c for c in cases if c.name in a.names]
    failed = 0
    for case in cases:
        fails = run_case(case, binary, data, a.update, a.verbose)
        if fails:
            failed += 1
            print(f"FAIL {case.name}")
            for f in fails:
                print("  " + f.replace("\n", "\n  ").rstrip())
        elif a.verbose or not a.update:
            print(f"ok   {case.name}")
    doc_fails = [] if a.names else check_docs(binary)
    for f in doc_fails:
        print(f"FAIL docs: {f}")
    print(f"{len(cases) - failed} of {len(cases)} cases passed"
          + (f"; {len(doc_fails)} documentation problems" if doc_fails else ""))
    return 1 if failed or doc_fails else 0


if __name__ == "__main__":
    sys.exit(main())

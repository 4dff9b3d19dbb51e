#!/usr/bin/env python3
"""check_includes.py - keeps the import graph of src/ and cli/ honest.

The library's folders form layers; a file may include headers of its own
layer and of the layers below it, never above:

    base < codec < dtype < quant < model < arch < tokenizer < formats < convert

and no folder may reach, through its includes, back to itself (a circle
between folders, e.g. formats/ and formats/gguf/, which share a layer). The
command line (cli/) is built on the public API only: its files include
cli/ headers and include/tensorport.h, nothing under src/.

Every `#include "..."` line is resolved as the compiler does (next to the
file, then src/, then include/); an include that resolves nowhere is an
error too. Each problem is printed as FILE:LINE: what, and the exit status
is 1 when there is any. ALLOWED lists known violations that someone else is
removing (a stale entry is an error, so the list only shrinks).

    check_includes.py [--root DIR]     check the tree (default: the repository)
    check_includes.py --self-test      check the checker on a made-up tree

Only the Python 3 standard library is used.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile

LAYERS = ["base", "codec", "dtype", "quant", "model", "arch", "tokenizer",
          "formats", "convert"]

# (including file, included file), both relative to the repository, for
# violations that are known and being removed elsewhere. Each needs a comment
# saying who removes it, e.g. "# issue 8: lead".
ALLOWED: set[tuple[str, str]] = set()

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def sources(root: str, top: str):
    base = os.path.join(root, top)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(dirpath, fn), root)


def resolve(root: str, rel_file: str, inc: str) -> str | None:
    """The included file, relative to root, or None."""
    for d in (os.path.dirname(rel_file), "src", "include"):
        cand = os.path.normpath(os.path.join(d, inc))
        if not cand.startswith("..") and os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def folder_of(rel: str) -> str:
    """'src/formats/gguf/read.c' -> 'formats/gguf'."""
    parts = rel.split("/")
    return "/".join(parts[1:-1])


def layer_of(rel: str) -> str:
    parts = rel.split("/")
    return parts[1] if len(parts) > 2 else ""


def circles(edges: dict[str, dict[str, tuple[str, int, str]]]) -> list[list[str]]:
    """Strongly connected components with more than one folder (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def check(root: str, allowed: set[tuple[str, str]]) -> list[str]:
    problems: list[str] = []
    used_allow: set[tuple[str, str]] = set()
    edges: dict[str, dict[str, tuple[str, int, str]]] = {}
    rank = {name: i for i, name in enumerate(LAYERS)}

    for rel in sources(root, "src"):
        src_layer = layer_of(rel)
        if src_layer not in rank:
            problems.append(f"{rel}:1: folder src/{src_layer or '.'} is not in the layer "
                            f"order ({' < '.join(LAYERS)}): add it to LAYERS")
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        for no, line in enumerate(lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            inc = m.group(1)
            target = resolve(root, rel, inc)
            where = f"{rel}:{no}"
            if target is None:
                problems.append(f'{where}: #include "{inc}" resolves to no file')
                continue
            if target.startswith("include/"):
                continue  # the public API: below every layer
            if not target.startswith("src/"):
                problems.append(f'{where}: #include "{inc}" leaves src/ ({target})')
                continue
            dst_layer = layer_of(target)
            if dst_layer not in rank:
                problems.append(f'{where}: #include "{inc}": folder src/{dst_layer or "."} '
                                f"is not in the layer order")
                continue
            if rank[dst_layer] > rank[src_layer]:
                if (rel, target) in allowed:
                    used_allow.add((rel, target))
                else:
                    problems.append(
                        f'{where}: #include "{inc}": {src_layer} may not depend on '
                        f"{dst_layer}, a layer above it ({' < '.join(LAYERS)})")
                continue
            a, b = folder_of(rel), folder_of(target)
            if a != b and (rel, target) not in allowed:
                edges.setdefault(a, {}).setdefault(b, (rel, no, inc))
            elif a != b:
                used_allow.add((rel, target))

    for comp in circles(edges):
        members = set(comp)
        lines = [f"{edges[a][b][0]}:{edges[a][b][1]}: #include \"{edges[a][b][2]}\" "
                 f"({a} -> {b})"
                 for a in comp for b in sorted(edges.get(a, {})) if b in members]
        problems.append("circle between folders " + ", ".join(f"src/{c}" for c in comp)
                        + ":\n  " + "\n  ".join(lines))

    for rel in sources(root, "cli"):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for no, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                target = resolve(root, rel, m.group(1))
                if target is None or not (target.startswith("cli/") or
                                          target.startswith("include/")):
                    problems.append(f'{rel}:{no}: #include "{m.group(1)}": the command '
                                    f"line uses the public API only (cli/ and include/)")

    for a, b in sorted(allowed - used_allow):
        problems.append(f"ALLOWED entry ({a}, {b}) is no longer needed: remove it")
    return problems


def self_test() -> int:
    """The checker must catch an up-include, a circle, a stray folder, an
    unresolved include, a CLI reaching into src/ and a stale allow entry."""
    tree = {
        "include/tensorport.h": "",
        "src/base/base.h": '#include "tensorport.h"\n',
        "src/dtype/cast.c": '#include "dtype.h"\n#include "../quant/quant.h"\n',
        "src/dtype/dtype.h": '#include "../base/base.h"\n',
        "src/quant/quant.h": '#include "../dtype/dtype.h"\n',
        "src/formats/format.h": '#include "gguf/gguf.h"\n',
        "src/formats/gguf/gguf.h": '#include "../format.h"\n',
        "src/model/model.h": '#include "../base/base.h"\n#include "missing.h"\n',
        "src/stray/x.c": '#include "../base/base.h"\n',
        "cli/cli.h": '#include "tensorport.h"\n#include "base/base.h"\n',
    }
    want = [
        r"src/dtype/cast\.c:2: #include \"\.\./quant/quant\.h\": dtype may not depend on quant",
        r"circle between folders src/formats, src/formats/gguf",
        r"src/formats/format\.h:1: #include \"gguf/gguf\.h\" \(formats -> formats/gguf\)",
        r"src/model/model\.h:2: #include \"missing\.h\" resolves to no file",
        r"src/stray/x\.c:1: folder src/stray is not in the layer order",
        r"cli/cli\.h:2: #include \"base/base\.h\": the command line uses the public API only",
        r"ALLOWED entry \(src/a\.c, src/b\.h\) is no longer needed",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in tree.items():
            os.makedirs(os.path.join(tmp, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        got = "\n".join(check(tmp, {("src/a.c", "src/b.h")}))
        missing = [w for w in want if not re.search(w, got)]
        # an allowed up-include is not reported, and the entry is not stale
        allowed = {("src/dtype/cast.c", "src/quant/quant.h")}
        again = "\n".join(check(tmp, allowed))
        if "dtype may not depend" in again or "no longer needed" in again:
            missing.append("an ALLOWED entry silences its include")
    if missing:
        print("check_includes.py: self-test FAILED; not reported:\n  " +
              "\n  ".join(missing) + "\ngot:\n" + got, file=sys.stderr)
        return 1
    print(f"check_includes.py: self-test passed ({len(want)} problems found)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    problems = check(args.root, ALLOWED)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check_includes.py: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("check_includes.py: includes follow the layer order "
          f"({' < '.join(LAYERS)}), no circles, the CLI uses the public API only")
    return 0


if __name__ == "__main__":
    sys.exit(main())

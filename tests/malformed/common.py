"""common.py - protocol of the malformed-input corpus, and file builders.

Every tests/malformed/cases_*.py module exposes CASES, a list of Case. The
runner (run_malformed.py) writes each case's files into a fresh temporary
folder and runs `tensorport inspect INPUT` and `tensorport convert INPUT OUT`
(the commands listed in the case), then checks the exit status, that stderr
matches expect_msg, that nothing crashed or hung, and that no output or
temporary file was left behind (for expect_exit 0 the output must exist).

A value in Case.files is normally bytes. Two helpers describe what bytes
cannot: Symlink(target) creates a symbolic link, Sparse(size, prefix) a file
of `size` bytes that starts with `prefix` and holds zeros (a hole) after it.
Keys may contain '/' to build folders ("model/config.json").
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field


@dataclass
class Symlink:
    target: str


@dataclass
class Sparse:
    size: int
    prefix: bytes = b""


@dataclass
class Case:
    name: str
    files: dict
    expect_exit: int
    expect_msg: str  # regular expression searched in stderr
    input: str | None = None  # relative path; default: the first key
    commands: tuple = field(default=("inspect", "convert"))
    output: str | None = None  # convert's output name in out/; default by input kind

    def input_path(self) -> str:
        return self.input if self.input is not None else next(iter(self.files))


# ---- SafeTensors builders ----------------------------------------------------

DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
    "F8_E4M3FNUZ": 1, "F8_E5M2FNUZ": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "C64": 8, "F64": 8, "I64": 8,
    "U64": 8,
}


def st_raw(header: bytes | str, data: bytes = b"", n: int | None = None) -> bytes:
    """8-byte length (n, default the header length) + header + data."""
    if isinstance(header, str):
        header = header.encode("utf-8")
    return struct.pack("<Q", len(header) if n is None else n) + header + data


def st_json(tensors: dict, metadata: dict | None = None) -> str:
    """Compact header JSON; tensors maps name -> (dtype, shape, [begin, end])."""
    obj = {}
    if metadata is not None:
        obj["__metadata__"] = metadata
    for name, (dtype, shape, offs) in tensors.items():
        obj[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": list(offs)}
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def st_file(tensors: dict, metadata: dict | None = None) -> bytes:
    """A valid file: tensors maps name -> (dtype, shape); offsets are assigned
    in the given order and the data is a byte pattern."""
    spec, pos = {}, 0
    for name, (dtype, shape) in tensors.items():
        n = DTYPE_BYTES[dtype]
        for d in shape:
            n *= d
        spec[name] = (dtype, shape, (pos, pos + n))
        pos += n
    return st_raw(st_json(spec, metadata), bytes(i % 251 for i in range(pos)))


def index_json(weight_map: dict, total_size: int = 0) -> bytes:
    return (json.dumps({"metadata": {"total_size": total_size},
                        "weight_map": weight_map}, indent=2, sort_keys=True)
            + "\n").encode()

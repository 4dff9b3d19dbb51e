"""The installed package works for a consumer: `cmake --install` into a
staging prefix, then a small program that opens a model is built against it
three ways — pkg-config with the shared library, pkg-config --static, and
CMake's find_package(tensorport) — and run."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tphelpers import ROOT, tensorport_bin

CONSUMER = r"""
#include <stdio.h>
#include <tensorport.h>
int main(int argc, char **argv) {
  tp_model *m;
  if (argc != 2) return 2;
  if (tp_version_number() / 10000 != TP_VERSION_MAJOR) return 3;
  if (tp_model_open(&m, argv[1], NULL) != TP_OK) {
    fprintf(stderr, "%s\n", tp_last_error());
    return 1;
  }
  printf("%zu tensors\n", tp_model_tensor_count(m));
  tp_model_free(m);
  return 0;
}
"""

CMAKELISTS = """
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(tensorport 0.1 REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE tensorport::tensorport)
"""

MODEL = ROOT / "examples" / "tiny-llama"


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    build = Path(tensorport_bin()).parent
    if not (build / "cmake_install.cmake").exists():
        pytest.skip(f"{build} is not a CMake build folder")
    cache = (build / "CMakeCache.txt").read_text()
    if "TP_SANITIZE:BOOL=ON" in cache or "TP_BUILD_FUZZERS:BOOL=ON" in cache:
        pytest.skip("a sanitizer build's library needs the sanitizer runtime to link")
    prefix = tmp_path_factory.mktemp("prefix")
    r = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for f in ("include/tensorport.h", "bin/tensorport", "share/man/man1/tensorport.1"):
        assert (prefix / f).exists(), f
    return prefix


def libdir(prefix: Path) -> Path:
    return next(p.parent for p in prefix.rglob("libtensorport.a"))


def test_pkg_config_shared_and_static(prefix, tmp_path):
    (tmp_path / "main.c").write_text(CONSUMER)
    env = dict(os.environ, PKG_CONFIG_PATH=str(libdir(prefix) / "pkgconfig"))
    for static in (False, True):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "tensorport"]
                               + (["--static"] if static else []),
                               capture_output=True, text=True, env=env, check=True).stdout.split()
        if static:  # link the archive, not the shared object next to it
            flags = [f for f in flags if f != "-ltensorport"] + [str(libdir(prefix) / "libtensorport.a")] + flags
        exe = tmp_path / ("static" if static else "shared")
        r = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", str(tmp_path / "main.c"),
                            "-o", str(exe)] + flags + [f"-Wl,-rpath,{libdir(prefix)}"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        out = subprocess.run([str(exe), str(MODEL)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "21 tensors"


def test_cmake_find_package(prefix, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.c").write_text(CONSUMER)
    (src / "CMakeLists.txt").write_text(CMAKELISTS)
    r = subprocess.run(["cmake", "-S", str(src), "-B", str(tmp_path / "b"),
                        f"-DCMAKE_PREFIX_PATH={prefix}",
                        f"-DCMAKE_BUILD_RPATH={libdir(prefix)}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", str(tmp_path / "b")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    out = subprocess.run([str(tmp_path / "b" / "consumer"), str(MODEL)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "21 tensors"


def test_installed_command_runs(prefix):
    r = subprocess.run([str(prefix / "bin" / "tensorport"), "--version"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("tensorport "), r.stderr
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", str(prefix / "share/man/man1/tensorport.1")],
                           capture_output=True, text=True, env=dict(os.environ, MANPAGER="cat"))
        assert "convert" in r.stdout

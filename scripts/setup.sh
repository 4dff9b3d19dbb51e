#!/usr/bin/env bash
# setup.sh - installs whatever is missing for building and testing tensorport.
#
#   scripts/setup.sh deps     Debian packages needed to build (and fuzz)
#   scripts/setup.sh test-deps  + the aarch64 cross compiler and qemu-user
#                             for `make test-neon` (not needed by `make demo`)
#   scripts/setup.sh python   + a virtual environment in $BUILD/venv with the
#                             Python tools the interoperability tests use, at
#                             the exact versions of tests/requirements.txt and
#                             tests/constraints.txt
#   scripts/setup.sh llama    + llama.cpp's reference tools, built from the
#                             llama-cpp-python source package (never committed)
#   scripts/setup.sh all      everything above (what `make test` runs)
#   scripts/setup.sh latest   the newest release of every Python test package
#                             in $BUILD/venv-latest and llama.cpp from the newest
#                             llama-cpp-python in $BUILD/llama.cpp-latest (for
#                             `make test-latest`; never part of `make test`)
#
# Each step is skipped when already done, so running it again is cheap.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mode=${1:-all}

DEB_PKGS=(build-essential cmake pkg-config libjansson-dev libcmocka-dev
          libxxhash-dev zlib1g-dev clang libclang-rt-14-dev python3 python3-venv
          ca-certificates)
# only for the tests: scripts/test_neon.sh builds the kernel unit tests for
# aarch64 and runs them under qemu-aarch64 (from qemu-user). The C library
# is only a Recommends of the cross compiler, so it is named here.
TEST_DEB_PKGS=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
               qemu-user)

log() { printf 'setup: %s\n' "$*" >&2; }

install_deb() {
  local missing=() p
  for p in "${DEB_PKGS[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

python_bin() {
  # prefer the interpreter on PATH (pyenv on developer machines), else Debian's
  command -v python3
}

# install_python VENV [latest]: the pinned set, or with "latest" the newest
# release of every package named in requirements.txt (no constraints).
install_python() {
  local venv=${1:-$BUILD/venv} latest=${2:-} req=tests/requirements.txt
  local con=tests/constraints.txt stamp
  if [ -n "$latest" ]; then
    # a day stamp: the newest versions are looked up again once a day
    stamp="$venv/.latest-$(date +%Y%m%d)"
  else
    stamp="$venv/.requirements-$(cat "$req" "$con" | sha256sum | cut -c1-16)"
  fi
  if [ -f "$stamp" ]; then
    return 0
  fi
  mkdir -p "$BUILD"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating virtual environment $venv"
    "$(python_bin)" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install -q --upgrade pip
  if [ -n "$latest" ]; then
    log "installing the newest Python test packages into $venv"
    sed -e 's/#.*//' -e 's/[=<>!~].*//' -e '/^[[:space:]]*$/d' "$req" \
      | xargs "$venv/bin/python" -m pip install -q --upgrade
  else
    log "installing Python test packages into $venv (torch, transformers, gguf, ...)"
    "$venv/bin/python" -m pip install -q -r "$req" -c "$con"
  fi
  rm -f "$venv"/.requirements-* "$venv"/.latest-*
  touch "$stamp"
}

# llama.cpp reference tools: the sources come from the llama-cpp-python sdist
# on PyPI (the only registry this project may use); only libllama, ggml and
# our small driver programs are built.
LLAMA_CPP_PY_VERSION=0.3.36
# install_llama [DIR VERSION VENV]: defaults are the pinned build.
install_llama() {
  local dir=${1:-$BUILD/llama.cpp} ver=${2:-$LLAMA_CPP_PY_VERSION} venv=${3:-$BUILD/venv}
  local src stamp
  stamp="$dir/.built-$ver"
  if [ -f "$stamp" ]; then
    install_llama_driver "$dir"
    return 0
  fi
  [ -n "${3:-}" ] || install_python
  mkdir -p "$dir"
  if [ ! -d "$dir/src" ]; then
    log "fetching llama-cpp-python $ver source package"
    "$venv/bin/python" -m pip download -q --no-deps --no-binary :all: \
      -d "$dir/dl" "llama-cpp-python==$ver"
    tar -xzf "$dir/dl/llama_cpp_python-$ver.tar.gz" -C "$dir"
    mv "$dir/llama_cpp_python-$ver/vendor/llama.cpp" "$dir/src"
    rm -rf "$dir/dl" "$dir/llama_cpp_python-$ver"
  fi
  src="$dir/src"
  log "building llama.cpp (libllama, llama-quantize, llama-gguf-split); this takes a few minutes"
  cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON -DGGML_NATIVE=ON > "$dir/configure.log" 2>&1 \
    || { cat "$dir/configure.log" >&2; exit 1; }
  cmake --build "$dir/build" -j "$(nproc)" --target llama-quantize llama-gguf-split \
    > "$dir/build.log" 2>&1 || { tail -50 "$dir/build.log" >&2; exit 1; }
  touch "$stamp"
  install_llama_driver "$dir"
}

# Our own driver that loads a model through libllama
# (tests/interop/llama_load.c), rebuilt whenever its source changes.
install_llama_driver() {
  local dir=$1 src="$1/src" stamp
  stamp="$dir/.driver-$(sha256sum tests/interop/llama_load.c | cut -c1-16)"
  if [ -f "$stamp" ] && [ -x "$dir/build/bin/tp-llama-load" ]; then
    return 0
  fi
  log "building tp-llama-load (tests/interop/llama_load.c)"
  cc -O2 -o "$dir/build/bin/tp-llama-load" tests/interop/llama_load.c \
    -I"$src/include" -I"$src/ggml/include" -L"$dir/build/bin" -lllama -lggml -lggml-base \
    -Wl,-rpath,"$(cd "$dir/build/bin" && pwd)"
  rm -f "$dir"/.driver-*
  touch "$stamp"
}

# The newest llama-cpp-python release on the package index.
latest_llama_version() {
  "$BUILD/venv-latest/bin/python" -m pip index versions llama-cpp-python 2>/dev/null \
    | sed -n 's/^llama-cpp-python (\([^)]*\)).*/\1/p'
}

case "$mode" in
  deps) install_deb ;;
  test-deps) install_deb "${TEST_DEB_PKGS[@]}" ;;
  python) install_deb; install_python ;;
  llama) install_deb; install_python; install_llama ;;
  all) install_deb "${TEST_DEB_PKGS[@]}"; install_python; install_llama ;;
  latest)
    install_deb
    install_python "$BUILD/venv-latest" latest
    v=$(latest_llama_version)
    [ -n "$v" ] || { log "cannot tell the newest llama-cpp-python version"; exit 1; }
    install_llama "$BUILD/llama.cpp-latest" "$v" "$BUILD/venv-latest"
    ;;
  *) echo "usage: $0 [deps|test-deps|python|llama|all|latest]" >&2; exit 2 ;;
esac

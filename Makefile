# tensorport - top-level commands. The real build is CMake; this file wires
# set-up, build, tests, demo, install and benchmarks together.
#
#   make            build the library and the tensorport command
#   make demo       install what is missing, build, run the demo
#   make test       install what is missing, build, run every test tier
#   make test-neon  the SIMD kernel tests built for aarch64, run under qemu
#   make test-latest  the interop tier against the newest test tools (a
#                   report of what moved; not part of `make test`)
#   make install    install (honours PREFIX and DESTDIR)
#   make bench      run the side-by-side benchmarks (see bench/)

BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
VENV_PY := $(abspath $(BUILD))/venv/bin/python

.PHONY: all build deps demo test test-unit test-asan test-fuzz test-interop test-neon test-latest \
        install uninstall bench clean

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) \
	  $(if $(wildcard $(VENV_PY)),-DTP_PYTHON=$(VENV_PY)) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

deps:
	@BUILD=$(BUILD) scripts/setup.sh deps

demo:
	@BUILD=$(BUILD) scripts/setup.sh deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) scripts/demo.sh

test:
	@BUILD=$(BUILD) scripts/setup.sh all
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory test-unit test-neon test-asan test-fuzz test-interop
	@echo "all test tiers passed"

# unit (cmocka), golden CLI, malformed corpus and corpus replay, via CTest
test-unit:
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# the kernel unit tests (NEON against the scalar reference, bit for bit) as
# static aarch64 programs under qemu-user (cross compiler and qemu-user from
# `scripts/setup.sh test-deps`)
test-neon:
	@BUILD=$(BUILD) scripts/setup.sh test-deps
	@scripts/test_neon.sh

# the unit and CLI tiers again under AddressSanitizer + UBSan
test-asan:
	@cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DTP_SANITIZE=ON \
	  -DTP_PYTHON=$(VENV_PY) >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# libFuzzer targets built with clang, replaying their checked-in corpora
test-fuzz:
	@CC=clang cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTP_BUILD_FUZZERS=ON -DTP_BUILD_TESTS=OFF -DTP_WERROR=ON >/dev/null
	@cmake --build $(BUILD)-fuzz -j $(JOBS)
	@scripts/fuzz.sh replay $(BUILD)-fuzz

# pytest against the real Python tools and llama.cpp
test-interop:
	@TENSORPORT=$(abspath $(BUILD))/tensorport TP_TESTTOOL=$(abspath $(BUILD))/tp-testtool \
	  LLAMA_CPP_DIR=$(abspath $(BUILD))/llama.cpp \
	  $(VENV_PY) -m pytest -q tests/interop tests/system

# the interop tier against the newest release of every Python test package
# and of llama-cpp-python, in build/venv-latest and build/llama.cpp-latest;
# writes build/test-latest-report.md (tests/requirements.txt: moving a pin)
test-latest:
	@BUILD=$(BUILD) scripts/setup.sh latest
	@$(MAKE) --no-print-directory build
	@TENSORPORT=$(abspath $(BUILD))/tensorport TP_TESTTOOL=$(abspath $(BUILD))/tp-testtool \
	  $(abspath $(BUILD))/venv-latest/bin/python scripts/test_latest.py --build $(abspath $(BUILD)) \
	  --llama-dir $(abspath $(BUILD))/llama.cpp-latest \
	  --llama-version "$$(ls -A $(BUILD)/llama.cpp-latest | sed -n 's/^\.built-//p' | head -1)"

install: build
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

uninstall:
	@if [ -f $(BUILD)/install_manifest.txt ]; then \
	  xargs -r rm -f < $(BUILD)/install_manifest.txt; fi

bench:
	@BUILD=$(BUILD) scripts/setup.sh all
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) bench/run_all.sh

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz

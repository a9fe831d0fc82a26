# Thin wrapper over CMake + Ninja + CTest for the README's commands.
#   make run    build, prepare ./var, bootstrap the first operator, start faxvaultd
#   make check  -Werror release build + ASan/UBSan build, all tests, "N passed, N failed"
#   make check-load  the same tests beside a busy loop on every core
#   make build  release build alone (programs under build/)
#   make fuzz   libFuzzer builds of every fuzz target (clang), under build-fuzz/
#   make install  programs, manual pages, docs and the systemd unit under PREFIX
#   make deb    the Debian package of the release build, build/faxvault_VERSION_ARCH.deb

DATA_DIR ?= ./var
PREFIX   ?= /usr/local
SIP      ?=
HTTP     ?= 127.0.0.1:8080
JOBS     ?= $(shell nproc)
CTEST_J  ?= $(shell echo $$(( $$(nproc) * 3 )))

.PHONY: all deps build build-asan check check-load run fuzz bench install deb clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B build -G Ninja -UFV_PARTS -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFV_WERROR=ON >/dev/null
	@ninja -C build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -G Ninja -UFV_PARTS -DCMAKE_BUILD_TYPE=Debug -DFV_WERROR=ON -DFV_SANITIZE=ON >/dev/null
	@ninja -C build-asan -j $(JOBS)

check: build build-asan
	@scripts/install-npm
	@scripts/run-tests build-asan $(CTEST_J)

check-load: build build-asan
	@scripts/install-npm
	@scripts/check-load build-asan $(CTEST_J)

run: build
	@scripts/run-daemon build "$(DATA_DIR)" "$(HTTP)" "$(SIP)"

fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -G Ninja -UFV_PARTS -DCMAKE_BUILD_TYPE=Debug -DFV_FUZZ=ON >/dev/null
	@ninja -C build-fuzz -j $(JOBS) fuzz-targets

install: build
	@cmake --install build --prefix "$(PREFIX)"

deb: build
	@packaging/debian/build-deb build build

bench: build
	@for b in bench/*/run; do echo "== $$b"; $$b build || exit 1; done

clean:
	rm -rf build build-asan build-fuzz
